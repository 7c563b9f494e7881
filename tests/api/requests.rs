//! Override requests: an agent key asks for more room for its own agent, at most one
//! pending; the board approves (extend the month or raise the budget) or denies; the agent
//! reads the decision back. Refused calls change nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_authenticated_app};

/// Calls the app with a bearer credential.
async fn call(
    app: &TestApp,
    bearer: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(bearer);
    if let Some(body) = body {
        req = req.json(&body);
    }
    TestApp::reply(req.send().await.unwrap()).await
}

struct World {
    app: TestApp,
    board: String,
    key: String,
    key_id: String,
    company: String,
    agent: String,
    other: String,
}

impl World {
    async fn new() -> Self {
        let (app, board) = spawn_authenticated_app(|_| {}).await;
        let board = board.token;
        let post = |path: String, body: Value| {
            let (app, board) = (&app, &board);
            async move {
                let r = call(app, board, Method::POST, &path, Some(body)).await;
                assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
                r
            }
        };
        let company = post("/api/companies".into(), json!({"name": "Acme"}))
            .await
            .id();
        let agents = format!("/api/companies/{company}/agents");
        let agent = post(
            agents.clone(),
            json!({"name": "writer", "budgetMonthlyCents": 100}),
        )
        .await
        .id();
        let other = post(agents, json!({"name": "reviewer"})).await.id();
        let key = post(format!("/api/agents/{agent}/keys"), json!({})).await;
        let world = Self {
            key: key.body["key"].as_str().unwrap().to_owned(),
            key_id: key.id(),
            app,
            board,
            company,
            agent,
            other,
        };
        // The agent spends its whole budget: paused.
        let event = json!({"agentId": world.agent, "provider": "anthropic",
            "model": "claude-sonnet-4", "inputTokens": 10, "outputTokens": 5, "costCents": 100});
        let path = format!("/api/companies/{}/cost-events", world.company);
        let r = world.as_key(Method::POST, &path, Some(event)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["enforcement"]["agentStatus"], "paused");
        world
    }

    async fn as_key(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        call(&self.app, &self.key, method, path, body).await
    }

    async fn as_board(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        call(&self.app, &self.board, method, path, body).await
    }

    async fn ask(&self, body: Value) -> Reply {
        let path = format!("/api/agents/{}/budget-requests", self.agent);
        self.as_key(Method::POST, &path, Some(body)).await
    }

    async fn agent(&self) -> Value {
        let path = format!("/api/agents/{}", self.agent);
        self.as_board(Method::GET, &path, None).await.body
    }

    async fn requests(&self) -> Value {
        let path = format!("/api/companies/{}/budget-requests", self.company);
        self.as_board(Method::GET, &path, None).await.body
    }

    async fn decide(&self, id: &str, verb: &str, body: Value) -> Reply {
        let path = format!("/api/budget-requests/{id}/{verb}");
        self.as_board(Method::POST, &path, Some(body)).await
    }
}

