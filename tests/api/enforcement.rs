//! Budget enforcement: 80% soft alert, 100% hard stop, for company, agent and project;
//! pause and resume rules; races. (Month edges and the rollover are in `months.rs`.)

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

pub(crate) fn alert_kinds(alerts: &[Value]) -> Vec<(String, String)> {
    let mut kinds: Vec<(String, String)> = alerts
        .iter()
        .map(|a| {
            (
                a["scopeType"].as_str().unwrap().to_owned(),
                a["threshold"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    kinds
}

pub(crate) async fn status(app: &TestApp, path: &str) -> (String, Value) {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    (
        r.body["status"].as_str().unwrap().to_owned(),
        r.body["pauseReason"].clone(),
    )
}

#[tokio::test]
async fn agent_soft_alert_at_80_and_hard_stop_at_100() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 1000).await;

    let e = app.spend(&company, &agent, 799).await;
    assert_eq!(e["enforcement"]["softAlert"], false);
    assert!(
        app.alerts(&company).await.is_empty(),
        "79.9% raises nothing"
    );

    let e = app.spend(&company, &agent, 1).await;
    assert_eq!(e["enforcement"]["agentUtilizationPercent"], 80.0);
    assert_eq!(
        (
            e["enforcement"]["softAlert"].as_bool(),
            e["enforcement"]["hardStop"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        e["enforcement"]["agentStatus"], "active",
        "the agent keeps working at 80%"
    );
    let alerts = app.alerts(&company).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (
            alerts[0]["scopeType"].as_str(),
            alerts[0]["threshold"].as_str()
        ),
        (Some("agent"), Some("soft"))
    );
    assert_eq!(
        (
            alerts[0]["budgetCents"].as_i64(),
            alerts[0]["observedCents"].as_i64()
        ),
        (Some(1000), Some(800))
    );
    assert_eq!(alerts[0]["scopeName"], "a");
    assert_eq!(alerts[0]["windowStart"], "2026-11-01T00:00:00Z");

    app.spend(&company, &agent, 100).await;
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![("agent".into(), "soft".into())],
        "one soft alert per month, however many events"
    );
    let by_agent = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    assert_eq!(by_agent.body[0]["utilizationPercent"], 90.0);

    let e = app.spend(&company, &agent, 100).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    assert_eq!(e["enforcement"]["hardStop"], true);
    assert_eq!(
        e["enforcement"]["agentUtilizationPercent"], 100.0,
        "exactly 100% is a stop"
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{agent}")).await,
        ("paused".into(), json!("budget"))
    );
    let agent_row = app.get(&format!("/api/agents/{agent}")).await;
    assert!(agent_row.body["pausedAt"].is_string());
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("agent".into(), "hard".into()),
            ("agent".into(), "soft".into())
        ]
    );

    // Still counted while paused; no second hard alert.
    let e = app.spend(&company, &agent, 50).await;
    assert_eq!(e["enforcement"]["agentUtilizationPercent"], 105.0);
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("agent".into(), "hard".into()),
            ("agent".into(), "soft".into())
        ]
    );
}

#[tokio::test]
async fn one_event_jumping_past_100_raises_both_alerts() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 100).await;
    let e = app.spend(&company, &agent, 250).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("agent".into(), "hard".into()),
            ("agent".into(), "soft".into())
        ]
    );
}

#[tokio::test]
async fn company_hard_stop_pauses_the_company_and_all_its_agents() {
    let app = spawn_app().await;
    let company = app.company("Acme", 1000).await;
    let a = app.agent(&company, "a", 0).await;
    let b = app.agent(&company, "b", 0).await;
    let manual = app.agent(&company, "manual", 0).await;
    app.patch(
        &format!("/api/agents/{manual}"),
        json!({"status": "paused"}),
    )
    .await;
    let other = app.company("Globex", 1000).await;
    let bystander = app.agent(&other, "x", 0).await;

    let e = app.spend(&company, &a, 800).await;
    assert_eq!(e["enforcement"]["companyUtilizationPercent"], 80.0);
    assert_eq!(e["enforcement"]["softAlert"], true);
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s.body["status"], "warning");

    let e = app.spend(&company, &b, 200).await;
    assert_eq!(e["enforcement"]["companyStatus"], "paused");
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    assert_eq!(
        status(&app, &format!("/api/companies/{company}")).await,
        ("paused".into(), json!("budget"))
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{a}")).await,
        ("paused".into(), json!("budget"))
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{b}")).await,
        ("paused".into(), json!("budget"))
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{manual}")).await,
        ("paused".into(), json!("manual")),
        "a manual pause stays manual"
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{bystander}")).await,
        ("active".into(), Value::Null)
    );
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s.body["status"].as_str(),
            s.body["utilizationPercent"].as_f64()
        ),
        (Some("hard_stop"), Some(100.0))
    );
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("company".into(), "hard".into()),
            ("company".into(), "soft".into())
        ]
    );

    // An agent cannot be resumed by hand while its company is over budget.
    let r = app
        .patch(&format!("/api/agents/{a}"), json!({"status": "active"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.body["error"].as_str().unwrap().contains("company"));

    // Raising the company budget resumes the company and the agents it paused, not the manual one.
    let r = app
        .patch(
            &format!("/api/companies/{company}"),
            json!({"budgetMonthlyCents": 5000}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{a}")).await,
        ("active".into(), Value::Null)
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{b}")).await,
        ("active".into(), Value::Null)
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{manual}")).await,
        ("paused".into(), json!("manual"))
    );
}

#[tokio::test]
async fn raising_the_company_budget_keeps_agents_over_their_own_budget_paused() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100).await;
    let capped = app.agent(&company, "capped", 50).await;
    let free = app.agent(&company, "free", 0).await;
    app.spend(&company, &capped, 60).await; // over its own budget
    app.spend(&company, &free, 40).await; // the company reaches 100
    assert_eq!(
        status(&app, &format!("/api/companies/{company}")).await.0,
        "paused"
    );
    app.patch(
        &format!("/api/companies/{company}/budgets"),
        json!({"budgetMonthlyCents": 0}),
    )
    .await;
    assert_eq!(
        status(&app, &format!("/api/companies/{company}")).await.0,
        "active",
        "budget 0 means none"
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{free}")).await.0,
        "active"
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{capped}")).await,
        ("paused".into(), json!("budget"))
    );
}

