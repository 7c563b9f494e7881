//! The audit trail: a row for every change kind, written with the change, naming the right
//! actor (board token, board user, agent key, the system); none for a refused call; read
//! newest first with a cursor and filters, by the board only.

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::{
    auth::world::sign_in,
    helpers::{Reply, TestApp, at, spawn_authenticated_app},
};

const SMALL_MAP: &str = include_str!("../fixtures/litellm-prices-small.json");

enum Who<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

async fn call(
    app: &TestApp,
    who: &Who<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    req = match who {
        Who::Bearer(b) => req.bearer_auth(b),
        Who::Cookie(c) => req.header(header::COOKIE, *c).header("origin", &app.base),
    };
    if let Some(body) = body {
        req = req.json(&body);
    }
    TestApp::reply(req.send().await.unwrap()).await
}

/// The whole trail of `company`, newest first, read a page of 3 at a time.
async fn trail(app: &TestApp, board: &Who<'_>, company: &str, filter: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/companies/{company}/activity?limit=3{filter}{cursor}");
        let r = call(app, board, Method::GET, &path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        all.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return all,
        }
    }
}

fn actions(trail: &[Value]) -> Vec<(String, String)> {
    trail
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"]["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn every_change_kind_is_recorded_with_its_actor_and_refusals_are_not() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let token = Who::Bearer(&board.token);
    let cookie = sign_in(&app, &board.email, &board.password).await.0;
    let user = Who::Cookie(&cookie);
    let ok = |r: &Reply, code: StatusCode| assert_eq!(r.status, code, "{}", r.text);

    let r = call(
        &app,
        &token,
        Method::POST,
        "/api/companies",
        Some(json!({"name": "Acme"})),
    )
    .await;
    ok(&r, StatusCode::CREATED);
    let company = r.id();
    let r = call(
        &app,
        &token,
        Method::POST,
        &format!("/api/companies/{company}/agents"),
        Some(json!({"name": "writer", "budgetMonthlyCents": 100})),
    )
    .await;
    ok(&r, StatusCode::CREATED);
    let agent = r.id();
    let agent_path = format!("/api/agents/{agent}");
    let patch = |body: Value| call(&app, &token, Method::PATCH, &agent_path, Some(body));
    ok(
        &patch(json!({"budgetMonthlyCents": 200})).await,
        StatusCode::OK,
    );
    ok(&patch(json!({"maxHourlyCents": 220})).await, StatusCode::OK);
    ok(&patch(json!({"status": "paused"})).await, StatusCode::OK);
    ok(&patch(json!({"status": "active"})).await, StatusCode::OK);
    let price = json!({"provider": "acme", "model": "m-1", "effectiveFrom": "2026-01-01",
        "inputMicroCentsPerMTok": 1, "outputMicroCentsPerMTok": 1});
    ok(
        &call(&app, &token, Method::PUT, "/api/model-prices", Some(price)).await,
        StatusCode::CREATED,
    );
    let import = app
        .client
        .post(format!(
            "{}/api/model-prices/import?apply=true&fileName=small.json",
            app.base
        ))
        .bearer_auth(&board.token)
        .header("content-type", "application/json")
        .body(SMALL_MAP)
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), StatusCode::OK);
    let keys = format!("/api/agents/{agent}/keys");
    let r = call(&app, &token, Method::POST, &keys, None).await;
    ok(&r, StatusCode::CREATED);
    let key = r.body["key"].as_str().unwrap().to_owned();
    let key_id = r.id();
    let r = call(&app, &token, Method::POST, &keys, None).await;
    let doomed = r.id();
    ok(
        &call(
            &app,
            &token,
            Method::DELETE,
            &format!("{keys}/{doomed}"),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let hooks = format!("/api/companies/{company}/webhooks");
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["incident.opened"]});
    let r = call(&app, &token, Method::POST, &hooks, Some(hook)).await;
    ok(&r, StatusCode::CREATED);
    let hook = format!("/api/webhooks/{}", r.id());
    ok(
        &call(
            &app,
            &token,
            Method::PATCH,
            &hook,
            Some(json!({"enabled": false})),
        )
        .await,
        StatusCode::OK,
    );
    ok(
        &call(&app, &token, Method::DELETE, &hook, None).await,
        StatusCode::NO_CONTENT,
    );

    // The agent spends its budget: the budget rule pauses it; it asks for more.
    let agent_key = Who::Bearer(&key);
    let event = json!({"agentId": agent, "provider": "acme", "model": "m-1",
        "inputTokens": 1, "outputTokens": 1, "costCents": 200});
    let costs = format!("/api/companies/{company}/cost-events");
    ok(
        &call(&app, &agent_key, Method::POST, &costs, Some(event)).await,
        StatusCode::CREATED,
    );
    let asks = format!("/api/agents/{agent}/budget-requests");
    let r = call(
        &app,
        &agent_key,
        Method::POST,
        &asks,
        Some(json!({"amountCents": 50, "reason": "x"})),
    )
    .await;
    ok(&r, StatusCode::CREATED);
    let request = r.id();

    let before_refusals = trail(&app, &token, &company, "").await;
    // Refused calls write nothing.
    let activity = format!("/api/companies/{company}/activity");
    let r = call(&app, &agent_key, Method::GET, &activity, None).await;
    ok(&r, StatusCode::FORBIDDEN);
    ok(
        &patch(json!({"budgetMonthlyCents": -1})).await,
        StatusCode::BAD_REQUEST,
    );
    ok(
        &patch(json!({"status": "terminated"})).await,
        StatusCode::BAD_REQUEST,
    );
    let r = call(
        &app,
        &agent_key,
        Method::POST,
        &asks,
        Some(json!({"amountCents": 5, "reason": "y"})),
    )
    .await;
    ok(&r, StatusCode::CONFLICT);
    let approve = format!("/api/budget-requests/{request}/approve");
    let r = call(
        &app,
        &agent_key,
        Method::POST,
        &approve,
        Some(json!({"mode": "extend_month"})),
    )
    .await;
    ok(&r, StatusCode::FORBIDDEN);
    let r = call(
        &app,
        &token,
        Method::POST,
        &approve,
        Some(json!({"mode": "raise_budget", "amountCents": 150})),
    )
    .await;
    ok(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(trail(&app, &token, &company, "").await, before_refusals);

    // The board user approves: the request, and the agent's budget and status with it.
    let r = call(
        &app,
        &user,
        Method::POST,
        &approve,
        Some(json!({"mode": "extend_month"})),
    )
    .await;
    ok(&r, StatusCode::OK);
    let r = call(
        &app,
        &user,
        Method::POST,
        &approve,
        Some(json!({"mode": "extend_month"})),
    )
    .await;
    ok(&r, StatusCode::CONFLICT);
    // The approval resumed the agent: its hard-stop incident is resolved with it, as the
    // approver's extension; resolving it again is a conflict.
    let incidents = call(
        &app,
        &token,
        Method::GET,
        &format!("/api/companies/{company}/incidents?status=resolved"),
        None,
    )
    .await;
    let hard = incidents
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "hard")
        .unwrap()
        .clone();
    assert_eq!(hard["resolution"], "extend_month");
    let resolve = format!("/api/incidents/{}/resolve", hard["id"].as_str().unwrap());
    ok(
        &call(
            &app,
            &user,
            Method::POST,
            &resolve,
            Some(json!({"action": "dismiss"})),
        )
        .await,
        StatusCode::CONFLICT,
    );

    // The guard trips on its own (230 in the hour, 92% of the extended budget).
    let event = json!({"agentId": agent, "provider": "acme", "model": "m-1",
        "inputTokens": 1, "outputTokens": 1, "costCents": 30});
    ok(
        &call(&app, &agent_key, Method::POST, &costs, Some(event)).await,
        StatusCode::CREATED,
    );

    let all = trail(&app, &token, &company, "").await;
    assert_eq!(
        actions(&all),
        pairs(&[
            ("company.created", "board_token"),
            ("agent.created", "board_token"),
            ("agent.updated", "board_token"),
            ("agent.updated", "board_token"),
            ("agent.updated", "board_token"),
            ("agent.updated", "board_token"),
            ("price.created", "board_token"),
            ("prices.imported", "board_token"),
            ("agent_key.created", "board_token"),
            ("agent_key.created", "board_token"),
            ("agent_key.revoked", "board_token"),
            ("webhook.created", "board_token"),
            ("webhook.updated", "board_token"),
            ("webhook.deleted", "board_token"),
            ("agent.paused", "system"),
            ("budget_request.created", "agent_key"),
            ("agent.updated", "board_user"),
            ("incident.resolved", "board_user"),
            ("budget_request.approved", "board_user"),
            ("agent.paused", "system"),
        ]),
        "{all:#?}"
    );
    // A board token is named by its name and the prefix the board sees in its list.
    let token_label = all.last().unwrap()["actor"]["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let prefix = &board.token[..16];
    assert_eq!(token_label, format!("tests ({prefix})"));
    let newest = &all[0];
    assert_eq!(
        newest["actor"],
        json!({"type": "system", "id": "guard", "label": "guard"})
    );
    assert_eq!(
        newest["target"],
        json!({"type": "agent", "id": agent, "name": "writer"})
    );
    assert_eq!(newest["before"]["status"], "active");
    assert_eq!(newest["after"]["pauseReason"], "rate");
    let find = |action: &str| all.iter().find(|e| e["action"] == action).unwrap().clone();
    let budget_pause = all
        .iter()
        .rev()
        .find(|e| e["action"] == "agent.paused")
        .unwrap();
    assert_eq!(budget_pause["actor"]["id"], "budget");
    assert_eq!(budget_pause["after"]["pauseReason"], "budget");
    let approved = find("budget_request.approved");
    assert_eq!(approved["actor"]["label"], board.email.to_lowercase());
    assert_eq!(approved["before"]["status"], "pending");
    assert_eq!(approved["after"]["decidedCents"], 50);
    let by_user = all
        .iter()
        .find(|e| e["action"] == "agent.updated" && e["actor"]["type"] == "board_user")
        .unwrap();
    assert_eq!(by_user["before"]["extensionCents"], 0);
    assert_eq!(by_user["after"]["extensionCents"], 50);
    assert_eq!(
        (
            by_user["before"]["status"].clone(),
            by_user["after"]["status"].clone()
        ),
        (json!("paused"), json!("active"))
    );
    let requested = find("budget_request.created");
    assert_eq!(
        requested["actor"],
        json!({"type": "agent_key", "id": key_id, "label": agent})
    );
    let price = find("price.created");
    assert_eq!(price["companyId"], Value::Null);
    assert_eq!(price["target"]["name"], "acme/m-1 from 2026-01-01");
    assert_eq!(price["before"], Value::Null);
    let budget = all
        .iter()
        .rev()
        .find(|e| e["action"] == "agent.updated")
        .unwrap();
    assert_eq!(budget["before"]["budgetMonthlyCents"], 100);
    assert_eq!(budget["after"]["budgetMonthlyCents"], 200);
    let deleted = find("webhook.deleted");
    assert_eq!(deleted["target"]["name"], "http://127.0.0.1:9/hook");
    assert_eq!(deleted["after"], Value::Null);
    let resolved = find("incident.resolved");
    assert_eq!(resolved["after"]["status"], "resolved");
    assert_eq!(resolved["after"]["resolution"], "extend_month");
    assert_eq!(resolved["before"]["status"], "open");

    // Filters.
    let system = trail(&app, &token, &company, "&actorType=system").await;
    assert_eq!(system.len(), 2);
    let hooks = trail(&app, &token, &company, "&targetType=webhook").await;
    assert_eq!(
        hooks
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["webhook.deleted", "webhook.updated", "webhook.created"]
    );
    for bad in [
        "actorType=robot",
        "targetType=moon",
        "limit=0",
        "limit=201",
        "cursor=nope",
    ] {
        let r = call(
            &app,
            &token,
            Method::GET,
            &format!("{activity}?{bad}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }

    // The rollover, as the system.
    app.clock.set(at("2026-12-01T00:00:00Z"));
    ok(
        &call(
            &app,
            &token,
            Method::PATCH,
            &agent_path,
            Some(json!({"maxHourlyCents": 0})),
        )
        .await,
        StatusCode::OK,
    );
    ok(
        &call(
            &app,
            &token,
            Method::PATCH,
            &agent_path,
            Some(json!({"status": "active"})),
        )
        .await,
        StatusCode::OK,
    );
    let r = call(
        &app,
        &token,
        Method::PATCH,
        &agent_path,
        Some(json!({"budgetMonthlyCents": 1})),
    )
    .await;
    ok(&r, StatusCode::OK);
    let event = json!({"agentId": agent, "provider": "acme", "model": "m-1",
        "inputTokens": 1, "outputTokens": 1, "costCents": 1});
    ok(
        &call(&app, &agent_key, Method::POST, &costs, Some(event)).await,
        StatusCode::CREATED,
    );
    app.clock.set(at("2027-01-01T00:00:00Z"));
    app.service.reconcile().await.unwrap();
    let newest = trail(&app, &token, &company, "&actorType=system").await;
    assert_eq!(newest[1]["action"], "agent.updated");
    assert_eq!(newest[1]["actor"]["id"], "rollover");
    assert_eq!(newest[1]["after"]["status"], "active");
    // The new month let the agent run: December's hard stop is resolved by the rollover.
    assert_eq!(newest[0]["action"], "incident.resolved");
    assert_eq!(newest[0]["actor"]["id"], "rollover");
    assert_eq!(newest[0]["after"]["resolution"], "resume");
    assert_eq!(newest[0]["after"]["kind"], "hard");
}
