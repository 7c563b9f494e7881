//! The price book: computed costs, exact sub-cent arithmetic, patterns, effective dates,
//! cached tokens, and repricing unpriced events.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn event(app: &TestApp, company: &str, body: Value) -> crate::helpers::Reply {
    app.post(&format!("/api/companies/{company}/cost-events"), body)
        .await
}

async fn put_price(app: &TestApp, body: Value) -> crate::helpers::Reply {
    app.request(Method::PUT, "/api/model-prices", Some(body))
        .await
}

#[tokio::test]
async fn costs_are_computed_from_the_seeded_list_prices() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // The seed example without its cost: Sonnet 4 at $3 / $15 per million tokens.
    let r = event(
        &app,
        &company,
        json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4-20250514",
            "inputTokens": 15000, "outputTokens": 3000,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["costSource"], "computed");
    assert_eq!(r.body["costCents"], 9);
    assert_eq!(r.body["costMicroCents"], 9_000_000);
    assert_eq!(
        r.body["priceId"], "seed-004",
        "the dated-suffix family pattern claude-sonnet-4-*"
    );
    let r = event(
        &app,
        &company,
        json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
            "inputTokens": 15000, "outputTokens": 3000,
        }),
    )
    .await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["priceId"].as_str()),
        (Some(9), Some("seed-003"))
    );
    // The adapter's figure wins when it sends one.
    let r = event(
        &app,
        &company,
        json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
            "inputTokens": 15000, "outputTokens": 3000, "costCents": 11,
        }),
    )
    .await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["costSource"].as_str()),
        (Some(11), Some("reported"))
    );
    assert_eq!(r.body["priceId"], Value::Null);

    let prices = app.get("/api/model-prices").await;
    assert_eq!(prices.status, StatusCode::OK);
    let list = prices.body.as_array().unwrap();
    assert!(list.len() >= 30);
    let sonnet = list.iter().find(|p| p["id"] == "seed-003").unwrap();
    assert_eq!(sonnet["inputMicroCentsPerMTok"], 300_000_000);
    assert_eq!(sonnet["outputMicroCentsPerMTok"], 1_500_000_000);
    assert!(sonnet["source"].as_str().unwrap().contains("2025-09-01"));
}

#[tokio::test]
async fn sub_cent_costs_are_kept_exactly_and_rounded_only_for_display() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // Haiku 3.5 input at $0.80 per million: 1,000 tokens are 0.08 cents.
    for _ in 0..10 {
        let r = event(&app, &company, json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-3-5-haiku-20241022", "inputTokens": 1000,
        })).await;
        assert_eq!(
            (
                r.body["costCents"].as_i64(),
                r.body["costMicroCents"].as_i64()
            ),
            (Some(0), Some(80_000))
        );
    }
    // Ten events of 0 cents each add up to 0.8 cents, shown as 1: rounding happens once, at
    // display, never per event.
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s.body["spendCents"], 1);
    let a = app.get(&format!("/api/agents/{agent}")).await;
    assert_eq!(a.body["spentMonthlyCents"], 1);
    // $0.075 per million (gpt-4o-mini cached input): 7.5 micro-cents a token.
    let r = event(
        &app,
        &company,
        json!({
            "agentId": agent, "provider": "openai", "model": "gpt-4o-mini",
            "inputTokens": 1001, "cachedInputTokens": 1001,
        }),
    )
    .await;
    assert_eq!(
        r.body["costMicroCents"], 7_508,
        "7507.5 rounded half up to the micro-cent"
    );
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
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
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
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
            "inputTokens": 100, "cachedInputTokens": 80, "cacheWriteTokens": 30,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.fields(), vec!["cachedInputTokens"]);
    assert_eq!(app.event_count(&company).await, 1);
}