#[tokio::test]
async fn project_budgets_alert_and_pause_the_project() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let project = app.project(&company, "Launch", 500).await;
    let r = app
        .cost(&company, &agent, 400, json!({"projectId": project}))
        .await;
    assert_eq!(r.body["enforcement"]["projectUtilizationPercent"], 80.0);
    assert_eq!(r.body["enforcement"]["softAlert"], true);
    let r = app
        .cost(&company, &agent, 100, json!({"projectId": project}))
        .await;
    assert_eq!(r.body["enforcement"]["projectStatus"], "paused");
    assert_eq!(r.body["enforcement"]["hardStop"], true);
    assert_eq!(
        r.body["enforcement"]["agentStatus"], "active",
        "a project stop does not pause the agent"
    );
    assert_eq!(
        status(&app, &format!("/api/projects/{project}")).await,
        ("paused".into(), json!("budget"))
    );
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("project".into(), "hard".into()),
            ("project".into(), "soft".into())
        ]
    );
    let r = app
        .patch(
            &format!("/api/projects/{project}"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .patch(
            &format!("/api/projects/{project}/budgets"),
            json!({"budgetMonthlyCents": 1000}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );
}

#[tokio::test]
async fn resume_rules_for_an_agent() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 100).await;
    app.spend(&company, &agent, 100).await;
    let path = format!("/api/agents/{agent}");
    assert_eq!(status(&app, &path).await.0, "paused");

    let r = app.patch(&path, json!({"status": "active"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "resuming while over budget");
    assert_eq!(
        status(&app, &path).await,
        ("paused".into(), json!("budget")),
        "a refused request changes nothing"
    );

    // Raising the budget to exactly the spend is still 100%: still paused.
    let r = app.patch(&path, json!({"budgetMonthlyCents": 100})).await;
    assert_eq!(r.body["status"], "paused");
    // Above the spend: resumed at once.
    let r = app.patch(&path, json!({"budgetMonthlyCents": 101})).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["pauseReason"].clone()),
        (Some("active"), Value::Null)
    );

    // Lowering the budget below the spend stops at once.
    let r = app.patch(&path, json!({"budgetMonthlyCents": 50})).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["pauseReason"].as_str()),
        (Some("paused"), Some("budget"))
    );
    // Removing the budget resumes.
    let r = app
        .patch(&format!("{path}/budgets"), json!({"budgetMonthlyCents": 0}))
        .await;
    assert_eq!(r.body["status"], "active");

    // A manual pause is not lifted by a budget change, only by hand.
    app.patch(&path, json!({"status": "paused"})).await;
    let r = app
        .patch(&path, json!({"budgetMonthlyCents": 100000}))
        .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["pauseReason"].as_str()),
        (Some("paused"), Some("manual"))
    );
    let r = app.patch(&path, json!({"status": "active"})).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );

    // Budget and status in one request: the budget applies first.
    app.patch(&path, json!({"budgetMonthlyCents": 10})).await;
    assert_eq!(status(&app, &path).await.0, "paused");
    let r = app
        .patch(
            &path,
            json!({"budgetMonthlyCents": 1000, "status": "active"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );
}

#[tokio::test]
async fn sixty_four_concurrent_events_add_up_and_cross_once() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 1000).await;
    let url = format!("{}/api/companies/{company}/cost-events", app.base);
    let replies = join_all((0..64).map(|i| {
        let req = app.client.post(&url).json(&json!({
            "agentId": agent, "provider": "anthropic", "model": "m", "costCents": 25 + (i % 3),
        }));
        async move { TestApp::reply(req.send().await.unwrap()).await }
    }))
    .await;
    assert_eq!(
        replies.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![StatusCode::CREATED; 64]
    );
    let expected: i64 = (0..64).map(|i| 25 + (i % 3)).sum();
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (s.body["spendCents"].as_i64(), s.body["eventCount"].as_i64()),
        (Some(expected), Some(64))
    );
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["spentMonthlyCents"],
        expected
    );
    assert_eq!(
        alert_kinds(&app.alerts(&company).await),
        vec![
            ("agent".into(), "hard".into()),
            ("agent".into(), "soft".into())
        ],
        "exactly one soft and one hard alert"
    );
    assert_eq!(
        status(&app, &format!("/api/agents/{agent}")).await.0,
        "paused"
    );
    // The answers tell the story in order: some active, then paused from the crossing on.
    let paused = replies
        .iter()
        .filter(|r| r.body["enforcement"]["agentStatus"] == "paused")
        .count();
    assert!(paused > 0 && paused < 64, "{paused} answers said paused");
}
