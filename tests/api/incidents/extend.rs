//! `extend_month`: extra room for the current month only, shown beside the budget, gone on
//! the 1st (injected clock).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{open_incident, resolve, stopped_agent};
use crate::{
    enforcement::status,
    helpers::{at, spawn_app},
};

#[tokio::test]
async fn extend_month_adds_room_until_the_rollover() {
    let app = spawn_app().await;
    let (company, agent) = stopped_agent(&app, 100).await;
    let agent_path = format!("/api/agents/{agent}");
    let hard = open_incident(&app, &company, &agent, "hard").await;
    let id = hard["id"].as_str().unwrap();
    for body in [
        json!({"action": "extend_month"}),
        json!({"action": "extend_month", "amountCents": -1}),
        json!({"action": "extend_month", "amountCents": "50"}),
    ] {
        let r = resolve(&app, id, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.fields(), vec!["amountCents".to_owned()]);
    }
    assert_eq!(app.get(&agent_path).await.body["extensionCents"], 0);

    let r = resolve(
        &app,
        id,
        json!({"action": "extend_month", "amountCents": 50}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["resolution"], "extend_month");
    let a = app.get(&agent_path).await.body;
    assert_eq!(
        a["budgetMonthlyCents"], 100,
        "the budget itself is unchanged"
    );
    assert_eq!(a["extensionCents"], 50);
    assert_eq!(a["utilizationPercent"], 66.67);
    assert_eq!(
        (a["status"].clone(), a["pauseReason"].clone()),
        (json!("active"), Value::Null)
    );
    let budget_status = app.get(&format!("/api/agents/{agent}/budget-status")).await;
    assert_eq!(budget_status.body["mayRun"], true, "{}", budget_status.text);

    // The extended budget is the one enforced: 49 more is fine, the 50th stops it again.
    let e = app.spend(&company, &agent, 49).await;
    assert_eq!(e["enforcement"]["agentStatus"], "active");
    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");

    // A budget-less scope has nothing to extend: 422, nothing written.
    let free = app.agent(&company, "free", 0).await;
    let r = app
        .patch(
            &format!("/api/agents/{free}"),
            json!({"maxHourlyCents": 10}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    app.spend(&company, &free, 10).await;
    let rate = open_incident(&app, &company, &free, "rate").await;
    let r = resolve(
        &app,
        rate["id"].as_str().unwrap(),
        json!({"action": "extend_month", "amountCents": 50}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/agents/{free}")).await.body["extensionCents"],
        0
    );

    // The 1st: the extension is gone, the plain budget of 100 applies to December.
    app.clock.set(at("2026-12-01T00:00:00Z"));
    app.service.reconcile().await.unwrap();
    let a = app.get(&agent_path).await.body;
    assert_eq!(a["extensionCents"], 0);
    assert_eq!(a["status"], "active");
    let e = app.spend(&company, &agent, 99).await;
    assert_eq!(e["enforcement"]["agentStatus"], "active");
    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(
        e["enforcement"]["agentStatus"], "paused",
        "100 of 100 in December"
    );
    assert_eq!(
        status(&app, &agent_path).await,
        ("paused".into(), json!("budget"))
    );
    // November's report still shows November's extension.
    let nov = app
        .get(&format!(
            "/api/companies/{company}/costs/by-agent?month=2026-11"
        ))
        .await;
    let row = nov
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agentId"] == agent.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["budgetCents"], 100);
}