#[tokio::test]
async fn effective_dates_patterns_and_precedence() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let r = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-*", "effectiveFrom": "2026-11-10",
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
    let exact = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-2", "effectiveFrom": "2026-11-10",
            "inputMicroCentsPerMTok": 100_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(exact.status, StatusCode::CREATED);
    let at = |model: &str, when: &str| json!({"agentId": agent, "provider": "acme", "model": model, "inputTokens": 1_000_000, "occurredAt": when});
    // The last millisecond before the price takes effect: no price yet.
    let r = event(&app, &company, at("llm-2", "2026-11-09T23:59:59.999Z")).await;
    assert_eq!(r.body["costSource"], "unpriced");
    // The first instant it is in force, and the exact name beats the pattern.
    let r = event(&app, &company, at("llm-2", "2026-11-10T00:00:00Z")).await;
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["costSource"].as_str()),
        (Some(100), Some("computed"))
    );
    let r = event(&app, &company, at("llm-3", "2026-11-10T00:00:00Z")).await;
    assert_eq!(
        r.body["costCents"], 500,
        "the pattern prices what has no exact entry"
    );
    let before_change = r.body["id"].clone();

    // A new price from the 12th does not rewrite the past.
    let r = put_price(
        &app,
        json!({
            "provider": "acme", "model": "llm-*", "effectiveFrom": "2026-11-12T00:00:00Z",
            "inputMicroCentsPerMTok": 700_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        event(&app, &company, at("llm-3", "2026-11-11T23:00:00Z"))
            .await
            .body["costCents"],
        500
    );
    assert_eq!(
        event(&app, &company, at("llm-3", "2026-11-12T00:00:00Z"))
            .await
            .body["costCents"],
        700
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
            "provider": "acme", "model": "llm-*", "effectiveFrom": "2026-11-12",
            "inputMicroCentsPerMTok": 600_000_000, "outputMicroCentsPerMTok": 0,
        }),
    )
    .await;
    assert_eq!(
        (r.status, r.body["inputMicroCentsPerMTok"].as_i64()),
        (StatusCode::OK, Some(600_000_000))
    );
    assert_eq!(
        event(&app, &company, at("llm-3", "2026-11-13T00:00:00Z"))
            .await
            .body["costCents"],
        600
    );
}

#[tokio::test]
async fn bad_prices_are_refused() {
    let app = spawn_app().await;
    let before = app
        .get("/api/model-prices")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    let good = json!({"provider": "acme", "model": "m", "effectiveFrom": "2026-01-01",
        "inputMicroCentsPerMTok": 1, "outputMicroCentsPerMTok": 1});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("model", json!("ll*m")), "model"),
        (with("model", json!("*")), "model"),
        (with("provider", json!("")), "provider"),
        (with("effectiveFrom", json!("soon")), "effectiveFrom"),
        (
            with("inputMicroCentsPerMTok", json!(-1)),
            "inputMicroCentsPerMTok",
        ),
        (
            with("outputMicroCentsPerMTok", json!(1.5)),
            "outputMicroCentsPerMTok",
        ),
        (
            with("cachedInputMicroCentsPerMTok", json!(-2)),
            "cachedInputMicroCentsPerMTok",
        ),
        (
            json!({"provider": "acme", "model": "m", "effectiveFrom": "2026-01-01"}),
            "inputMicroCentsPerMTok",
        ),
    ] {
        let r = put_price(&app, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert!(r.fields().contains(&field.to_owned()), "{body}: {}", r.text);
    }
    assert_eq!(
        app.get("/api/model-prices")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        before
    );
}

