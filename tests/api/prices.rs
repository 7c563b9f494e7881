//! The price book: the shipped prices (LiteLLM's map), exact sub-cent arithmetic, snapshot
//! patterns, effective dates, cached tokens and long-context tiers.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app};

pub async fn event(app: &TestApp, company: &str, body: Value) -> Reply {
    app.post(&format!("/api/companies/{company}/cost-events"), body)
        .await
}

pub async fn put_price(app: &TestApp, body: Value) -> Reply {
    app.request(Method::PUT, "/api/model-prices", Some(body))
        .await
}

/// Micro-cents of an event of `model` with these tokens, asserting it was computed.
async fn computed(
    app: &TestApp,
    company: &str,
    agent: &str,
    (provider, model): (&str, &str),
    tokens: Value,
) -> i64 {
    let mut body = json!({"agentId": agent, "provider": provider, "model": model});
    for (k, v) in tokens.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = event(app, company, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["costSource"], "computed", "{model}: {}", r.text);
    r.body["costMicroCents"].as_i64().unwrap()
}

#[tokio::test]
async fn the_shipped_book_prices_the_named_models_at_the_maps_list_prices() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // 50,000 tokens of each kind (input counts cache reads and writes): 1/20 of the sum
    // of the four rates per million, in micro-cents.
    let tokens = json!({"inputTokens": 150_000, "cachedInputTokens": 50_000,
        "cacheWriteTokens": 50_000, "outputTokens": 50_000});
    let opus = [500_000_000, 50_000_000, 625_000_000, 2_500_000_000];
    for (provider, model, rates) in [
        ("anthropic", "claude-opus-4-5", opus),
        ("anthropic", "claude-opus-4-5-20251101", opus),
        ("anthropic", "claude-opus-4-6", opus),
        ("anthropic", "claude-opus-4-7", opus),
        ("anthropic", "claude-opus-5", opus),
        (
            "anthropic",
            "claude-haiku-4-5",
            [100_000_000, 10_000_000, 125_000_000, 500_000_000],
        ),
        (
            "anthropic",
            "claude-sonnet-5",
            [200_000_000, 20_000_000, 250_000_000, 1_000_000_000],
        ),
        (
            "openai",
            "gpt-5.1",
            [125_000_000, 12_500_000, 125_000_000, 1_000_000_000],
        ),
        (
            "openai",
            "gpt-5.2",
            [175_000_000, 17_500_000, 175_000_000, 1_400_000_000],
        ),
        (
            "google",
            "gemini-2.5-pro",
            [125_000_000, 12_500_000, 125_000_000, 1_000_000_000],
        ),
        (
            "google",
            "gemini-2.5-flash",
            [30_000_000, 3_000_000, 30_000_000, 250_000_000],
        ),
        (
            "google",
            "gemini-2.5-flash-lite",
            [10_000_000, 1_000_000, 10_000_000, 40_000_000],
        ),
    ] {
        let expected: i64 = rates.iter().sum::<i64>() / 20;
        let got = computed(&app, &company, &agent, (provider, model), tokens.clone()).await;
        assert_eq!(got, expected, "{provider}/{model}");
    }
    // Unknown releases are unpriced, not priced like an older one.
    for model in ["claude-opus-4-20250514", "claude-opus-4-9", "gpt-5.9"] {
        let r = event(
            &app,
            &company,
            json!({"agentId": agent, "provider": if model.starts_with("gpt") { "openai" } else { "anthropic" },
                   "model": model, "inputTokens": 1000}),
        )
        .await;
        assert_eq!(r.body["costSource"], "unpriced", "{model}");
    }
    let prices = app.get("/api/model-prices").await;
    let list = prices.body.as_array().unwrap();
    let opus = list
        .iter()
        .find(|p| p["model"] == "claude-opus-4-5" && p["provider"] == "anthropic")
        .unwrap();
    assert_eq!(opus["id"], "litellm-1.110.2:anthropic/claude-opus-4-5");
    assert_eq!(opus["effectiveFrom"], "1970-01-01T00:00:00Z");
    assert_eq!(
        opus["source"],
        "LiteLLM price map, litellm 1.110.2 on PyPI (uploaded 2026-11-20)"
    );
    assert!(
        list.iter()
            .all(|p| !p["source"].as_str().unwrap().contains("as of 2025-09-01")),
        "the old seed is gone"
    );
}

