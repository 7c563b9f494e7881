//! Importing LiteLLM's price map: the diff, the dry run that changes nothing, the apply
//! that adds new rows only, idempotence, refusals naming the entry, the dashboard's upload
//! and the shipped seed agreeing with the importer.

use reqwest::{Client, StatusCode, header, redirect::Policy};
use serde_json::{Value, json};

use crate::{
    helpers::{Reply, TestApp, spawn_app, spawn_authenticated_app},
    prices::{event, put_price},
};

const SMALL: &str = include_str!("../fixtures/litellm-prices-small.json");
const SEED_MAP: &str = include_str!("../fixtures/litellm-1.110.2-major.json");

async fn import(app: &TestApp, query: &str, map: &str) -> Reply {
    app.raw(
        reqwest::Method::POST,
        &format!("/api/model-prices/import?{query}"),
        map.to_owned(),
    )
    .await
}

fn models(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["provider"].as_str().unwrap(),
                p["model"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_shipped_seed_is_exactly_what_the_importer_reads_from_the_map() {
    let app = spawn_app().await;
    let r = import(&app, "", SEED_MAP).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["applied"], false);
    assert_eq!(
        r.body["new"],
        json!([]),
        "the seed lacks nothing the map has"
    );
    assert_eq!(
        r.body["changed"],
        json!([]),
        "and prices nothing differently"
    );
    assert_eq!(r.body["unchanged"].as_array().unwrap().len(), 331);
    assert_eq!(
        r.body["providers"],
        json!(["anthropic", "google", "openai"])
    );
    let seeded = app.get("/api/model-prices").await.body;
    assert_eq!(seeded.as_array().unwrap().len(), 331);
}

#[tokio::test]
async fn importing_a_map_adds_what_is_new_once_and_reprices_with_it() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // Opus 4.1 is not in the shipped book (the 1.110.2 map no longer lists it): unpriced.
    let tokens = |model: &str| {
        json!({"agentId": agent, "provider": "anthropic", "model": model,
        "inputTokens": 120_000, "cachedInputTokens": 80_000, "cacheWriteTokens": 10_000,
        "outputTokens": 4_000, "occurredAt": "2026-11-02T10:00:00Z"})
    };
    let old = event(&app, &company, tokens("claude-opus-4-1-20250805")).await;
    assert_eq!(old.body["costSource"], "unpriced");
    let new = event(&app, &company, tokens("claude-opus-4-5-20251101")).await;
    assert_eq!(new.body["costMicroCents"], 35_250_000);
    // An operator's price the map corrects.
    let r = put_price(
        &app,
        json!({"provider": "openai", "model": "gpt-5.1", "effectiveFrom": "2026-11-01",
               "inputMicroCentsPerMTok": 125_000_000, "cachedInputMicroCentsPerMTok": 31_000_000,
               "outputMicroCentsPerMTok": 1_000_000_000}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let book = app.get("/api/model-prices").await.body;

    let dry = import(&app, "effectiveFrom=2025-01-01&fileName=small.json", SMALL).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert_eq!(
        models(&dry.body["new"]),
        vec![
            "anthropic/claude-opus-4-1",
            "anthropic/claude-opus-4-1-*",
            "anthropic/claude-opus-4-1-20250805",
            "openai/noisy-float-model",
            "openai/noisy-float-model-*",
        ]
    );
    assert_eq!(
        dry.body["changed"],
        json!([]),
        "the operator's price starts later"
    );
    assert_eq!(
        app.get("/api/model-prices").await.body,
        book,
        "a dry run changes nothing"
    );
    // From the 15th on, the operator's price is in force and differs.
    let dry = import(&app, "fileName=small.json", SMALL).await;
    assert_eq!(
        dry.body["effectiveFrom"], "2026-11-15T00:00:00Z",
        "today by default"
    );
    let changed = &dry.body["changed"];
    assert_eq!(changed.as_array().unwrap().len(), 1, "{changed}");
    assert_eq!(
        changed[0]["before"]["cachedInputMicroCentsPerMTok"],
        31_000_000
    );
    assert_eq!(
        changed[0]["after"]["cachedInputMicroCentsPerMTok"],
        12_500_000
    );
    assert_eq!(changed[0]["after"]["entry"], "gpt-5.1");
    let skipped: Vec<&str> = dry.body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["entry"].as_str().unwrap())
        .collect();
    assert!(skipped.contains(&"dall-e-3") && skipped.contains(&"two-tier-model"));
    assert_eq!(dry.body["otherProviders"], 3);

    let applied = import(&app, "apply=true&effectiveFrom=2025-01-01", SMALL).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);
    assert_eq!(applied.body["applied"], true);
    assert_eq!(applied.body["new"].as_array().unwrap().len(), 5);
    let after = app.get("/api/model-prices").await.body;
    assert_eq!(
        after.as_array().unwrap().len(),
        book.as_array().unwrap().len() + 5
    );
    // Idempotent: the same map again adds nothing.
    let again = import(&app, "apply=true&effectiveFrom=2025-01-01", SMALL).await;
    assert_eq!(
        (again.body["new"].clone(), again.body["changed"].clone()),
        (json!([]), json!([]))
    );
    assert_eq!(app.get("/api/model-prices").await.body, after);

    let reprice = app
        .post(
            &format!("/api/companies/{company}/reprice?month=2026-11&apply=true"),
            json!({}),
        )
        .await;
    assert_eq!(reprice.body["repricedEvents"], 1, "{}", reprice.text);
    // 30,000 x $15 + 80,000 x $1.50 + 10,000 x $18.75 + 4,000 x $75 per million tokens: three
    // times what the same tokens cost on Opus 4.5.
    assert_eq!(reprice.body["addedMicroCents"], 105_750_000);
    assert_eq!(35_250_000 * 3, 105_750_000);
    let listed = app
        .get(&format!("/api/companies/{company}/cost-events"))
        .await;
    let repriced = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == old.body["id"])
        .unwrap()
        .clone();
    assert_eq!(repriced["costSource"], "computed");
    assert_eq!(repriced["costMicroCents"], 105_750_000);
}

