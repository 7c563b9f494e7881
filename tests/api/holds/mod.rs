//! Budget status and budget holds, on whichever database the run uses (SQLite by default,
//! PostgreSQL under `scripts/with-pg.sh`): what an adapter asks before it spends.

mod events;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, at, spawn_app};

pub(super) async fn hold(app: &TestApp, company: &str, body: Value) -> crate::helpers::Reply {
    app.post(&format!("/api/companies/{company}/budget-holds"), body)
        .await
}

pub(super) async fn status(app: &TestApp, agent: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/agents/{agent}/budget-status{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// (scopeType, spentCents, heldCents, remainingCents) of each scope in a status answer.
pub(super) fn scopes(status: &Value) -> Vec<(String, i64, i64, Value)> {
    status["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["scopeType"].as_str().unwrap().to_owned(),
                s["spentCents"].as_i64().unwrap(),
                s["heldCents"].as_i64().unwrap(),
                s["remainingCents"].clone(),
            )
        })
        .collect()
}

pub(super) fn row(
    kind: &str,
    spent: i64,
    held: i64,
    remaining: Value,
) -> (String, i64, i64, Value) {
    (kind.to_owned(), spent, held, remaining)
}

#[tokio::test]
async fn budget_status_shows_spend_holds_and_room_for_each_scope() {
    let app = spawn_app().await;
    let company = app.company("Acme", 1_000).await;
    let agent = app.agent(&company, "writer", 100).await;
    let project = app.project(&company, "launch", 0).await;
    app.cost(&company, &agent, 60, json!({"projectId": project}))
        .await;

    let s = status(&app, &agent, &format!("?projectId={project}")).await;
    assert_eq!(s["agentId"], agent.as_str());
    assert_eq!(s["status"], "active");
    assert_eq!(s["mayRun"], true);
    assert_eq!(s["resetsAt"], "2026-12-01T00:00:00Z");
    assert_eq!(
        scopes(&s),
        [
            row("agent", 60, 0, json!(40)),
            row("company", 60, 0, json!(940)),
            row("project", 60, 0, Value::Null),
        ]
    );
    assert_eq!(s["scopes"][0]["level"], "ok");
    assert_eq!(s["scopes"][0]["utilizationPercent"], 60.0);
    assert_eq!(s["scopes"][0]["budgetCents"], 100);

    // Holding all the agent has left: it may not start another run.
    let h = hold(&app, &company, json!({"agentId": agent, "amountCents": 40})).await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.text);
    let s = status(&app, &agent, "").await;
    assert_eq!(
        scopes(&s),
        [
            row("agent", 60, 40, json!(0)),
            row("company", 60, 40, json!(900))
        ]
    );
    assert_eq!(s["mayRun"], false);

    // A paused company stops every agent, whatever room is left.
    let released = app
        .request(
            Method::DELETE,
            &format!("/api/budget-holds/{}", h.id()),
            None,
        )
        .await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.text);
    assert_eq!(released.body["status"], "released");
    assert_eq!(status(&app, &agent, "").await["mayRun"], true);
    let paused = app
        .patch(
            &format!("/api/companies/{company}"),
            json!({"status": "paused"}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text);
    assert_eq!(status(&app, &agent, "").await["mayRun"], false);

    let other = app.company("Other", 0).await;
    let foreign = app.project(&other, "theirs", 0).await;
    let r = app
        .get(&format!(
            "/api/agents/{agent}/budget-status?projectId={foreign}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["projectId"]);
    let r = app.get("/api/agents/no-such-agent/budget-status").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn a_hold_is_refused_with_the_scope_that_has_no_room() {
    let app = spawn_app().await;
    let company = app.company("Acme", 50).await;
    let agent = app.agent(&company, "writer", 100).await;
    let project = app.project(&company, "launch", 30).await;
    app.cost(&company, &agent, 20, json!({"projectId": project}))
        .await;
    let h = hold(
        &app,
        &company,
        json!({"agentId": agent, "projectId": project, "amountCents": 11}),
    )
    .await;
    assert_eq!(h.status, StatusCode::CONFLICT, "{}", h.text);
    assert_eq!(
        h.body["details"],
        json!([{"scopeType": "project", "scopeId": project, "remainingCents": 10}])
    );
    assert!(
        h.body["error"]
            .as_str()
            .unwrap()
            .contains("has 10 cents left")
    );
    // Exactly the room left is granted; then the company (30 left, 10 held) is the limit.
    let h = hold(
        &app,
        &company,
        json!({"agentId": agent, "projectId": project, "amountCents": 10, "ttlSeconds": 60}),
    )
    .await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.text);
    assert_eq!(h.body["amountCents"], 10);
    assert_eq!(h.body["status"], "active");
    assert_eq!(h.body["projectId"], project.as_str());
    let instant = |field: &str| at(h.body[field].as_str().unwrap());
    assert_eq!(
        instant("expiresAt") - instant("createdAt"),
        chrono::Duration::seconds(60)
    );
    let h = hold(&app, &company, json!({"agentId": agent, "amountCents": 21})).await;
    assert_eq!(h.status, StatusCode::CONFLICT, "{}", h.text);
    assert_eq!(
        h.body["details"],
        json!([{"scopeType": "company", "scopeId": company, "remainingCents": 20}])
    );
    let listed = app
        .get(&format!(
            "/api/companies/{company}/budget-holds?agentId={agent}"
        ))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.text);
}

#[tokio::test]
async fn sixty_four_concurrent_holds_grant_exactly_the_room_left() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 100).await;
    app.spend(&company, &agent, 60).await;
    let path = format!("{}/api/companies/{company}/budget-holds", app.base);
    let replies = join_all((0..64).map(|_| {
        let req = app
            .client
            .post(&path)
            .json(&json!({"agentId": agent, "amountCents": 1}));
        async move { req.send().await.unwrap().status() }
    }))
    .await;
    let granted = replies
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = replies
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((granted, refused), (40, 24), "{replies:?}");
    let s = status(&app, &agent, "").await;
    assert_eq!(scopes(&s)[0], row("agent", 60, 40, json!(0)));
}

