//! Auth and tenant isolation: every route against every kind of caller, agent keys,
//! sessions, CSRF, the failure limiter, and refusing a public address without a board
//! credential.

use std::time::Duration;

use chrono::Duration as Span;
use costline::server::clock::Clock;
use reqwest::{Client, Method, StatusCode, header, redirect::Policy};
use serde_json::{Value, json};

use crate::helpers::{Board, Reply, TestApp, spawn_app, spawn_app_with, spawn_authenticated_app};

/// The callers of the table, in its column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    None,
    /// A well-formed agent key that was never issued.
    BadKey,
    RevokedKey,
    /// A key of agent a1, of company A (the company every route below is about).
    SameCompanyKey,
    /// A key of agent b1, of company B.
    OtherCompanyKey,
    BoardToken,
    BoardSession,
}

const CREDS: [Cred; 7] = [
    Cred::None,
    Cred::BadKey,
    Cred::RevokedKey,
    Cred::SameCompanyKey,
    Cred::OtherCompanyKey,
    Cred::BoardToken,
    Cred::BoardSession,
];

const NEVER_ISSUED: &str =
    "cla_0123456789ab_0000000000000000000000000000000000000000000000000000000000000000";
const FORBIDDEN: &str = "this credential may not do this";
const OWN_COSTS: &str = "an agent can only report its own costs";

/// A client that shows redirects instead of following them.
fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Signs in through the form, as a browser does; the cookie pair (`costline_session=...`)
/// and the whole `Set-Cookie` line.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let r = sign_in_reply(app, email, password, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], "/companies");
    let set_cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    assert!(
        pair.starts_with("costline_session=") && pair.len() > 40,
        "{set_cookie}"
    );
    (pair, set_cookie)
}