#[tokio::test]
async fn dated_snapshots_use_their_releases_pattern() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // Sonnet 4.5 at $3 / $15 per million: 15,000 + 3,000 tokens are 9 cents.
    let tokens = json!({"inputTokens": 15000, "outputTokens": 3000});
    let r = event(
        &app,
        &company,
        json!({"agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4-5-20250929",
               "inputTokens": 15000, "outputTokens": 3000}),
    )
    .await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["priceId"].as_str()),
        (
            Some(9),
            Some("litellm-1.110.2:anthropic/claude-sonnet-4-5-20250929")
        )
    );
    // A snapshot the map does not list: its release's pattern.
    let r = event(
        &app,
        &company,
        json!({"agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4-6-20261201",
               "inputTokens": 15000, "outputTokens": 3000}),
    )
    .await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["priceId"].as_str()),
        (
            Some(9),
            Some("litellm-1.110.2:anthropic/claude-sonnet-4-6-*")
        )
    );
    let micros = computed(
        &app,
        &company,
        &agent,
        ("openai", "gpt-5.1-2025-11-13"),
        tokens.clone(),
    )
    .await;
    assert_eq!(micros, 15_000 * 125 + 3_000 * 1_000);
    // The adapter's figure wins when it sends one.
    let r = event(
        &app,
        &company,
        json!({"agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4-5",
               "inputTokens": 15000, "outputTokens": 3000, "costCents": 11}),
    )
    .await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["costSource"].as_str()),
        (Some(11), Some("reported"))
    );
    assert_eq!(r.body["priceId"], Value::Null);
}

#[tokio::test]
async fn sub_cent_costs_are_kept_exactly_and_rounded_only_for_display() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // Haiku 4.5 input at $1 per million: 1,000 tokens are 0.1 cents.
    for _ in 0..10 {
        let r = event(&app, &company, json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-haiku-4-5", "inputTokens": 1000,
        })).await;
        assert_eq!(
            (
                r.body["costCents"].as_i64(),
                r.body["costMicroCents"].as_i64()
            ),
            (Some(0), Some(100_000))
        );
    }
    // Ten events of 0 cents each add up to 1 cent: rounding happens once, at display.
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s.body["spendCents"], 1);
    let a = app.get(&format!("/api/agents/{agent}")).await;
    assert_eq!(a.body["spentMonthlyCents"], 1);
    // $0.075 per million (gpt-4o-mini cached input): 7.5 micro-cents a token.
    let micros = computed(
        &app,
        &company,
        &agent,
        ("openai", "gpt-4o-mini"),
        json!({"inputTokens": 1001, "cachedInputTokens": 1001}),
    )
    .await;
    assert_eq!(micros, 7_508, "7507.5 rounded half up to the micro-cent");
}

#[tokio::test]
async fn cached_tokens_are_priced_at_the_cached_rate_and_never_counted_twice() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let r = event(
        &app,
        &company,
        json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4-5",
            "inputTokens": 10000, "cachedInputTokens": 8000, "cacheWriteTokens": 1000,
        }),
    )
    .await;
    // 1,000 uncached x $3 + 8,000 reads x $0.30 + 1,000 writes x $3.75 per million.
    assert_eq!(r.body["costMicroCents"], 300_000 + 240_000 + 375_000);
    assert_eq!(r.body["costCents"], 1);
    assert_eq!(r.body["cacheWriteTokens"], 1000);
    let r = event(
        &app,
        &company,
        json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4-5",
            "inputTokens": 100, "cachedInputTokens": 80, "cacheWriteTokens": 30,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.fields(), vec!["cachedInputTokens"]);
    assert_eq!(app.event_count(&company).await, 1);
}

