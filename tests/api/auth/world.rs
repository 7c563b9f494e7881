//! The company world the auth tests are played in: two companies, their agents, keys of
//! every kind, a board token and a board session; and a snapshot of everything a refused
//! request could have changed.

use reqwest::{Client, Method, StatusCode, header, redirect::Policy};
use serde_json::{Value, json};

use crate::helpers::{Board, Reply, TestApp, spawn_authenticated_app};

/// The callers of the table, in its column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cred {
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

pub const CREDS: [Cred; 7] = [
    Cred::None,
    Cred::BadKey,
    Cred::RevokedKey,
    Cred::SameCompanyKey,
    Cred::OtherCompanyKey,
    Cred::BoardToken,
    Cred::BoardSession,
];

pub const NEVER_ISSUED: &str =
    "cla_0123456789ab_0000000000000000000000000000000000000000000000000000000000000000";
pub const FORBIDDEN: &str = "this credential may not do this";
pub const OWN_COSTS: &str = "an agent can only report its own costs";

/// A client that shows redirects instead of following them. A request unanswered for a
/// minute fails, naming itself, instead of stalling the suite: a guard against hangs, not
/// a measure of speed.
pub fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Signs in through the form, as a browser does; the cookie pair (`costline_session=...`)
/// and the whole `Set-Cookie` line.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> (String, String) {
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

pub async fn sign_in_reply(
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
pub struct World {
    pub app: TestApp,
    pub board: Board,
    pub a: String,
    pub b: String,
    pub a1: String,
    pub a2: String,
    pub b1: String,
    pub pa: String,
    pub same_key: String,
    pub other_key: String,
    pub revoked_key: String,
    /// A key of a1 that the board revokes in the DELETE row.
    pub doomed_key_id: String,
    /// A webhook endpoint of company A, and one the board deletes in the DELETE row.
    pub hook: String,
    pub doomed_hook: String,
    pub cookie: String,
}

impl World {
    pub async fn new() -> Self {
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
            hook: String::new(),
            doomed_hook: String::new(),
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
        let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["alert.hard"]});
        let hooks = format!("/api/companies/{}/webhooks", w.a);
        w.hook = w.ok(t, "POST", &hooks, hook.clone()).await;
        w.doomed_hook = w.ok(t, "POST", &hooks, hook).await;
        w.cookie = sign_in(&w.app, &w.board.email, &w.board.password).await.0;
        w
    }

    /// Creates something as `cred`, asserting a 201; its id.
    pub async fn ok(&self, cred: Cred, method: &str, path: &str, body: Value) -> String {
        let r = self.send(cred, method, path, Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{method} {path}: {}", r.text);
        r.id()
    }

    /// A new key of `agent`: the key and its id.
    pub async fn key(&self, agent: &str) -> (String, String) {
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

    pub async fn send(&self, cred: Cred, method: &str, path: &str, body: Option<Value>) -> Reply {
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
        if path.starts_with("/rpc/") {
            // How the hydrated dashboard calls a server function: a form body, asking for
            // JSON, from its own origin.
            req = req.header(header::ACCEPT, "application/json");
            if cred != Cred::BoardSession {
                req = req.header("origin", &self.app.base);
            }
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
    pub async fn snapshot(&self) -> Value {
        let mut paths = vec!["/api/companies".to_owned(), "/api/model-prices".to_owned()];
        for c in [&self.a, &self.b] {
            paths.push(format!("/api/companies/{c}/agents"));
            paths.push(format!("/api/companies/{c}/projects"));
            paths.push(format!("/api/companies/{c}/cost-events?limit=1000"));
            paths.push(format!("/api/companies/{c}/budget-alerts"));
            paths.push(format!("/api/companies/{c}/budget-holds"));
            paths.push(format!("/api/companies/{c}/incidents"));
            paths.push(format!("/api/companies/{c}/budget-requests"));
            // A refused call writes no audit row either.
            paths.push(format!("/api/companies/{c}/activity?limit=200"));
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
