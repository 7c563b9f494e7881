//! The runaway guard: `maxHourlyCents` on companies, agents and projects pauses a scope
//! whose trailing 60 minutes of spend reach it (`pauseReason: rate`), with one rate alert,
//! budget or no budget; the rollover does not lift it, a manager's resume re-arms it.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    enforcement::{alert_kinds, status},
    helpers::{TestApp, at, spawn_app},
};

async fn guard(app: &TestApp, path: &str, cents: i64) {
    let r = app.patch(path, json!({"maxHourlyCents": cents})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["maxHourlyCents"], cents);
}

fn rate_alerts(alerts: &[Value]) -> Vec<&Value> {
    alerts.iter().filter(|a| a["threshold"] == "rate").collect()
}

#[tokio::test]
async fn the_guard_trips_when_the_trailing_hour_reaches_the_limit_without_a_budget() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "loop", 0).await;
    let agent_path = format!("/api/agents/{agent}");
    guard(&app, &agent_path, 1_000).await;

    app.clock.set(at("2026-11-15T11:10:00Z"));
    app.spend(&company, &agent, 600).await;
    // 65 minutes later the 600 has left the trailing hour.
    app.clock.set(at("2026-11-15T12:15:00Z"));
    let e = app.spend(&company, &agent, 500).await;
    assert_eq!(e["enforcement"]["agentStatus"], "active");
    app.clock.set(at("2026-11-15T12:20:30Z"));
    let e = app.spend(&company, &agent, 499).await;
    assert_eq!(e["enforcement"]["agentStatus"], "active", "999 in the hour");
    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(
        e["enforcement"]["agentStatus"], "paused",
        "1000 in the hour"
    );
    assert_eq!(e["enforcement"]["hardStop"], true);
    assert_eq!(
        status(&app, &agent_path).await,
        ("paused".into(), json!("rate"))
    );
    let alerts = app.alerts(&company).await;
    assert_eq!(alert_kinds(&alerts), vec![("agent".into(), "rate".into())]);
    assert_eq!(
        (
            alerts[0]["budgetCents"].as_i64(),
            alerts[0]["observedCents"].as_i64()
        ),
        (Some(1_000), Some(1_000))
    );
    assert_eq!(alerts[0]["windowStart"], "2026-11-15T12:00:00Z");
    let standing = app.get(&format!("/api/agents/{agent}/budget-status")).await;
    assert_eq!(standing.body["mayRun"], false, "{}", standing.text);

    let page = app.get(&format!("/companies/{company}/agents")).await;
    assert!(page.text.contains("paused: runaway guard"), "{}", page.text);
    let page = app.get(&format!("/companies/{company}/alerts")).await;
    assert!(
        page.text.contains("Runaway guard: hourly limit"),
        "{}",
        page.text
    );

    // Spend goes on being recorded while paused, and raises nothing more.
    app.spend(&company, &agent, 5_000).await;
    assert_eq!(rate_alerts(&app.alerts(&company).await).len(), 1);

    // A bad limit is refused and changes nothing.
    let r = app.patch(&agent_path, json!({"maxHourlyCents": -1})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["details"][0]["field"], "maxHourlyCents");
    assert_eq!(app.get(&agent_path).await.body["maxHourlyCents"], 1_000);
}