#[tokio::test]
async fn above_200k_input_tokens_the_whole_event_pays_the_long_context_rates() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let pro = ("google", "gemini-2.5-pro");
    // At the threshold: $1.25 in, $0.125 cached, $10 out per million.
    let at = computed(
        &app,
        &company,
        &agent,
        pro,
        json!({"inputTokens": 200_000, "cachedInputTokens": 50_000, "outputTokens": 10_000}),
    )
    .await;
    assert_eq!(
        at,
        150_000 * 125 + 50_000 * 12 + 50_000 / 2 + 10_000 * 1_000
    );
    // One input token more (cache reads count): $2.50 in, $0.25 cached, $15 out.
    let above = computed(
        &app,
        &company,
        &agent,
        pro,
        json!({"inputTokens": 200_001, "cachedInputTokens": 50_000, "outputTokens": 10_000}),
    )
    .await;
    assert_eq!(above, 150_001 * 250 + 50_000 * 25 + 10_000 * 1_500);
    let list = app.get("/api/model-prices").await;
    let tier = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["model"] == "gemini-2.5-pro")
        .unwrap()["longContext"]
        .clone();
    assert_eq!(
        tier,
        json!({"aboveInputTokens": 200_000, "inputMicroCentsPerMTok": 250_000_000,
               "cachedInputMicroCentsPerMTok": 25_000_000, "cacheWriteMicroCentsPerMTok": 250_000_000,
               "outputMicroCentsPerMTok": 1_500_000_000})
    );

    // An operator's own tier, through the API.
    let r = put_price(
        &app,
        json!({"provider": "acme", "model": "long", "effectiveFrom": "2026-11-01",
               "inputMicroCentsPerMTok": 100_000_000, "outputMicroCentsPerMTok": 0,
               "longContext": {"aboveInputTokens": 1000, "inputMicroCentsPerMTok": 300_000_000}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["longContext"]["cachedInputMicroCentsPerMTok"],
        100_000_000
    );
    let long = ("acme", "long");
    let small = json!({"inputTokens": 1000});
    assert_eq!(computed(&app, &company, &agent, long, small).await, 100_000);
    let big = json!({"inputTokens": 1001});
    assert_eq!(computed(&app, &company, &agent, long, big).await, 300_300);
}

#[tokio::test]
async fn effective_dates_patterns_and_precedence() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let r = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-2-*", "effectiveFrom": "2026-11-10",
            "inputMicroCentsPerMTok": 500_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["effectiveFrom"], "2026-11-10T00:00:00Z");
    assert_eq!(
        r.body["cachedInputMicroCentsPerMTok"], 500_000_000,
        "defaults to the input price"
    );
    assert_eq!(r.body["longContext"], Value::Null);
    let exact = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-2-20261101", "effectiveFrom": "2026-11-10",
            "inputMicroCentsPerMTok": 100_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(exact.status, StatusCode::CREATED);
    let at = |model: &str, when: &str| json!({"agentId": agent, "provider": "acme", "model": model, "inputTokens": 1_000_000, "occurredAt": when});
    // The last millisecond before the price takes effect: no price yet.
    let r = event(
        &app,
        &company,
        at("llm-2-20261101", "2026-11-09T23:59:59.999Z"),
    )
    .await;
    assert_eq!(r.body["costSource"], "unpriced");
    // The first instant it is in force, and the exact name beats the pattern.
    let r = event(&app, &company, at("llm-2-20261101", "2026-11-10T00:00:00Z")).await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["costSource"].as_str()),
        (Some(100), Some("computed"))
    );
    let r = event(&app, &company, at("llm-2-20261105", "2026-11-10T00:00:00Z")).await;
    assert_eq!(
        r.body["costCents"], 500,
        "the pattern prices the release's other snapshots"
    );
    let before_change = r.body["id"].clone();
    // ... and nothing else: not the release itself, not a later release.
    for other in ["llm-2", "llm-3", "llm-2-5", "llm-2-mini-20261105"] {
        let r = event(&app, &company, at(other, "2026-11-10T00:00:00Z")).await;
        assert_eq!(r.body["costSource"], "unpriced", "{other}");
    }

    // A new price from the 12th does not rewrite the past.
    let r = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-2-*", "effectiveFrom": "2026-11-12T00:00:00Z",
            "inputMicroCentsPerMTok": 700_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let snap = "llm-2-20261105";
    let cents = |r: Reply| r.body["costCents"].as_i64();
    assert_eq!(
        cents(event(&app, &company, at(snap, "2026-11-11T23:00:00Z")).await),
        Some(500)
    );
    assert_eq!(
        cents(event(&app, &company, at(snap, "2026-11-12T00:00:00Z")).await),
        Some(700)
    );
    let listed = app
        .get(&format!("/api/companies/{company}/cost-events?limit=100"))
        .await;
    let old = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == before_change)
        .unwrap();
    assert_eq!(old["costCents"], 500);

    // Putting the same provider, model and date again changes that price (200).
    let r = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-2-*", "effectiveFrom": "2026-11-12",
            "inputMicroCentsPerMTok": 600_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(
        (r.status, r.body["inputMicroCentsPerMTok"].as_i64()),
        (StatusCode::OK, Some(600_000_000))
    );
    assert_eq!(
        cents(event(&app, &company, at(snap, "2026-11-13T00:00:00Z")).await),
        Some(600)
    );
}
