//! A cost event carrying `holdId`, expiry by the clock alone, and held money in reports.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{hold, row, scopes, status};
use crate::helpers::{at, spawn_app};

#[tokio::test]
async fn an_expired_hold_stops_counting_by_itself() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 100).await;
    let h = hold(
        &app,
        &company,
        json!({"agentId": agent, "amountCents": 100, "ttlSeconds": 30}),
    )
    .await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.text);
    let id = h.id();
    let expires_at = at(h.body["expiresAt"].as_str().unwrap());
    app.clock.set(expires_at - chrono::Duration::seconds(1));
    assert_eq!(scopes(&status(&app, &agent, "").await)[0].2, 100);
    let more = hold(&app, &company, json!({"agentId": agent, "amountCents": 1})).await;
    assert_eq!(more.status, StatusCode::CONFLICT, "{}", more.text);
    // At expiresAt it no longer counts: no job ran, nothing was written.
    app.clock.set(expires_at);
    let s = status(&app, &agent, "").await;
    assert_eq!(scopes(&s)[0], row("agent", 0, 0, json!(100)));
    assert_eq!(s["mayRun"], true);
    let listed = app
        .get(&format!("/api/companies/{company}/budget-holds"))
        .await;
    assert_eq!(listed.body, json!([]));
    // Its event is stored all the same, and says so.
    let e = app.cost(&company, &agent, 7, json!({"holdId": id})).await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.text);
    assert_eq!(e.body["hold"], "expired");
    assert_eq!(scopes(&status(&app, &agent, "").await)[0].1, 7);
    let summary = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(summary.body["heldCents"], 0);
}

#[tokio::test]
async fn an_event_with_hold_id_settles_the_hold_and_counts_its_real_cost() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 100).await;
    let other_agent = app.agent(&company, "reviewer", 0).await;
    let h = hold(&app, &company, json!({"agentId": agent, "amountCents": 50})).await;
    let id = h.id();
    // Another agent's event cannot settle it.
    let e = app
        .cost(&company, &other_agent, 3, json!({"holdId": id}))
        .await;
    assert_eq!(
        (e.status, e.body["hold"].clone()),
        (StatusCode::CREATED, json!("unknown"))
    );
    assert_eq!(scopes(&status(&app, &agent, "").await)[0].2, 50);

    let e = app
        .cost(
            &company,
            &agent,
            30,
            json!({"holdId": id, "eventKey": "run-1"}),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.text);
    assert_eq!(e.body["hold"], "settled");
    let s = status(&app, &agent, "").await;
    assert_eq!(scopes(&s)[0], row("agent", 30, 0, json!(70)));
    // The retry of that event is the same answer; a second event finds it spent.
    let again = app
        .cost(
            &company,
            &agent,
            30,
            json!({"holdId": id, "eventKey": "run-1"}),
        )
        .await;
    assert_eq!(
        (again.status, again.body["hold"].clone(), again.id()),
        (StatusCode::OK, json!("settled"), e.id())
    );
    let e2 = app.cost(&company, &agent, 5, json!({"holdId": id})).await;
    assert_eq!(
        (e2.status, e2.body["hold"].clone()),
        (StatusCode::CREATED, json!("expired"))
    );
    let unknown = app
        .cost(&company, &agent, 1, json!({"holdId": "no-such-hold"}))
        .await;
    assert_eq!(
        (unknown.status, unknown.body["hold"].clone()),
        (StatusCode::CREATED, json!("unknown"))
    );
    // A settled hold cannot be released.
    let r = app
        .request(Method::DELETE, &format!("/api/budget-holds/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(app.event_count(&company).await, 4);
}

#[tokio::test]
async fn a_hold_of_another_company_on_an_event_is_left_untouched() {
    let app = spawn_app().await;
    let a = app.company("A", 0).await;
    let a1 = app.agent(&a, "a1", 0).await;
    let b = app.company("B", 0).await;
    let b1 = app.agent(&b, "b1", 100).await;
    let theirs = hold(&app, &b, json!({"agentId": b1, "amountCents": 25})).await;
    let e = app.cost(&a, &a1, 4, json!({"holdId": theirs.id()})).await;
    assert_eq!(
        (e.status, e.body["hold"].clone()),
        (StatusCode::CREATED, json!("unknown"))
    );
    let listed = app.get(&format!("/api/companies/{b}/budget-holds")).await;
    assert_eq!(listed.body[0]["status"], "active", "{}", listed.text);
    assert_eq!(scopes(&status(&app, &b1, "").await)[0].2, 25);
}

#[tokio::test]
async fn reports_show_held_money_next_to_spend() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let project = app.project(&company, "launch", 0).await;
    app.spend(&company, &agent, 12).await;
    for (amount, project) in [(30, Some(&project)), (8, None)] {
        let mut body = json!({"agentId": agent, "amountCents": amount});
        if let Some(p) = project {
            body["projectId"] = json!(p);
        }
        assert_eq!(hold(&app, &company, body).await.status, StatusCode::CREATED);
    }
    let summary = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            summary.body["spendCents"].clone(),
            summary.body["heldCents"].clone()
        ),
        (json!(12), json!(38))
    );
    let agents = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    assert_eq!(
        (
            agents.body[0]["costCents"].clone(),
            agents.body[0]["heldCents"].clone()
        ),
        (json!(12), json!(38))
    );
    let projects = app
        .get(&format!("/api/companies/{company}/costs/by-project"))
        .await;
    let held: Vec<(Value, Value)> = projects
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["projectId"].clone(), p["heldCents"].clone()))
        .collect();
    assert!(held.contains(&(json!(project), json!(30))), "{held:?}");
    assert!(held.contains(&(Value::Null, json!(8))), "{held:?}");
    // Last month's report holds nothing: a hold reserves this month's money.
    let last = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?month=2026-10"
        ))
        .await;
    assert_eq!(last.body["heldCents"], 0);
}