#[tokio::test]
async fn a_refused_import_names_the_entry_and_changes_nothing() {
    let app = spawn_app().await;
    let book = app.get("/api/model-prices").await.body;
    let long_provider = format!("apply=true&providers={}", "x".repeat(201));
    for (map, query, field) in [
        ("{\"gpt-5.1\": ", "apply=true", "file"),
        ("[]", "apply=true", "file"),
        (
            r#"{"ok": {"litellm_provider": "openai", "input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
                "bad-model": {"litellm_provider": "openai", "input_cost_per_token": -1e-6, "output_cost_per_token": 1e-6}}"#,
            "apply=true",
            "bad-model",
        ),
        (
            r#"{"x": {"litellm_provider": "anthropic", "input_cost_per_token": 1e-6, "output_cost_per_token": "cheap"}}"#,
            "apply=true",
            "x",
        ),
        ("{}", "apply=true&effectiveFrom=soon", "effectiveFrom"),
        ("{}", long_provider.as_str(), "providers"),
        ("{}", "apply=maybe", "apply"),
    ] {
        let r = import(&app, query, map).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{map}: {}", r.text);
        assert_eq!(r.fields(), vec![field.to_owned()], "{map}: {}", r.text);
    }
    let r = app
        .raw(
            reqwest::Method::POST,
            "/api/model-prices/import",
            vec![0xff_u8, 0xfe],
        )
        .await;
    assert_eq!(r.fields(), vec!["file".to_owned()]);
    assert_eq!(app.get("/api/model-prices").await.body, book);
}

#[tokio::test]
async fn only_the_board_imports() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let client = Client::new();
    let url = format!("{}/api/model-prices/import", app.base);
    let send =
        |req: reqwest::RequestBuilder| async { TestApp::reply(req.send().await.unwrap()).await };
    let company = send(
        client
            .post(format!("{}/api/companies", app.base))
            .bearer_auth(&board.token)
            .json(&json!({"name": "Acme"})),
    )
    .await
    .id();
    let agent = send(
        client
            .post(format!("{}/api/companies/{company}/agents", app.base))
            .bearer_auth(&board.token)
            .json(&json!({"name": "a"})),
    )
    .await
    .id();
    let key = send(
        client
            .post(format!("{}/api/agents/{agent}/keys", app.base))
            .bearer_auth(&board.token),
    )
    .await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    let r = send(client.post(&url).body(SMALL)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Refused before the body is read: even a broken map is a 403, not a 400.
    let json = |b: reqwest::RequestBuilder| b.header(header::CONTENT_TYPE, "application/json");
    let r = send(json(client.post(&url).bearer_auth(&key)).body("{broken")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = send(json(client.post(&url).bearer_auth(&board.token)).body(SMALL)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A multipart form as a browser sends it.
fn upload_form(map: &str) -> (String, String) {
    let boundary = "costline-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"map\"; filename=\"prices.json\"\r\n\
         Content-Type: application/json\r\n\r\n{map}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"providers\"\r\n\r\nanthropic\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"effective_from\"\r\n\r\n2025-01-01\r\n\
         --{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_dashboard_shows_an_uploaded_maps_diff_before_applying_it() {
    let app = spawn_app().await;
    let book = app.get("/api/model-prices").await.body;
    let browser = Client::builder().redirect(Policy::none()).build().unwrap();
    let (content_type, body) = upload_form(SMALL);
    let r = browser
        .post(format!("{}/prices/import", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let draft = location
        .strip_prefix("/prices?import=")
        .and_then(|rest| rest.strip_suffix("#import"))
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned();
    // The page, rendered whole on the server: the diff, and the form that applies it.
    let page = browser
        .get(format!("{}/prices?import={draft}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("prices.json: 3 new, 0 changed, 13 unchanged, 0 skipped; prices from 2025-01-01 (anthropic)."),
        "{page}"
    );
    assert!(page.contains("Apply: add 3 prices"));
    assert_eq!(
        app.get("/api/model-prices").await.body,
        book,
        "nothing applied yet"
    );

    // Applying, as a plain form post does it without JavaScript.
    let r = browser
        .post(format!("{}/rpc/apply_price_import", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("draft_id={draft}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()[header::LOCATION], "/prices?imported=3#import");
    let after = app.get("/api/model-prices").await.body;
    assert_eq!(
        after.as_array().unwrap().len(),
        book.as_array().unwrap().len() + 3
    );
    let opus = after
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["model"] == "claude-opus-4-1")
        .unwrap();
    assert_eq!(
        opus["source"],
        "LiteLLM price map (prices.json), imported 2026-11-15"
    );
    // The draft is gone once applied.
    let gone = browser
        .post(format!("{}/rpc/price_import", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("id={draft}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    // A bad map goes back to the page, saying which entry is wrong.
    let (content_type, body) = upload_form(
        r#"{"claude-x": {"litellm_provider": "anthropic", "input_cost_per_token": -1}}"#,
    );
    let r = browser
        .post(format!("{}/prices/import", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with("/prices?importError="), "{location}");
    assert!(location.contains("claude-x"), "{location}");
}
