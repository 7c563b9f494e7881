//! The dashboard's reprice screen calls: the dry run is the REST dry run and changes
//! nothing; apply does what it showed; a bad month is a 400 naming it.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::{
    helpers::spawn_app,
    prices::{event, put_price},
};

#[tokio::test]
async fn the_dashboards_dry_run_and_apply_are_the_apis() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 1000).await;
    for tokens in [2_000_000, 1_000_000] {
        let r = event(
            &app,
            &company,
            json!({"agentId": agent, "provider": "acme", "model": "new-model", "inputTokens": tokens}),
        )
        .await;
        assert_eq!(r.body["costSource"], "unpriced");
    }
    put_price(
        &app,
        json!({"provider": "acme", "model": "new-model", "effectiveFrom": "2026-11-01",
        "inputMicroCentsPerMTok": 400_000_000, "outputMicroCentsPerMTok": 0}),
    )
    .await;
    let spent = || async {
        app.get(&format!("/api/companies/{company}")).await.body["spentMonthlyCents"].clone()
    };

    let bad = app
        .rpc(
            "reprice_dry_run",
            &[("company_id", &company), ("month", "2026-13")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(bad.body["details"][0]["field"], "month", "{}", bad.text);
    let bad = app
        .rpc(
            "reprice_apply",
            &[("company_id", &company), ("month", "November")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(spent().await, 0, "nothing repriced");

    let dry = app
        .rpc(
            "reprice_dry_run",
            &[("company_id", &company), ("month", "2026-11")],
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    let rest = app
        .post(
            &format!("/api/companies/{company}/reprice?month=2026-11"),
            json!({}),
        )
        .await;
    assert_eq!(dry.body, rest.body, "the REST dry run's answer");
    assert_eq!(
        (
            &dry.body["repricedEvents"],
            &dry.body["addedCents"],
            &dry.body["applied"]
        ),
        (&json!(2), &json!(1200), &json!(false))
    );
    assert_eq!(spent().await, 0, "a dry run changes nothing");

    let applied = app
        .rpc(
            "reprice_apply",
            &[("company_id", &company), ("month", "2026-11")],
        )
        .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);
    assert_eq!(applied.body["applied"], true);
    assert_eq!(
        applied.headers[header::LOCATION],
        format!("/companies/{company}/reprice?month=2026-11&repriced=2&added=1200").as_str()
    );
    assert_eq!(spent().await, 1200);
    let agent_now = app.get(&format!("/api/agents/{agent}")).await.body;
    assert_eq!(
        agent_now["status"], "paused",
        "the budget is settled again: $12 of $10"
    );
}
