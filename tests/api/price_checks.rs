//! Prices and costs the rules refuse: a bad price (400 naming the field), and a computed
//! cost above what one event may cost (422 naming the token field).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::spawn_app,
    prices::{event, put_price},
};

#[tokio::test]
async fn a_computed_cost_above_a_million_dollars_is_refused_naming_the_token_field() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // The most a price may be: $100,000 per million output tokens.
    let r = put_price(
        &app,
        json!({"provider": "acme", "model": "dear", "effectiveFrom": "2026-11-01",
               "inputMicroCentsPerMTok": 1, "outputMicroCentsPerMTok": 10_000_000_000_000_i64}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let dear = |output: i64| json!({"agentId": agent, "provider": "acme", "model": "dear", "outputTokens": output});
    // Ten million tokens: exactly $1,000,000, the most one event may cost.
    let r = event(&app, &company, dear(10_000_000)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["costCents"], 100_000_000);
    let r = event(&app, &company, dear(10_000_001)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), vec!["outputTokens"]);
    // A trillion tokens (the most an event may have) at the top price: refused, not wrapped.
    let r = event(&app, &company, dear(1_000_000_000_000)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(app.event_count(&company).await, 1);
}

#[tokio::test]
async fn bad_prices_are_refused() {
    let app = spawn_app().await;
    let before = app.get("/api/model-prices").await.body;
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
        (with("model", json!("x".repeat(201))), "model"),
        (with("model", json!("a\u{1b}[31mb")), "model"),
        (with("provider", json!("")), "provider"),
        (with("provider", json!("ac\nme")), "provider"),
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
            with("outputMicroCentsPerMTok", json!(10_000_000_000_001_i64)),
            "outputMicroCentsPerMTok",
        ),
        (
            json!({"provider": "acme", "model": "m", "effectiveFrom": "2026-01-01"}),
            "inputMicroCentsPerMTok",
        ),
        (with("longContext", json!(7)), "longContext"),
        (
            with("longContext", json!({"inputMicroCentsPerMTok": 1})),
            "longContext.aboveInputTokens",
        ),
        (
            with(
                "longContext",
                json!({"aboveInputTokens": 0, "inputMicroCentsPerMTok": 1}),
            ),
            "longContext.aboveInputTokens",
        ),
        (
            with(
                "longContext",
                json!({"aboveInputTokens": 5, "inputMicroCentsPerMTok": -1}),
            ),
            "longContext.inputMicroCentsPerMTok",
        ),
    ] {
        let r = put_price(&app, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert!(r.fields().contains(&field.to_owned()), "{body}: {}", r.text);
    }
    assert_eq!(app.get("/api/model-prices").await.body, before);
}