#[tokio::test]
async fn a_company_guard_pauses_its_agents_survives_the_rollover_and_resuming_re_arms_it() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let company_path = format!("/api/companies/{company}");
    let a = app.agent(&company, "a", 0).await;
    let b = app.agent(&company, "b", 0).await;
    let project = app.project(&company, "p", 0).await;
    guard(&app, &company_path, 1_000).await;

    app.clock.set(at("2026-11-30T23:30:00Z"));
    app.spend(&company, &a, 400).await;
    let r = app
        .cost(&company, &b, 600, json!({"projectId": project}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        status(&app, &company_path).await,
        ("paused".into(), json!("rate"))
    );
    for agent in [&a, &b] {
        assert_eq!(
            status(&app, &format!("/api/agents/{agent}")).await.0,
            "paused",
            "the company's guard stops its agents"
        );
    }
    let project_path = format!("/api/projects/{project}");
    assert_eq!(status(&app, &project_path).await.0, "active");
    let refused = app
        .patch(&format!("/api/agents/{a}"), json!({"status": "active"}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);

    // The rollover resumes budget pauses, not this one.
    app.clock.set(at("2026-12-01T00:00:00Z"));
    app.service.reconcile().await.unwrap();
    assert_eq!(
        status(&app, &company_path).await,
        ("paused".into(), json!("rate"))
    );
    assert_eq!(status(&app, &format!("/api/agents/{a}")).await.0, "paused");

    // A manager resumes the company: its agents follow; the guard counts from now, so the
    // 1000 of 23:30 (still in the trailing hour) no longer counts.
    app.clock.set(at("2026-12-01T00:10:00Z"));
    let r = app.patch(&company_path, json!({"status": "active"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for agent in [&a, &b] {
        assert_eq!(
            status(&app, &format!("/api/agents/{agent}")).await,
            ("active".into(), Value::Null)
        );
    }
    let e = app.spend(&company, &a, 999).await;
    assert_eq!(e["enforcement"]["companyStatus"], "active", "re-armed");
    let e = app.spend(&company, &a, 1).await;
    assert_eq!(e["enforcement"]["companyStatus"], "paused", "and armed");
    let december = app.alerts(&company).await;
    assert_eq!(
        alert_kinds(&december),
        vec![("company".into(), "rate".into())]
    );
    assert_eq!(december[0]["windowStart"], "2026-12-01T00:00:00Z");
}

#[tokio::test]
async fn sixty_four_concurrent_events_trip_the_guard_once() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let project = app.project(&company, "p", 0).await;
    guard(&app, &format!("/api/agents/{agent}"), 1_000).await;
    guard(&app, &format!("/api/projects/{project}"), 2_000).await;
    let url = format!("{}/api/companies/{company}/cost-events", app.base);
    let replies = join_all((0..64).map(|_| {
        let req = app.client.post(&url).json(&json!({
            "agentId": agent, "projectId": project, "provider": "anthropic", "model": "m",
            "costCents": 100,
        }));
        async move { TestApp::reply(req.send().await.unwrap()).await }
    }))
    .await;
    assert_eq!(
        replies.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![StatusCode::CREATED; 64]
    );
    let alerts = app.alerts(&company).await;
    assert_eq!(
        alert_kinds(&alerts),
        vec![
            ("agent".into(), "rate".into()),
            ("project".into(), "rate".into())
        ],
        "exactly one rate alert per scope"
    );
    let observed = |kind: &str| {
        alerts.iter().find(|a| a["scopeType"] == kind).unwrap()["observedCents"].as_i64()
    };
    assert_eq!(
        (observed("agent"), observed("project")),
        (Some(1_000), Some(2_000)),
        "each tripped on the event that reached its limit, exactly"
    );
    let paused = replies
        .iter()
        .filter(|r| r.body["enforcement"]["agentStatus"] == "paused")
        .count();
    assert_eq!(paused, 55, "the 10th event trips the agent; 54 more follow");
}

#[tokio::test]
async fn a_project_guard_stops_the_events_naming_the_project_only() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let project = app.project(&company, "p", 0).await;
    guard(&app, &format!("/api/projects/{project}"), 500).await;
    let with_project = json!({"projectId": project});
    let r = app.cost(&company, &agent, 500, with_project.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let e = &r.body["enforcement"];
    assert_eq!(
        (
            e["projectStatus"].as_str(),
            e["agentStatus"].as_str(),
            e["hardStop"].as_bool()
        ),
        (Some("paused"), Some("active"), Some(true))
    );
    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(
        e["enforcement"]["hardStop"], false,
        "the agent works elsewhere"
    );
    assert_eq!(
        status(&app, &format!("/api/projects/{project}")).await,
        ("paused".into(), json!("rate"))
    );
}

/// A manager resumes within the minute the guard tripped in: the spend that tripped it
/// must not count again, or the next event would pause the agent at once.
#[tokio::test]
async fn resuming_in_the_minute_that_tripped_the_guard_leaves_that_spend_out() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "loop", 0).await;
    let agent_path = format!("/api/agents/{agent}");
    guard(&app, &agent_path, 500).await;

    app.clock.set(at("2026-11-15T12:20:05Z"));
    let e = app.spend(&company, &agent, 500).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    app.clock.set(at("2026-11-15T12:20:40Z"));
    let r = app.patch(&agent_path, json!({"status": "active"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(
        e["enforcement"]["agentStatus"], "active",
        "1 cent since the resume"
    );
    // Still armed: 499 more in the next minute make 500 since the resume.
    app.clock.set(at("2026-11-15T12:21:10Z"));
    let e = app.spend(&company, &agent, 498).await;
    assert_eq!(
        e["enforcement"]["agentStatus"], "active",
        "499 since the resume"
    );
    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(
        e["enforcement"]["agentStatus"], "paused",
        "500 since the resume"
    );
    assert_eq!(
        rate_alerts(&app.alerts(&company).await).len(),
        1,
        "one per hour"
    );
}
