//! Incidents: every alert opens one (exactly once under a race), the board resolves them
//! (raise the budget, extend the month, resume a rate pause, dismiss), and a refused
//! resolution changes nothing.

mod dashboard;
mod extend;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    enforcement::status,
    helpers::{TestApp, at, spawn_app},
};

pub(crate) async fn incidents(app: &TestApp, company: &str, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/companies/{company}/incidents{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

/// The open incident of `kind` about `scope`.
pub(crate) async fn open_incident(app: &TestApp, company: &str, scope: &str, kind: &str) -> Value {
    let open = incidents(app, company, "?status=open").await;
    open.into_iter()
        .find(|i| i["scopeId"] == scope && i["kind"] == kind)
        .unwrap_or_else(|| panic!("no open {kind} incident about {scope}"))
}

pub(crate) async fn resolve(app: &TestApp, id: &str, body: Value) -> crate::helpers::Reply {
    app.post(&format!("/api/incidents/{id}/resolve"), body)
        .await
}

/// An agent with a budget of `budget` cents that spent all of it: paused, with a soft
/// and a hard incident open.
pub(crate) async fn stopped_agent(app: &TestApp, budget: i64) -> (String, String) {
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", budget).await;
    let e = app.spend(&company, &agent, budget).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    (company, agent)
}

#[tokio::test]
async fn a_64_way_race_opens_one_soft_and_one_hard_incident() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 6_400).await;
    let replies = join_all((0..64).map(|_| app.cost(&company, &agent, 100, json!({})))).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let all = incidents(&app, &company, "").await;
    let mut kinds: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|i| {
            (
                i["scopeId"].as_str().unwrap(),
                i["kind"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (agent.as_str(), "hard", "open"),
            (agent.as_str(), "soft", "open")
        ]
    );
    let hard = all.iter().find(|i| i["kind"] == "hard").unwrap();
    assert_eq!(hard["scopeType"], "agent");
    assert_eq!(hard["scopeName"], "writer");
    assert_eq!(hard["companyId"], company.as_str());
    assert_eq!(hard["budgetCents"], 6_400);
    assert_eq!(hard["observedCents"], 6_400);
    assert_eq!(hard["windowStart"], "2026-11-01T00:00:00Z");
    assert_eq!(hard["resolvedAt"], Value::Null);
    assert_eq!(hard["resolution"], Value::Null);
    assert_eq!(hard["decidedBy"], Value::Null);
    // One incident per alert, no more.
    assert_eq!(app.alerts(&company).await.len(), 2);
}

#[tokio::test]
async fn raise_budget_resumes_the_scope_and_closes_the_incident_once() {
    let app = spawn_app().await;
    let (company, agent) = stopped_agent(&app, 100).await;
    let hard = open_incident(&app, &company, &agent, "hard").await;
    let id = hard["id"].as_str().unwrap();
    let agent_path = format!("/api/agents/{agent}");

    // Refused: each changes nothing.
    for (body, code, field) in [
        (json!({"action": "raise_budget"}), 400, "amountCents"),
        (
            json!({"action": "raise_budget", "amountCents": -5}),
            400,
            "amountCents",
        ),
        (
            json!({"action": "raise_budget", "amountCents": 0}),
            400,
            "amountCents",
        ),
        (
            json!({"action": "raise_budget", "amountCents": 100}),
            422,
            "amountCents",
        ),
        (json!({"action": "explode"}), 400, "action"),
        (json!({}), 400, "action"),
        (
            json!({"action": "dismiss", "decisionNote": "a\u{0}b"}),
            400,
            "decisionNote",
        ),
    ] {
        let r = resolve(&app, id, body.clone()).await;
        assert_eq!(r.status.as_u16(), code, "{body}: {}", r.text);
        assert_eq!(r.fields(), vec![field.to_owned()], "{body}");
    }
    assert_eq!(open_incident(&app, &company, &agent, "hard").await, hard);
    assert_eq!(
        status(&app, &agent_path).await,
        ("paused".into(), json!("budget"))
    );

    app.clock.set(at("2026-11-15T13:00:00Z"));
    let r = resolve(
        &app,
        id,
        json!({"action": "raise_budget", "amountCents": 101, "decisionNote": " worth it "}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["resolution"], "raise_budget");
    assert_eq!(r.body["decisionNote"], "worth it");
    // The test clock runs on from where it is set.
    let resolved_at = r.body["resolvedAt"].as_str().unwrap();
    assert!(
        resolved_at.starts_with("2026-11-15T13:00:0"),
        "{resolved_at}"
    );
    assert_eq!(
        r.body["decidedBy"],
        json!({"type": "local", "id": "local", "label": "local mode"})
    );
    let a = app.get(&agent_path).await.body;
    assert_eq!(a["budgetMonthlyCents"], 101);
    assert_eq!(
        (a["status"].clone(), a["pauseReason"].clone()),
        (json!("active"), Value::Null)
    );
    // The soft incident is another kind: still open.
    assert_eq!(
        open_incident(&app, &company, &agent, "soft").await["status"],
        "open"
    );
    let again = resolve(&app, id, json!({"action": "dismiss"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.body["error"], "this incident is already resolved");
    let unknown = resolve(&app, "nope", json!({"action": "dismiss"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Reports show the new budget.
    let rows = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    assert_eq!(rows.body[0]["budgetCents"], 101);
}

#[tokio::test]
async fn dismiss_closes_the_incident_and_leaves_the_scope_paused() {
    let app = spawn_app().await;
    let (company, agent) = stopped_agent(&app, 100).await;
    let hard = open_incident(&app, &company, &agent, "hard").await;
    let r = resolve(
        &app,
        hard["id"].as_str().unwrap(),
        json!({"action": "dismiss", "amountCents": 5}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "dismissed");
    assert_eq!(r.body["resolution"], "dismiss");
    assert_eq!(r.body["decisionNote"], Value::Null);
    assert_eq!(
        status(&app, &format!("/api/agents/{agent}")).await,
        ("paused".into(), json!("budget"))
    );
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["budgetMonthlyCents"],
        100
    );
    let open = incidents(&app, &company, "?status=open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["kind"], "soft");
    let dismissed = incidents(&app, &company, "?status=dismissed").await;
    assert_eq!(dismissed.len(), 1);
    // Open ones come first in the full list.
    let all = incidents(&app, &company, "").await;
    assert_eq!(
        all.iter()
            .map(|i| i["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["open", "dismissed"]
    );
    let bad = app
        .get(&format!("/api/companies/{company}/incidents?status=closed"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.fields(), vec!["status".to_owned()]);
}

#[tokio::test]
async fn resume_lifts_a_rate_pause_and_a_resume_by_hand_resolves_the_incident_too() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "loop", 0).await;
    let agent_path = format!("/api/agents/{agent}");
    app.clock.set(at("2026-11-15T13:05:00Z"));
    let r = app.patch(&agent_path, json!({"maxHourlyCents": 100})).await;
    assert_eq!(r.status, StatusCode::OK);
    app.clock.set(at("2026-11-15T13:10:00Z"));
    let e = app.spend(&company, &agent, 100).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    // Resumed by hand outside the incident: the incident is resolved with it.
    assert_eq!(
        app.patch(&agent_path, json!({"status": "active"}))
            .await
            .status,
        StatusCode::OK
    );
    assert!(incidents(&app, &company, "?status=open").await.is_empty());
    let first = incidents(&app, &company, "?status=resolved").await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["resolution"], "resume");
    assert_eq!(first[0]["decisionNote"], "resumed outside the incident");
    // Tripped again in a later hour: a new rate incident.
    app.clock.set(at("2026-11-15T15:10:00Z"));
    app.spend(&company, &agent, 100).await;
    let rates = incidents(&app, &company, "?status=open").await;
    assert_eq!(rates.len(), 1, "{rates:?}");
    assert!(rates.iter().all(|i| i["kind"] == "rate"));
    assert_eq!(
        status(&app, &agent_path).await,
        ("paused".into(), json!("rate"))
    );
    app.clock.set(at("2026-11-15T15:12:00Z"));
    let r = resolve(
        &app,
        rates[0]["id"].as_str().unwrap(),
        json!({"action": "resume"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(
        status(&app, &agent_path).await,
        ("active".into(), Value::Null)
    );
    assert!(incidents(&app, &company, "?status=open").await.is_empty());
    let resolved = incidents(&app, &company, "?status=resolved").await;
    assert_eq!(resolved.len(), 2);
    assert!(resolved.iter().all(|i| i["resolution"] == "resume"));
    // The guard is re-armed: the hour's spend before the resume's minute no longer counts.
    app.clock.set(at("2026-11-15T15:13:00Z"));
    let e = app.spend(&company, &agent, 99).await;
    assert_eq!(e["enforcement"]["agentStatus"], "active");

    // `resume` is for rate pauses only.
    let (company, agent) = stopped_agent(&app, 100).await;
    let hard = open_incident(&app, &company, &agent, "hard").await;
    let r = resolve(
        &app,
        hard["id"].as_str().unwrap(),
        json!({"action": "resume"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(open_incident(&app, &company, &agent, "hard").await, hard);
}

#[tokio::test]
async fn a_company_hard_stop_incident_resolved_resumes_its_agents() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100).await;
    let agent = app.agent(&company, "writer", 0).await;
    app.spend(&company, &agent, 100).await;
    let hard = open_incident(&app, &company, &company, "hard").await;
    assert_eq!(hard["scopeType"], "company");
    assert_eq!(hard["scopeName"], "Acme");
    assert_eq!(
        status(&app, &format!("/api/agents/{agent}")).await,
        ("paused".into(), json!("budget"))
    );
    let r = resolve(
        &app,
        hard["id"].as_str().unwrap(),
        json!({"action": "raise_budget", "amountCents": 1000}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        status(&app, &format!("/api/agents/{agent}")).await,
        ("active".into(), Value::Null)
    );
    let summary = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(summary.body["budgetCents"], 1000);
}

#[tokio::test]
async fn a_budget_raised_by_hand_resolves_the_hard_stop_and_leaves_the_warning_open() {
    let app = spawn_app().await;
    let (company, agent) = stopped_agent(&app, 500).await;
    let agent_path = format!("/api/agents/{agent}");
    let r = app
        .patch(&agent_path, json!({"budgetMonthlyCents": 2_000}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "active");
    let open = incidents(&app, &company, "?status=open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["kind"], "soft", "the 80% warning stays to be read");
    let resolved = incidents(&app, &company, "?status=resolved").await;
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0]["kind"], "hard");
    assert_eq!(resolved[0]["resolution"], "raise_budget");
    assert_eq!(resolved[0]["decidedBy"]["type"], "local");
    // Announced and audited like a resolution from the incident.
    let activity = app.get(&format!("/api/companies/{company}/activity")).await;
    assert_eq!(activity.status, StatusCode::OK, "{}", activity.text);
    let actions: Vec<&str> = activity.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"incident.resolved"), "{actions:?}");
    // Paused by hand and resumed again: no incident is left to close, nothing changes.
    for status in ["paused", "active"] {
        let r = app.patch(&agent_path, json!({"status": status})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(incidents(&app, &company, "?status=resolved").await.len(), 1);
}