#[tokio::test]
async fn bad_hold_requests_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 100).await;
    let other = app.company("Other", 0).await;
    let foreign_agent = app.agent(&other, "theirs", 0).await;
    let foreign_project = app.project(&other, "theirs", 0).await;
    let cases = [
        (
            json!({"agentId": agent, "amountCents": 0}),
            400,
            "amountCents",
        ),
        (
            json!({"agentId": agent, "amountCents": -5}),
            400,
            "amountCents",
        ),
        (json!({"agentId": agent}), 400, "amountCents"),
        (
            json!({"agentId": agent, "amountCents": "5"}),
            400,
            "amountCents",
        ),
        (
            json!({"agentId": agent, "amountCents": 5, "ttlSeconds": 0}),
            400,
            "ttlSeconds",
        ),
        (
            json!({"agentId": agent, "amountCents": 5, "ttlSeconds": 3601}),
            400,
            "ttlSeconds",
        ),
        (
            json!({"agentId": foreign_agent, "amountCents": 5}),
            422,
            "agentId",
        ),
        (
            json!({"agentId": agent, "projectId": foreign_project, "amountCents": 5}),
            422,
            "projectId",
        ),
    ];
    for (body, code, field) in cases {
        let r = hold(&app, &company, body.clone()).await;
        assert_eq!(r.status.as_u16(), code, "{body}: {}", r.text);
        assert_eq!(r.fields(), [field], "{body}");
    }
    let keyed = json!({"agentId": agent, "amountCents": 5, "holdKey": "run-7"});
    let first = hold(&app, &company, keyed.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let retry = hold(&app, &company, keyed).await;
    assert_eq!((retry.status, retry.id()), (StatusCode::OK, first.id()));
    let reused = hold(
        &app,
        &company,
        json!({"agentId": agent, "amountCents": 6, "holdKey": "run-7"}),
    )
    .await;
    assert_eq!(reused.status, StatusCode::CONFLICT, "{}", reused.text);
    // A terminated agent holds nothing (termination is an operator's act, not an API call).
    set_agent_status(&app, &agent, "terminated").await;
    let r = hold(&app, &company, json!({"agentId": agent, "amountCents": 1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["agentId"]);
    let listed = app
        .get(&format!("/api/companies/{company}/budget-holds"))
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.text);
    assert_eq!(scopes(&status(&app, &agent, "").await)[0].2, 5);
}

async fn set_agent_status(app: &TestApp, agent: &str, status: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE agents SET status = '{status}' WHERE id = '{agent}'"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}
