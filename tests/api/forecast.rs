//! The burn-rate forecast on report rows, and the forecast alert (from the 5th, under 80%,
//! once), with the injected clock.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    enforcement::alert_kinds,
    helpers::{TestApp, at, spawn_app, spawn_app_with},
};

/// Spends `cents` for `agent` as if it occurred at `when`.
async fn spend_at(app: &TestApp, company: &str, agent: &str, cents: i64, when: &str, extra: Value) {
    let mut extra = extra;
    extra["occurredAt"] = json!(when);
    let r = app.cost(company, agent, cents, extra).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn forecast_fields_on_a_seeded_month() {
    let app = spawn_app().await;
    // NOW is 2026-11-15T12:00Z: the last 7 full days are the 8th..14th.
    let company = app.company("Acme", 20_000).await;
    let agent = app.agent(&company, "a", 50_000).await;
    let project = app.project(&company, "p", 0).await;
    let with_project = json!({"projectId": project});
    for day in 1..=7 {
        let when = format!("2026-11-{day:02}T10:00:00Z");
        spend_at(&app, &company, &agent, 500, &when, with_project.clone()).await;
    }
    for day in 8..=14 {
        let when = format!("2026-11-{day:02}T10:00:00Z");
        spend_at(&app, &company, &agent, 1_000, &when, with_project.clone()).await;
    }
    spend_at(
        &app,
        &company,
        &agent,
        200,
        "2026-11-15T11:00:00Z",
        with_project,
    )
    .await;

    // 3500 + 7000 + 200 spent; 7000 / 7 a day; 15 days left after the 15th.
    let expected = |exhaustion: Value| {
        json!({
            "projectedMonthEndCents": 10_700 + 15 * 1_000,
            "projectedExhaustionDate": exhaustion,
            "dailyRateCents": 1_000,
            "method": "last_7_full_days",
        })
    };
    let summary = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    assert_eq!(summary.body["spendCents"], 10_700);
    // 20000 - 10700 = 9300 missing at 1000 a day: 10 days after the 15th.
    assert_eq!(summary.body["forecast"], expected(json!("2026-11-25")));

    let agents = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    assert_eq!(
        agents.body[0]["forecast"],
        expected(Value::Null),
        "50000 is never reached this month"
    );
    let projects = app
        .get(&format!("/api/companies/{company}/costs/by-project"))
        .await;
    let rows = projects.body.as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["projectName"] == name).unwrap();
    assert_eq!(row("p")["forecast"], expected(Value::Null), "no budget");
    assert_eq!(
        row("Unassigned")["forecast"],
        json!({"projectedMonthEndCents": 0, "projectedExhaustionDate": null,
               "dailyRateCents": 0, "method": "last_7_full_days"})
    );

    // Another month is not heading anywhere: no forecast.
    let past = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?month=2026-10"
        ))
        .await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(past.body.get("forecast").is_none(), "{}", past.text);

    // The projection reached 100% at 53.5% spend: one forecast alert, for the company.
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![("company".into(), "forecast".into())]
    );

    // The dashboard, rendered on the server, says the same.
    let page = app.get(&format!("/companies/{company}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("$257.00 by month end"), "{}", page.text);
    assert!(
        page.text.contains("runs out on 2026-11-25"),
        "{}",
        page.text
    );
    let alerts_page = app.get(&format!("/companies/{company}/alerts")).await;
    assert!(
        alerts_page.text.contains("Forecast: runs out this month"),
        "{}",
        alerts_page.text
    );
}

#[tokio::test]
async fn the_forecast_alert_waits_for_the_5th_and_is_raised_once_by_the_periodic_task() {
    // The periodic task runs only when the test calls it.
    let app = spawn_app_with(|s| s.reconcile_interval_ms = 3_600_000).await;
    app.clock.set(at("2026-11-04T12:00:00Z"));
    let company = app.company("Acme", 0).await;
    let steady = app.agent(&company, "steady", 10_000).await;
    let late = app.agent(&company, "late", 1_000).await;
    for day in 1..=3 {
        let when = format!("2026-11-{day:02}T10:00:00Z");
        spend_at(&app, &company, &steady, 1_000, &when, json!({})).await;
    }
    spend_at(
        &app,
        &company,
        &late,
        850,
        "2026-11-02T10:00:00Z",
        json!({}),
    )
    .await;
    app.service.reconcile().await.unwrap();
    // 30% spent, 29000 projected, but the 4th is too early; `late` is past 80% already.
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![("agent".into(), "soft".into())]
    );

    // The 5th, with no spend since: the periodic task raises it (a quiet day hides nothing).
    app.clock.set(at("2026-11-05T00:30:00Z"));
    app.service.reconcile().await.unwrap();
    let alerts = app.alerts(&company).await;
    let forecast: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["threshold"] == "forecast")
        .collect();
    assert_eq!(forecast.len(), 1, "{alerts:?}");
    assert_eq!(forecast[0]["scopeId"], steady.as_str());
    // 3000 over the 1st..4th is 750 a day; 3000 + 25 * 750 projected.
    assert_eq!(
        (
            forecast[0]["budgetCents"].as_i64(),
            forecast[0]["observedCents"].as_i64()
        ),
        (Some(10_000), Some(21_750))
    );
    assert_eq!(forecast[0]["windowStart"], "2026-11-01T00:00:00Z");
    let agent = app.get(&format!("/api/agents/{steady}")).await;
    assert_eq!(agent.body["status"], "active", "a forecast pauses nothing");

    // More spend and more runs: still one.
    app.spend(&company, &steady, 100).await;
    app.service.reconcile().await.unwrap();
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("agent".into(), "forecast".into()),
            ("agent".into(), "soft".into())
        ]
    );
}

#[tokio::test]
async fn ingest_raises_the_forecast_alert_exactly_once_under_a_race() {
    let app = spawn_app_with(|s| s.reconcile_interval_ms = 3_600_000).await;
    app.clock.set(at("2026-11-10T12:00:00Z"));
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 20_000).await;
    // 64 events of 100 on the 9th (a full day of the 3rd..9th window): k events project
    // 100k + 20 days * 100k / 7, which reaches 20000 from the 52nd on (5200 spent, 26%).
    let url = format!("{}/api/companies/{company}/cost-events", app.base);
    let replies = join_all((0..64).map(|_| {
        let req = app.client.post(&url).json(&json!({
            "agentId": agent, "provider": "anthropic", "model": "m", "costCents": 100,
            "occurredAt": "2026-11-09T10:00:00Z",
        }));
        async move { TestApp::reply(req.send().await.unwrap()).await }
    }))
    .await;
    assert_eq!(
        replies.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![StatusCode::CREATED; 64]
    );
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![("agent".into(), "forecast".into())],
        "raised at ingest, once"
    );
}