#[tokio::test]
async fn reprice_dry_run_changes_nothing_and_apply_does_exactly_that() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 1000).await;
    let other = app.agent(&company, "b", 0).await;
    // Unpriced spend the budget cannot see: a model with no price yet.
    for (who, tokens) in [(&agent, 2_000_000), (&agent, 1_000_000), (&other, 500_000)] {
        let r = event(
            &app,
            &company,
            json!({
                "agentId": who, "provider": "acme", "model": "new-model", "inputTokens": tokens,
            }),
        )
        .await;
        assert_eq!(r.body["costSource"], "unpriced");
    }
    // And one unknown to any price even after.
    event(
        &app,
        &company,
        json!({"agentId": other, "provider": "acme", "model": "other", "inputTokens": 5}),
    )
    .await;
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s.body["spendCents"].as_i64(),
            s.body["unpricedEventCount"].as_i64()
        ),
        (Some(0), Some(4))
    );
    assert_eq!(s.body["unpricedTokens"], 3_500_005);

    // $4 per million input tokens from the start of the month.
    put_price(
        &app,
        json!({"provider": "acme", "model": "new-model", "effectiveFrom": "2026-11-01",
        "inputMicroCentsPerMTok": 400_000_000, "outputMicroCentsPerMTok": 0}),
    )
    .await;

    let path = format!("/api/companies/{company}/reprice?month=2026-11");
    let dry = app.post(&path, json!({})).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert_eq!(dry.body["applied"], false);
    assert_eq!(dry.body["unpricedEvents"], 4);
    assert_eq!(dry.body["repricedEvents"], 3);
    assert_eq!(dry.body["stillUnpricedEvents"], 1);
    assert_eq!(dry.body["addedCents"], 1400); // 3.5M tokens x $4 per million
    let s2 = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s2.body, s.body, "a dry run changes nothing");
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["status"],
        "active"
    );

    let applied = app.post(&format!("{path}&apply=true"), json!({})).await;
    assert_eq!(applied.status, StatusCode::OK);
    assert_eq!(applied.body["applied"], true);
    for k in [
        "unpricedEvents",
        "repricedEvents",
        "stillUnpricedEvents",
        "addedCents",
        "addedMicroCents",
    ] {
        assert_eq!(
            applied.body[k], dry.body[k],
            "{k}: applied exactly what the dry run said"
        );
    }
    let s3 = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s3.body["spendCents"].as_i64(),
            s3.body["unpricedEventCount"].as_i64()
        ),
        (Some(1400), Some(1))
    );
    assert_eq!(s3.body["unpricedTokens"], 5);
    let by_agent = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    let a = by_agent
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agentId"] == agent.as_str())
        .unwrap();
    assert_eq!(a["costCents"], 1200);
    // ... which pushed the agent over its $10 budget: a hard stop, in the same transaction.
    let a = app.get(&format!("/api/agents/{agent}")).await;
    assert_eq!(
        (a.body["status"].as_str(), a.body["pauseReason"].as_str()),
        (Some("paused"), Some("budget"))
    );
    let mut kinds: Vec<(String, String)> = app
        .alerts(&company)
        .await
        .iter()
        .map(|x| {
            (
                x["scopeId"].as_str().unwrap().to_owned(),
                x["threshold"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (agent.clone(), "hard".into()),
            (agent.clone(), "soft".into())
        ]
    );
    let events = app
        .get(&format!(
            "/api/companies/{company}/cost-events?agentId={agent}"
        ))
        .await;
    let mut priced: Vec<(i64, &str, bool)> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["costCents"].as_i64().unwrap(),
                e["costSource"].as_str().unwrap(),
                e["priceId"].is_string(),
            )
        })
        .collect();
    priced.sort();
    assert_eq!(
        priced,
        vec![(400, "computed", true), (800, "computed", true)],
        "both of the agent's events were priced"
    );

    // Nothing left to do: a second apply changes nothing.
    let again = app.post(&format!("{path}&apply=true"), json!({})).await;
    assert_eq!(
        (
            again.body["repricedEvents"].as_i64(),
            again.body["addedCents"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(
        app.get(&format!("/api/companies/{company}/costs/summary"))
            .await
            .body["spendCents"],
        1400
    );
    let r = app.post(&format!("{path}&apply=maybe"), json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.post("/api/companies/nope/reprice", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
