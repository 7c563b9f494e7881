//! Incidents opened and resolved, requests created and decided: events an endpoint may
//! subscribe to, written with the change.

use reqwest::StatusCode;
use serde_json::json;

use super::{endpoint, receiver::Receiver};
use crate::helpers::{spawn_app, until};

#[tokio::test]
async fn incident_and_request_events_reach_their_subscribers() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 100).await;
    let hook = Receiver::ok().await;
    let events = [
        "incident.opened",
        "incident.resolved",
        "request.created",
        "request.decided",
    ];
    endpoint(&app, &company, &hook.url, json!({"events": events})).await;

    app.spend(&company, &agent, 100).await;
    until("a soft and a hard incident opened", || {
        hook.hits().len() == 2
    })
    .await;
    let opened: Vec<_> = hook.hits().iter().map(|h| h.json()).collect();
    assert!(opened.iter().all(|b| b["type"] == "incident.opened"));
    let mut kinds: Vec<_> = opened
        .iter()
        .map(|b| b["threshold"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(kinds, vec!["hard", "soft"]);
    let hard = opened.iter().find(|b| b["threshold"] == "hard").unwrap();
    assert_eq!(hard["subject"]["status"], "open");
    assert_eq!(hard["scope"]["id"], agent.as_str());
    assert!(
        hard["dashboardUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/companies/{company}"))
    );

    let id = hard["subject"]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/incidents/{id}/resolve"),
            json!({"action": "extend_month", "amountCents": 100}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    until("the incident resolved", || hook.hits().len() == 3).await;
    let resolved = hook.hits()[2].json();
    assert_eq!(resolved["type"], "incident.resolved");
    assert_eq!(
        resolved["subject"],
        json!({"id": id, "status": "resolved", "decision": "extend_month"})
    );
    assert_eq!(resolved["status"], "active", "the agent as it is after");

    let r = app
        .post(
            &format!("/api/agents/{agent}/budget-requests"),
            json!({"amountCents": 25, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let request = r.id();
    let r = app
        .post(&format!("/api/budget-requests/{request}/deny"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    until("the request created and decided", || hook.hits().len() == 5).await;
    let created = hook.hits()[3].json();
    assert_eq!(created["type"], "request.created");
    assert_eq!(
        created["subject"],
        json!({"id": request, "status": "pending", "amountCents": 25})
    );
    let decided = hook.hits()[4].json();
    assert_eq!(decided["type"], "request.decided");
    assert_eq!(decided["subject"]["status"], "denied");
}