#[tokio::test]
async fn an_agent_asks_the_board_extends_the_month_and_the_agent_reads_it_back() {
    let w = World::new().await;
    // Refused: nothing stored.
    for (body, field) in [
        (json!({"reason": "more"}), "amountCents"),
        (json!({"amountCents": -1, "reason": "more"}), "amountCents"),
        (json!({"amountCents": 50}), "reason"),
        (json!({"amountCents": 50, "reason": "  "}), "reason"),
    ] {
        let r = w.ask(body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.fields(), vec![field.to_owned()], "{body}");
    }
    let for_other = format!("/api/agents/{}/budget-requests", w.other);
    let r = w
        .as_key(
            Method::POST,
            &for_other,
            Some(json!({"amountCents": 5, "reason": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(w.requests().await, json!([]));

    let r = w
        .ask(json!({"amountCents": 50, "reason": "finish the report"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.id();
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["agentId"], w.agent.as_str());
    assert_eq!(r.body["agentName"], "writer");
    assert_eq!(r.body["amountCents"], 50);
    assert_eq!(r.body["reason"], "finish the report");
    assert_eq!(
        r.body["requestedBy"],
        json!({"type": "agent_key", "id": w.key_id, "label": w.agent})
    );
    assert_eq!(r.body["decidedBy"], Value::Null);
    let second = w.ask(json!({"amountCents": 10, "reason": "again"})).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert_eq!(w.requests().await.as_array().unwrap().len(), 1);

    let status_path = format!("/api/agents/{}/budget-status", w.agent);
    let status = w.as_key(Method::GET, &status_path, None).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(status.body["pendingRequest"]["id"], id.as_str());
    assert_eq!(status.body["mayRun"], false);

    // The key may not decide, nor list the company's requests.
    for verb in ["approve", "deny"] {
        let path = format!("/api/budget-requests/{id}/{verb}");
        let r = w
            .as_key(Method::POST, &path, Some(json!({"mode": "extend_month"})))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{verb}");
    }
    let list = format!("/api/companies/{}/budget-requests", w.company);
    assert_eq!(
        w.as_key(Method::GET, &list, None).await.status,
        StatusCode::FORBIDDEN
    );
    for (body, field) in [
        (json!({}), "mode"),
        (json!({"mode": "double_it"}), "mode"),
        (
            json!({"mode": "extend_month", "amountCents": -1}),
            "amountCents",
        ),
    ] {
        let r = w.decide(&id, "approve", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.fields(), vec![field.to_owned()]);
    }
    assert_eq!(w.requests().await[0]["status"], "pending");

    let r = w
        .decide(
            &id,
            "approve",
            json!({"mode": "extend_month", "decisionNote": "ok"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["decisionMode"], "extend_month");
    assert_eq!(r.body["decidedCents"], 50, "the amount asked for");
    assert_eq!(r.body["decisionNote"], "ok");
    assert_eq!(r.body["decidedBy"]["type"], "board_token");
    let agent = w.agent().await;
    assert_eq!(agent["extensionCents"], 50);
    assert_eq!(agent["budgetMonthlyCents"], 100);
    assert_eq!(agent["status"], "active");
    for verb in ["approve", "deny"] {
        let r = w.decide(&id, verb, json!({"mode": "extend_month"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{verb}: {}", r.text);
        assert_eq!(r.body["error"], "this budget request is already approved");
    }
    assert_eq!(
        w.agent().await["extensionCents"],
        50,
        "a refused approval adds nothing"
    );

    let mine = w
        .as_key(Method::GET, &format!("/api/budget-requests/{id}"), None)
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body["status"], "approved");
    assert_eq!(mine.body["decidedCents"], 50);
    let status = w.as_key(Method::GET, &status_path, None).await;
    assert_eq!(status.body["pendingRequest"], Value::Null);
    assert_eq!(status.body["mayRun"], true);
}

#[tokio::test]
async fn raise_budget_must_clear_the_spend_and_a_denial_changes_nothing() {
    let w = World::new().await;
    let id = w
        .ask(json!({"amountCents": 100, "reason": "a bigger job"}))
        .await
        .id();
    let r = w
        .decide(
            &id,
            "approve",
            json!({"mode": "raise_budget", "amountCents": 100}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), vec!["amountCents".to_owned()]);
    assert_eq!(w.requests().await[0]["status"], "pending");
    assert_eq!(w.agent().await["budgetMonthlyCents"], 100);

    // Without an amount: the budget grows by what was asked.
    let r = w
        .decide(&id, "approve", json!({"mode": "raise_budget"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["decidedCents"], 200);
    let agent = w.agent().await;
    assert_eq!(agent["budgetMonthlyCents"], 200);
    assert_eq!(agent["extensionCents"], 0);
    assert_eq!(agent["status"], "active");

    let id = w
        .ask(json!({"amountCents": 5000, "reason": "even more"}))
        .await
        .id();
    let r = w.decide(&id, "deny", json!({"decisionNote": "no"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "denied");
    assert_eq!(r.body["decisionMode"], Value::Null);
    assert_eq!(r.body["decidedCents"], Value::Null);
    assert_eq!(r.body["decisionNote"], "no");
    assert_eq!(w.agent().await["budgetMonthlyCents"], 200);
    let again = w.decide(&id, "deny", json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Decided: the agent may ask again.
    let r = w.ask(json!({"amountCents": 1, "reason": "last one"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let unknown = w.decide("nope", "deny", json!({})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
