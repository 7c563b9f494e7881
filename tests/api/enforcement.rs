//! Budget enforcement: 80% soft alert, 100% hard stop, for company, agent and project;
//! pause and resume rules; races; month edges and rollover.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, at, spawn_app};

fn alert_kinds(alerts: &[Value]) -> Vec<(String, String)> {
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

async fn status(app: &TestApp, path: &str) -> (String, Value) {
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

#[tokio::test]
async fn month_edges_are_utc() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    for (at_, cents) in [
        ("2026-10-31T23:59:59.999Z", 1),        // last millisecond of October
        ("2026-11-01T00:00:00Z", 10),           // first instant of November
        ("2026-11-01T04:59:59.999+05:00", 100), // still October in UTC
        ("2026-10-31T20:00:00-05:00", 1000),    // November 1st, 01:00 UTC
    ] {
        let r = app
            .cost(&company, &agent, cents, json!({"occurredAt": at_}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{at_}: {}", r.text);
    }
    let month = |m: &'static str| {
        let app = &app;
        let company = company.clone();
        async move {
            app.get(&format!("/api/companies/{company}/costs/summary?month={m}"))
                .await
                .body["spendCents"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(month("2026-10").await, 101);
    assert_eq!(month("2026-11").await, 1010);
    let daily = app
        .get(&format!(
            "/api/companies/{company}/costs/daily?month=2026-11"
        ))
        .await;
    assert_eq!(daily.body.as_array().unwrap().len(), 30);
    assert_eq!(
        daily.body[0],
        json!({"date": "2026-11-01", "costCents": 1010, "eventCount": 2})
    );
    let oct = app
        .get(&format!(
            "/api/companies/{company}/costs/daily?month=2026-10"
        ))
        .await;
    assert_eq!(
        oct.body[30],
        json!({"date": "2026-10-31", "costCents": 101, "eventCount": 2})
    );
}

#[tokio::test]
async fn a_late_event_for_a_past_month_changes_that_month_only() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100).await;
    let agent = app.agent(&company, "a", 100).await;
    let r = app
        .cost(
            &company,
            &agent,
            500,
            json!({"occurredAt": "2026-10-20T10:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body["enforcement"]["agentStatus"], "active",
        "last month's spend does not stop today"
    );
    assert_eq!(r.body["enforcement"]["agentUtilizationPercent"], 0.0);
    assert!(app.alerts(&company).await.is_empty());
    let oct = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?month=2026-10"
        ))
        .await;
    assert_eq!(oct.body["spendCents"], 500);
    let nov = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(nov.body["spendCents"], 0);
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["spentMonthlyCents"],
        0
    );
}

#[tokio::test]
async fn a_new_month_resumes_what_the_budget_paused() {
    let app = spawn_app().await;
    let company = app.company("Acme", 1000).await;
    let a = app.agent(&company, "a", 0).await;
    let capped = app.agent(&company, "capped", 100).await;
    let manual = app.agent(&company, "manual", 0).await;
    let project = app.project(&company, "p", 100).await;
    app.patch(
        &format!("/api/agents/{manual}"),
        json!({"status": "paused"}),
    )
    .await;
    app.spend(&company, &capped, 100).await;
    app.cost(&company, &a, 100, json!({"projectId": project}))
        .await;
    app.spend(&company, &a, 800).await;
    for path in [
        format!("/api/companies/{company}"),
        format!("/api/agents/{a}"),
        format!("/api/agents/{capped}"),
        format!("/api/projects/{project}"),
    ] {
        assert_eq!(
            status(&app, &path).await,
            ("paused".into(), json!("budget")),
            "{path}"
        );
    }

    // A minute before midnight UTC the rollover runs and changes nothing.
    app.clock.set(at("2026-11-30T23:59:00Z"));
    assert_eq!(
        app.service.reconcile().await.unwrap(),
        (1, 0),
        "one company looked at, none failed"
    );
    for path in [
        format!("/api/companies/{company}"),
        format!("/api/agents/{a}"),
        format!("/api/agents/{capped}"),
        format!("/api/projects/{project}"),
    ] {
        assert_eq!(
            status(&app, &path).await,
            ("paused".into(), json!("budget")),
            "{path}"
        );
    }

    // Midnight on the 1st: the reconciler resumes everything paused for budget.
    app.clock.set(at("2026-12-01T00:00:00Z"));
    let company_path = format!("/api/companies/{company}");
    app.eventually("the company resumes", || async {
        status(&app, &company_path).await.0 == "active"
    })
    .await;
    for path in [
        format!("/api/agents/{a}"),
        format!("/api/agents/{capped}"),
        format!("/api/projects/{project}"),
    ] {
        assert_eq!(
            status(&app, &path).await,
            ("active".into(), Value::Null),
            "{path}"
        );
    }
    assert_eq!(
        status(&app, &format!("/api/agents/{manual}")).await,
        ("paused".into(), json!("manual"))
    );
    let c = app.get(&company_path).await;
    assert_eq!(c.body["spentMonthlyCents"], 0, "a fresh window");
    // November's alerts stay November's; December starts clean.
    assert!(app.alerts(&company).await.is_empty());
    let nov = app
        .get(&format!(
            "/api/companies/{company}/budget-alerts?month=2026-11"
        ))
        .await;
    let nov = nov.body.as_array().unwrap();
    let scope_of = |id: &str| {
        nov.iter()
            .filter(|x| x["scopeId"] == id)
            .map(|x| x["threshold"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(nov.len(), 6, "{nov:?}");
    for id in [&company, &capped, &project] {
        let mut thresholds = scope_of(id);
        thresholds.sort();
        assert_eq!(thresholds, vec!["hard", "soft"], "{id}");
    }
    // And the budget bites again in the new month.
    let e = app.spend(&company, &capped, 100).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    let dec = app.alerts(&company).await;
    assert_eq!(
        alert_kinds(&dec),
        vec![
            ("agent".into(), "hard".into()),
            ("agent".into(), "soft".into())
        ]
    );
    assert!(
        dec.iter()
            .all(|x| x["scopeId"] == capped.as_str() && x["windowStart"] == "2026-12-01T00:00:00Z")
    );
}