async fn sign_in_reply(
    app: &TestApp,
    email: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut req = client().post(format!("{}/auth/sign-in", app.base)).form(&[
        ("email", email),
        ("password", password),
        ("next", "/companies"),
    ]);
    if !extra.iter().any(|(k, _)| *k == "origin") {
        req = req.header("origin", &app.base);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    TestApp::reply(req.send().await.unwrap()).await
}

/// The company world every route of the table is tried on.
struct World {
    app: TestApp,
    board: Board,
    a: String,
    b: String,
    a1: String,
    a2: String,
    b1: String,
    pa: String,
    same_key: String,
    other_key: String,
    revoked_key: String,
    /// A key of a1 that the board revokes in the DELETE row.
    doomed_key_id: String,
    cookie: String,
}

impl World {
    async fn new() -> Self {
        // No throttling here: the table makes many failed attempts on purpose.
        let (app, board) = spawn_authenticated_app(|s| s.auth_failure_limit = 0).await;
        let mut w = World {
            app,
            board,
            a: String::new(),
            b: String::new(),
            a1: String::new(),
            a2: String::new(),
            b1: String::new(),
            pa: String::new(),
            same_key: String::new(),
            other_key: String::new(),
            revoked_key: String::new(),
            doomed_key_id: String::new(),
            cookie: String::new(),
        };
        let t = Cred::BoardToken;
        w.a = w
            .ok(
                t,
                "POST",
                "/api/companies",
                json!({"name": "Acme", "budgetMonthlyCents": 100000}),
            )
            .await;
        w.b = w
            .ok(t, "POST", "/api/companies", json!({"name": "Globex"}))
            .await;
        w.a1 = w
            .ok(
                t,
                "POST",
                &format!("/api/companies/{}/agents", w.a),
                json!({"name": "writer"}),
            )
            .await;
        w.a2 = w
            .ok(
                t,
                "POST",
                &format!("/api/companies/{}/agents", w.a),
                json!({"name": "reviewer"}),
            )
            .await;
        w.b1 = w
            .ok(
                t,
                "POST",
                &format!("/api/companies/{}/agents", w.b),
                json!({"name": "spy"}),
            )
            .await;
        w.pa = w
            .ok(
                t,
                "POST",
                &format!("/api/companies/{}/projects", w.a),
                json!({"name": "Launch"}),
            )
            .await;
        w.same_key = w.key(&w.a1.clone()).await.0;
        w.other_key = w.key(&w.b1.clone()).await.0;
        let (revoked, revoked_id) = w.key(&w.a1.clone()).await;
        w.revoked_key = revoked;
        let r = w
            .send(
                t,
                "DELETE",
                &format!("/api/agents/{}/keys/{revoked_id}", w.a1),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        w.doomed_key_id = w.key(&w.a1.clone()).await.1;
        w.cookie = sign_in(&w.app, &w.board.email, &w.board.password).await.0;
        w
    }

    /// Creates something as `cred`, asserting a 201; its id.
    async fn ok(&self, cred: Cred, method: &str, path: &str, body: Value) -> String {
        let r = self.send(cred, method, path, Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{method} {path}: {}", r.text);
        r.id()
    }

    /// A new key of `agent`: the key and its id.
    async fn key(&self, agent: &str) -> (String, String) {
        let r = self
            .send(
                Cred::BoardToken,
                "POST",
                &format!("/api/agents/{agent}/keys"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (r.body["key"].as_str().unwrap().to_owned(), r.id())
    }

    async fn send(&self, cred: Cred, method: &str, path: &str, body: Option<Value>) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client().request(method, format!("{}{path}", self.app.base));
        let bearer = match cred {
            Cred::None | Cred::BoardSession => None,
            Cred::BadKey => Some(NEVER_ISSUED),
            Cred::RevokedKey => Some(self.revoked_key.as_str()),
            Cred::SameCompanyKey => Some(self.same_key.as_str()),
            Cred::OtherCompanyKey => Some(self.other_key.as_str()),
            Cred::BoardToken => Some(self.board.token.as_str()),
        };
        if let Some(bearer) = bearer {
            req = req.bearer_auth(bearer);
        }
        if cred == Cred::BoardSession {
            // What a browser sends: the cookie, and its own origin on every request.
            req = req
                .header(header::COOKIE, &self.cookie)
                .header("origin", &self.app.base);
        }
        req = match body {
            Some(Value::String(form)) => req
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form),
            Some(json) => req.json(&json),
            None => req,
        };
        TestApp::reply(req.send().await.unwrap()).await
    }

    /// Everything a refused write could have changed, as the board sees it.
    async fn snapshot(&self) -> Value {
        let mut paths = vec!["/api/companies".to_owned()];
        for c in [&self.a, &self.b] {
            paths.push(format!("/api/companies/{c}/agents"));
            paths.push(format!("/api/companies/{c}/projects"));
            paths.push(format!("/api/companies/{c}/cost-events?limit=1000"));
            paths.push(format!("/api/companies/{c}/budget-alerts"));
        }
        for agent in [&self.a1, &self.a2, &self.b1] {
            paths.push(format!("/api/agents/{agent}/keys"));
        }
        let mut all = serde_json::Map::new();
        for path in paths {
            let r = self.send(Cred::BoardToken, "GET", &path, None).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
            let mut body = r.body;
            // Using a key (even on a refused route) is not a write of the request.
            if let Some(keys) = body.as_array_mut() {
                for k in keys {
                    if let Some(k) = k.as_object_mut() {
                        k.remove("lastUsedAt");
                    }
                }
            }
            all.insert(path, body);
        }
        Value::Object(all)
    }
}

/// One route of the table: the request, and the exact status for each caller in
/// [`CREDS`] order: none, bad key, revoked key, same-company key, other-company key, board
/// token, board session.
struct Row {
    method: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 7],
}

fn row(method: &'static str, path: String, body: Option<Value>, expect: [u16; 7]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

#[tokio::test]
async fn every_route_against_every_caller() {
    let w = World::new().await;
    let (a, b, a1, a2, pa) = (&w.a, &w.b, &w.a1, &w.a2, &w.pa);
    let unknown = "01900000-0000-7000-8000-000000000000";
    let event = |agent: &str| {
        Some(
            json!({"agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
                    "inputTokens": 10, "outputTokens": 5, "costCents": 1}),
        )
    };
    // Columns: none, bad key, revoked key, same-company key, other-company key, board
    // token, board session.
    const BOARD_ONLY_READ: [u16; 7] = [401, 401, 401, 403, 403, 200, 200];
    const BOARD_ONLY_CREATE: [u16; 7] = [401, 401, 401, 403, 403, 201, 201];
    const REPORT: [u16; 7] = [401, 401, 401, 200, 403, 200, 200];
    const NOT_FOUND_FOR_BOARD: [u16; 7] = [401, 401, 401, 403, 403, 404, 404];
    const PAGE: [u16; 7] = [303, 401, 401, 303, 303, 200, 200];
    const PUBLIC: [u16; 7] = [200, 401, 401, 200, 200, 200, 200];
    let rows = vec![
        row(
            "POST",
            "/api/companies".into(),
            Some(json!({"name": "Initech"})),
            BOARD_ONLY_CREATE,
        ),
        row("GET", "/api/companies".into(), None, BOARD_ONLY_READ),
        row("GET", format!("/api/companies/{a}"), None, BOARD_ONLY_READ),
        row(
            "GET",
            format!("/api/companies/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "PATCH",
            format!("/api/companies/{a}"),
            Some(json!({"name": "Acme"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/companies/{a}"),
            Some(json!({"status": "active"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/companies/{a}/budgets"),
            Some(json!({"budgetMonthlyCents": 100000})),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/companies/{a}/agents"),
            Some(json!({"name": "new"})),
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/agents"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/companies/{a}/projects"),
            Some(json!({"name": "new"})),
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/projects"),
            None,
            BOARD_ONLY_READ,
        ),
        // Its own costs: yes. Another agent's, in its own company or not: no.
        row(
            "POST",
            format!("/api/companies/{a}/cost-events"),
            event(a1),
            [401, 401, 401, 201, 403, 201, 201],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/cost-events"),
            event(a2),
            [401, 401, 401, 403, 403, 201, 201],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/cost-events"),
            event(unknown),
            [401, 401, 401, 403, 403, 422, 422],
        ),
        row(
            "POST",
            format!("/api/companies/{b}/cost-events"),
            event(a1),
            [401, 401, 401, 403, 403, 422, 422],
        ),
        row(
            "POST",
            format!("/api/companies/{unknown}/cost-events"),
            event(a1),
            [401, 401, 401, 403, 403, 404, 404],
        ),
        row(
            "GET",
            format!("/api/companies/{a}/cost-events"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/cost-events?format=csv"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/summary"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/by-agent"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/by-project"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/by-model"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/daily"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/budget-alerts"),
            None,
            REPORT,
        ),
        // Company B's reports: its own key reads them, company A's does not.
        row(
            "GET",
            format!("/api/companies/{b}/costs/summary"),
            None,
            [401, 401, 401, 403, 200, 200, 200],
        ),
        row(
            "GET",
            format!("/api/companies/{unknown}/costs/summary"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row("GET", format!("/api/agents/{a1}"), None, REPORT),
        row("GET", format!("/api/agents/{a2}"), None, BOARD_ONLY_READ),
        row(
            "GET",
            format!("/api/agents/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "PATCH",
            format!("/api/agents/{a1}"),
            Some(json!({"name": "writer"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/agents/{a1}"),
            Some(json!({"status": "active"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/agents/{a1}/budgets"),
            Some(json!({"budgetMonthlyCents": 0})),
            BOARD_ONLY_READ,
        ),
        row("GET", format!("/api/projects/{pa}"), None, BOARD_ONLY_READ),
        row(
            "PATCH",
            format!("/api/projects/{pa}"),
            Some(json!({"name": "Launch"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/projects/{pa}/budgets"),
            Some(json!({"budgetMonthlyCents": 0})),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/agents/{a1}/keys"),
            None,
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/agents/{a1}/keys"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/agents/{unknown}/keys"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "DELETE",
            format!("/api/agents/{a1}/keys/{}", w.doomed_key_id),
            None,
            [401, 401, 401, 403, 403, 204, 204],
        ),
        row(
            "DELETE",
            format!("/api/agents/{a1}/keys/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "GET",
            "/api/no-such-route".into(),
            None,
            [404, 401, 401, 404, 404, 404, 404],
        ),
        row("GET", "/healthz".into(), None, PUBLIC),
        row("GET", "/readyz".into(), None, PUBLIC),
        // The dashboard: pages send whoever is not the board to sign-in; server functions
        // ask the same policy as the REST API.
        row("GET", "/".into(), None, PAGE),
        row("GET", format!("/companies/{a}"), None, PAGE),
        row("GET", format!("/companies/{a}/settings"), None, PAGE),
        row("GET", "/signin".into(), None, PUBLIC),
        row(
            "POST",
            "/rpc/companies".into(),
            Some(json!("")),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            "/rpc/overview".into(),
            Some(json!(format!("company_id={a}"))),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            "/rpc/set_budget".into(),
            Some(json!(format!("scope=agent&id={a1}&budget=0"))),
            BOARD_ONLY_READ,
        ),
        row("POST", "/rpc/viewer".into(), Some(json!("")), PUBLIC),
        // The batch route applies the single route's rule to every event.
        row(
            "POST",
            format!("/api/companies/{a}/cost-events/batch"),
            Some(json!({"events": [event(a1)]})),
            [401, 401, 401, 200, 403, 200, 200],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/cost-events/batch"),
            Some(json!({"events": [event(a1), event(a2)]})),
            [401, 401, 401, 403, 403, 200, 200],
        ),
        row(
            "POST",
            format!("/api/companies/{b}/cost-events/batch"),
            Some(json!({"events": []})),
            // Company B's key may post to B (nothing, here); A's may not.
            [401, 401, 401, 403, 200, 200, 200],
        ),
        // The price book and repricing are the board's.
        row("GET", "/api/model-prices".into(), None, BOARD_ONLY_READ),
        row(
            "PUT",
            "/api/model-prices".into(),
            Some(
                json!({"provider": "acme", "model": "m-*", "effectiveFrom": "2026-01-01",
                "inputMicroCentsPerMTok": 1, "outputMicroCentsPerMTok": 1}),
            ),
            [401, 401, 401, 403, 403, 201, 200],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/reprice?apply=true"),
            Some(json!({})),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            "/rpc/prices".into(),
            Some(json!("")),
            BOARD_ONLY_READ,
        ),
    ];

    let mut failures = Vec::new();
    for row in &rows {
        for (i, cred) in CREDS.iter().enumerate() {
            let expected = row.expect[i];
            let write = row.method != "GET";
            let before = if write && expected >= 400 {
                Some(w.snapshot().await)
            } else {
                None
            };
            let r = w.send(*cred, row.method, &row.path, row.body.clone()).await;
            let what = format!("{} {} as {cred:?}", row.method, row.path);
            if r.status.as_u16() != expected {
                failures.push(format!(
                    "{what}: expected {expected}, got {} {}",
                    r.status, r.text
                ));
                continue;
            }
            match expected {
                401 => {
                    let challenge = r
                        .headers
                        .get(header::WWW_AUTHENTICATE)
                        .map(|v| v.to_str().unwrap());
                    assert!(
                        challenge.is_some_and(|c| c.starts_with("Bearer")),
                        "{what}: {challenge:?}"
                    );
                    // REST errors say `error`; server functions' (ApiError) say `message`.
                    let message = r.body["error"]
                        .as_str()
                        .or_else(|| r.body["message"].as_str());
                    assert!(
                        message.is_some_and(|e| e.starts_with("authentication required")
                            || e.starts_with("the credential is not valid")),
                        "{what}: {}",
                        r.text
                    );
                }
                403 => {
                    let own_costs = row.path.contains("/cost-events")
                        && matches!(cred, Cred::SameCompanyKey | Cred::OtherCompanyKey)
                        && r.body["error"] == OWN_COSTS;
                    let message = r.body["error"]
                        .as_str()
                        .or_else(|| r.body["message"].as_str());
                    assert!(
                        own_costs || message == Some(FORBIDDEN),
                        "{what}: {}",
                        r.text
                    );
                }
                303 => {
                    let to = r.headers[header::LOCATION].to_str().unwrap();
                    assert!(to.starts_with("/signin?next=/"), "{what}: {to}");
                }
                _ => {}
            }
            if let Some(before) = before {
                assert_eq!(
                    w.snapshot().await,
                    before,
                    "{what} was refused but changed something"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn refusals_of_other_companies_reveal_nothing() {
    let w = World::new().await;
    let unknown = "01900000-0000-7000-8000-000000000000";
    // Company A's key looks at company B, and at a company that does not exist: the same
    // answer, word for word.
    for path in ["costs/summary", "cost-events", "budget-alerts"] {
        let real = w
            .send(
                Cred::SameCompanyKey,
                "GET",
                &format!("/api/companies/{}/{path}", w.b),
                None,
            )
            .await;
        let none = w
            .send(
                Cred::SameCompanyKey,
                "GET",
                &format!("/api/companies/{unknown}/{path}"),
                None,
            )
            .await;
        assert_eq!(real.status, StatusCode::FORBIDDEN);
        assert_eq!(
            (real.status, &real.text),
            (none.status, &none.text),
            "{path}"
        );
    }
    let real = w
        .send(
            Cred::SameCompanyKey,
            "GET",
            &format!("/api/agents/{}", w.b1),
            None,
        )
        .await;
    let none = w
        .send(
            Cred::SameCompanyKey,
            "GET",
            &format!("/api/agents/{unknown}"),
            None,
        )
        .await;
    assert_eq!((real.status, &real.text), (none.status, &none.text));
    assert_eq!(real.body["error"], FORBIDDEN);
    assert!(!real.text.contains("Globex") && !real.text.contains(&w.b1));
}

#[tokio::test]
async fn an_agent_key_reports_its_own_costs_and_reads_its_company() {
    let w = World::new().await;
    let r = w
        .send(
            Cred::SameCompanyKey,
            "POST",
            &format!("/api/companies/{}/cost-events", w.a),
            Some(
                json!({"agentId": w.a1, "provider": "openai", "model": "gpt-5", "costCents": 250}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["agentId"], w.a1.as_str());
    assert_eq!(r.body["enforcement"]["agentStatus"], "active");
    let r = w
        .send(
            Cred::SameCompanyKey,
            "GET",
            &format!("/api/companies/{}/costs/summary", w.a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["spendCents"], 250);
    let r = w
        .send(
            Cred::SameCompanyKey,
            "GET",
            &format!("/api/agents/{}", w.a1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["spentMonthlyCents"], 250);

    // Another agent's costs: refused with the contract's sentence, and nothing counted.
    let r = w
        .send(
            Cred::SameCompanyKey,
            "POST",
            &format!("/api/companies/{}/cost-events", w.a),
            Some(
                json!({"agentId": w.a2, "provider": "openai", "model": "gpt-5", "costCents": 999}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, json!({"error": OWN_COSTS}));
    let r = w
        .send(
            Cred::BoardToken,
            "GET",
            &format!("/api/companies/{}/costs/summary", w.a),
            None,
        )
        .await;
    assert_eq!(r.body["spendCents"], 250);
    assert_eq!(r.body["eventCount"], 1);
}

#[tokio::test]
async fn agent_keys_are_shown_once_stored_hashed_and_revoked_at_once() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let client = client();
    let auth = |req: reqwest::RequestBuilder, token: &str| req.bearer_auth(token.to_owned());
    let send =
        |req: reqwest::RequestBuilder| async { TestApp::reply(req.send().await.unwrap()).await };
    let url = |p: &str| format!("{}{p}", app.base);

    let company =
        send(auth(client.post(url("/api/companies")), &board.token).json(&json!({"name": "Acme"})))
            .await
            .id();
    let agent = send(
        auth(
            client.post(url(&format!("/api/companies/{company}/agents"))),
            &board.token,
        )
        .json(&json!({"name": "writer"})),
    )
    .await
    .id();
    let other = send(
        auth(
            client.post(url(&format!("/api/companies/{company}/agents"))),
            &board.token,
        )
        .json(&json!({"name": "other"})),
    )
    .await
    .id();

    let created = send(auth(
        client.post(url(&format!("/api/agents/{agent}/keys"))),
        &board.token,
    ))
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
    let key = created.body["key"].as_str().unwrap().to_owned();
    let prefix = created.body["prefix"].as_str().unwrap().to_owned();
    let key_id = created.id();
    assert!(
        prefix.starts_with("cla_") && key.starts_with(&format!("{prefix}_")),
        "{key}"
    );
    let secret = &key[prefix.len() + 1..];
    assert!(secret.len() * 4 >= 128, "at least 128 random bits");
    assert_eq!(created.body["agentId"], agent.as_str());
    assert_eq!(created.body["companyId"], company.as_str());
    assert_eq!(created.body["lastUsedAt"], Value::Null);

    // Listed without the secret.
    let list = send(auth(
        client.get(url(&format!("/api/agents/{agent}/keys"))),
        &board.token,
    ))
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["prefix"], prefix.as_str());
    assert_eq!(list.body[0].get("key"), None);
    assert!(!list.text.contains(secret));

    // Stored as a hash only.
    {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query("SELECT id, agent_id, prefix, secret_hash FROM agent_keys")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let stored: String = rows[0].get("secret_hash");
        assert_ne!(stored, key);
        assert!(!stored.contains(secret));
        assert_eq!(stored.len(), 64, "SHA-256 hex");
        let users = sqlx::query("SELECT password_hash FROM board_users")
            .fetch_all(&pool)
            .await
            .unwrap();
        let hash: String = users[0].get("password_hash");
        assert!(hash.starts_with("$argon2id$") && !hash.contains(&board.password));
        let tokens = sqlx::query("SELECT secret_hash FROM board_tokens")
            .fetch_all(&pool)
            .await
            .unwrap();
        let token_hash: String = tokens[0].get("secret_hash");
        assert!(!board.token.contains(&token_hash) && !token_hash.contains(&board.token[16..]));
        pool.close().await;
    }

    // Using it records when.
    let r = send(auth(client.get(url(&format!("/api/agents/{agent}"))), &key)).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = send(auth(
        client.get(url(&format!("/api/agents/{agent}/keys"))),
        &board.token,
    ))
    .await;
    assert!(list.body[0]["lastUsedAt"].is_string(), "{}", list.text);

    // Revoking it through another agent's path finds nothing; through its own, it stops
    // working with the very next request.
    let r = send(auth(
        client.delete(url(&format!("/api/agents/{other}/keys/{key_id}"))),
        &board.token,
    ))
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(auth(client.get(url(&format!("/api/agents/{agent}"))), &key)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(auth(
        client.delete(url(&format!("/api/agents/{agent}/keys/{key_id}"))),
        &board.token,
    ))
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.text, "");
    let r = send(auth(client.get(url(&format!("/api/agents/{agent}"))), &key)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body["error"],
        "the credential is not valid: unknown, revoked or mistyped"
    );
    assert!(!r.text.contains(secret), "errors never echo the secret");
    let list = send(auth(
        client.get(url(&format!("/api/agents/{agent}/keys"))),
        &board.token,
    ))
    .await;
    assert_eq!(list.body, json!([]));
    let again = send(auth(
        client.delete(url(&format!("/api/agents/{agent}/keys/{key_id}"))),
        &board.token,
    ))
    .await;
    assert_eq!(
        again.status,
        StatusCode::NO_CONTENT,
        "revoking twice is fine"
    );
}

#[tokio::test]
async fn malformed_authorization_is_401() {
    let (app, _board) = spawn_authenticated_app(|_| {}).await;
    for value in [
        "Basic Ym9hcmQ6cGFzcw==",
        "Bearer",
        "Bearer not-a-key",
        "cla_0123456789ab_00",
    ] {
        let r = TestApp::reply(
            client()
                .get(format!("{}/api/companies", app.base))
                .header(header::AUTHORIZATION, value)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{value}");
        assert!(
            r.headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
}

#[tokio::test]
async fn sessions_have_safe_cookies_expire_and_end_on_sign_out() {
    let (app, board) = spawn_authenticated_app(|s| s.session_hours = 12).await;
    let (cookie, set_cookie) = sign_in(&app, &board.email, &board.password).await;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    let get = |cookie: String| {
        let base = app.base.clone();
        async move {
            TestApp::reply(
                client()
                    .get(format!("{base}/api/companies"))
                    .header(header::COOKIE, cookie)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(get(cookie.clone()).await.status, StatusCode::OK);
    // The header says who is signed in.
    let page = TestApp::reply(
        client()
            .get(format!("{}/", app.base))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("board@example.com"),
        "emails are kept lower-case"
    );
    assert!(!page.text.contains("local mode"));

    // Twelve hours later it is over.
    app.clock
        .set(app.clock.now() + Span::hours(12) + Span::seconds(1));
    let r = get(cookie.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = TestApp::reply(
        client()
            .get(format!("{}/companies/x", app.base))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/signin?next=/companies/x");

    // Signing out ends the session on the server, not only in the browser.
    let (cookie, _) = sign_in(&app, &board.email, &board.password).await;
    assert_eq!(get(cookie.clone()).await.status, StatusCode::OK);
    let r = TestApp::reply(
        client()
            .post(format!("{}/auth/sign-out", app.base))
            .header(header::COOKIE, &cookie)
            .header("origin", &app.base)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/signin");
    let cleared = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("costline_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(get(cookie).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_are_refused_alike() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let wrong = sign_in_reply(&app, &board.email, "not the password at all", &[]).await;
    let unknown = sign_in_reply(&app, "nobody@example.com", &board.password, &[]).await;
    for r in [&wrong, &unknown] {
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers[header::LOCATION],
            "/signin?error=invalid&next=/companies"
        );
        assert!(r.headers.get(header::SET_COOKIE).is_none());
    }
    // Sign-in never sends anyone to another site.
    let r = TestApp::reply(
        client()
            .post(format!("{}/auth/sign-in", app.base))
            .header("origin", &app.base)
            .form(&[
                ("email", board.email.as_str()),
                ("password", board.password.as_str()),
                ("next", "//evil.example/"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_an_https_proxy() {
    let (app, board) = spawn_authenticated_app(|s| s.trust_proxy = true).await;
    let r = sign_in_reply(
        &app,
        &board.email,
        &board.password,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let set_cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
}

#[tokio::test]
async fn cross_site_writes_with_a_session_are_refused() {
    let w = World::new().await;
    let post = |origin: Option<&str>, referer: Option<&str>| {
        let mut req = client()
            .post(format!("{}/api/companies", w.app.base))
            .header(header::COOKIE, &w.cookie)
            .json(&json!({"name": "Forged"}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(r) = referer {
            req = req.header("referer", r);
        }
        async { TestApp::reply(req.send().await.unwrap()).await }
    };
    let before = w.snapshot().await;
    for (origin, referer) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, None),
        (None, Some("https://evil.example/page")),
        (
            Some("https://evil.example"),
            Some(format!("{}/", w.app.base).as_str()),
        ),
    ] {
        let r = post(origin, referer).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{origin:?} {referer:?}: {}",
            r.text
        );
        assert_eq!(
            r.body["error"],
            "cross-site request refused: the Origin or Referer header must name this site"
        );
    }
    assert_eq!(
        w.snapshot().await,
        before,
        "no forged write stored anything"
    );
    let referer = format!("{}/companies", w.app.base);
    assert_eq!(post(None, Some(&referer)).await.status, StatusCode::CREATED);
    assert_eq!(
        post(Some(&w.app.base), None).await.status,
        StatusCode::CREATED
    );

    // Server functions and sign-in are guarded the same way.
    let r = TestApp::reply(
        client()
            .post(format!("{}/rpc/set_budget", w.app.base))
            .header(header::COOKIE, &w.cookie)
            .header("origin", "https://evil.example")
            .form(&[("scope", "company"), ("id", w.a.as_str()), ("budget", "1")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = sign_in_reply(
        &w.app,
        &w.board.email,
        &w.board.password,
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    // A bearer token is never sent by a browser on its own: no origin needed.
    let r = w
        .send(
            Cred::BoardToken,
            "POST",
            "/api/companies",
            Some(json!({"name": "Scripted"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled() {
    let (app, board) = spawn_authenticated_app(|s| s.auth_failure_limit = 3).await;
    let get = |token: &str| {
        let req = client()
            .get(format!("{}/api/companies", app.base))
            .bearer_auth(token.to_owned());
        async { TestApp::reply(req.send().await.unwrap()).await }
    };
    assert_eq!(get(&board.token).await.status, StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(get(NEVER_ISSUED).await.status, StatusCode::UNAUTHORIZED);
    }
    let r = get(NEVER_ISSUED).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    let wait: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .starts_with("too many failed attempts")
    );
    // Refused before any check, even with the right credential, so guessing learns nothing.
    assert_eq!(
        get(&board.token).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let r = sign_in_reply(&app, &board.email, &board.password, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers[header::LOCATION],
        "/signin?error=throttled&next=/companies"
    );
    assert!(r.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn wrong_passwords_count_towards_the_limit() {
    let (app, board) = spawn_authenticated_app(|s| s.auth_failure_limit = 2).await;
    for _ in 0..2 {
        let r = sign_in_reply(&app, &board.email, "wrong password, again", &[]).await;
        assert_eq!(
            r.headers[header::LOCATION],
            "/signin?error=invalid&next=/companies"
        );
    }
    let r = sign_in_reply(&app, &board.email, &board.password, &[]).await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/signin?error=throttled&next=/companies"
    );
}

#[tokio::test]
async fn local_mode_allows_everything_says_so_and_still_refuses_cross_site_writes() {
    let app = spawn_app().await;
    let page = TestApp::reply(client().get(format!("{}/", app.base)).send().await.unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("data-testid=\"local-mode\""),
        "{}",
        page.text
    );
    // No credential needed; a bearer token is not even looked at.
    let r = TestApp::reply(
        client()
            .post(format!("{}/api/companies", app.base))
            .bearer_auth(NEVER_ISSUED)
            .json(&json!({"name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = TestApp::reply(
        client()
            .post(format!("{}/api/companies", app.base))
            .header("origin", "https://evil.example")
            .json(&json!({"name": "Forged"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/companies").await;
    assert_eq!(
        r.body.as_array().unwrap().len(),
        1,
        "the forged company was not stored"
    );
    assert_eq!(r.body[0]["name"], "Acme");
}

#[tokio::test]
async fn refuses_a_public_address_without_a_board_credential() {
    use std::sync::Arc;

    use costline::server::{
        auth::AuthMode, clock::SystemClock, config::Settings, startup::Application,
    };
    let (database_url, _dir) = crate::helpers::fresh_database().await;
    let mut settings = Settings::for_database(database_url.clone());
    settings.bind = "0.0.0.0:0".parse().unwrap();
    let err = match Application::build(&settings, Arc::new(SystemClock)).await {
        Ok(_) => panic!("started on 0.0.0.0 with no board credential"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.starts_with("refusing to listen on 0.0.0.0:0 without a board credential"),
        "{err}"
    );
    assert!(err.contains("costline board create-user --email"), "{err}");
    assert!(err.contains("costline board create-token"), "{err}");

    // Loopback without one: local mode. Once a credential exists: authenticated, anywhere.
    settings.bind = "127.0.0.1:0".parse().unwrap();
    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(app.auth_mode(), AuthMode::LocalTrusted);
    drop(app);
    crate::helpers::create_board_credentials(&database_url).await;
    settings.bind = "0.0.0.0:0".parse().unwrap();
    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(app.auth_mode(), AuthMode::Authenticated);
}

/// The real binary and its `board` commands, as an operator uses them.
mod cli {
    use std::process::Stdio;

    use tokio::{io::AsyncWriteExt, process::Command};

    use super::*;

    fn costline(db: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_costline"));
        cmd.env("DATABASE_URL", db)
            .env_remove("COSTLINE_BOARD_PASSWORD")
            .env_remove("COSTLINE_BIND")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[tokio::test]
    async fn the_binary_refuses_0_0_0_0_without_a_board_credential() {
        let (db, _dir) = crate::helpers::fresh_database().await;
        let out = tokio::time::timeout(
            Duration::from_secs(30),
            costline(&db).args(["--bind", "0.0.0.0:0"]).output(),
        )
        .await
        .expect("it stops by itself")
        .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("refusing to listen on 0.0.0.0:0 without a board credential"),
            "{stderr}"
        );
        assert!(
            stderr.contains("costline board create-user --email"),
            "{stderr}"
        );
    }

    #[tokio::test]
    async fn board_commands_create_credentials_the_server_accepts() {
        let (db, _dir) = crate::helpers::fresh_database().await;
        let help = costline(&db).arg("--help").output().await.unwrap();
        let help = String::from_utf8_lossy(&help.stdout).into_owned();
        assert!(
            help.contains("board") && help.contains("create-user"),
            "{help}"
        );
        let help = costline(&db)
            .args(["board", "create-user", "--help"])
            .output()
            .await
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout).into_owned();
        assert!(
            help.contains("COSTLINE_BOARD_PASSWORD") && help.contains("--email"),
            "{help}"
        );

        // From the environment.
        let out = costline(&db)
            .args(["board", "create-user", "--email", "ops@example.com"])
            .env("COSTLINE_BOARD_PASSWORD", "a long enough password")
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Created board user ops@example.com")
        );
        assert!(out.stdout.is_empty(), "nothing secret to print");
        // From standard input, for a second user; a short one is refused.
        let mut child = costline(&db)
            .args(["board", "create-user", "--email", "cfo@example.com"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"short\n")
            .await
            .unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("must have 12 to 1024 characters"));
        let mut child = costline(&db)
            .args(["board", "create-user", "--email", "cfo@example.com"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"piped in on stdin\n")
            .await
            .unwrap();
        assert!(child.wait_with_output().await.unwrap().status.success());
        // A token, printed once on stdout.
        let out = costline(&db)
            .args(["board", "create-token", "--name", "ci"])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(token.starts_with("clb_") && token.len() == 81, "{token}");

        // The server on that database now requires them, even on 0.0.0.0.
        let port = free_port();
        let mut server = costline(&db)
            .args(["--bind", &format!("0.0.0.0:{port}")])
            .env("COSTLINE_LOG", "warn")
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..200 {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
                && r.status() == StatusCode::OK
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "the server did not start");
        let get = |token: Option<&str>| {
            let mut req = client().get(format!("{base}/api/companies"));
            if let Some(t) = token {
                req = req.bearer_auth(t.to_owned());
            }
            async { req.send().await.unwrap().status() }
        };
        assert_eq!(get(None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(get(Some(&token)).await, StatusCode::OK);
        for (email, password) in [
            ("ops@example.com", "a long enough password"),
            ("CFO@example.com", "piped in on stdin"),
        ] {
            let r = client()
                .post(format!("{base}/auth/sign-in"))
                .header("origin", &base)
                .form(&[("email", email), ("password", password)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            assert!(
                r.headers().get(header::SET_COOKIE).is_some(),
                "{email} signs in"
            );
        }
        server.kill().await.unwrap();
    }
}

#[tokio::test]
async fn spawn_app_with_keeps_local_mode_on_loopback() {
    let app = spawn_app_with(|s| s.session_hours = 1).await;
    assert_eq!(app.get("/api/companies").await.status, StatusCode::OK);
}

#[tokio::test]
async fn new_routes_have_body_limits_too() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let big = "x".repeat(100 * 1024);
    // Sign-in and server functions are capped like the REST API (64 KiB).
    for path in ["/auth/sign-in", "/rpc/companies"] {
        let r = client()
            .post(format!("{}{path}", app.base))
            .header("origin", &app.base)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("email=a&password={big}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    let company = TestApp::reply(
        client()
            .post(format!("{}/api/companies", app.base))
            .bearer_auth(&board.token)
            .json(&json!({"name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .id();
    let agent = TestApp::reply(
        client()
            .post(format!("{}/api/companies/{company}/agents", app.base))
            .bearer_auth(&board.token)
            .json(&json!({"name": "a"}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .id();
    let r = TestApp::reply(
        client()
            .post(format!("{}/api/agents/{agent}/keys", app.base))
            .bearer_auth(&board.token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(format!("{{\"name\":\"{big}\"}}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // The key route reads no body; whatever was sent is not kept or echoed.
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(!r.text.contains(&big));
}
