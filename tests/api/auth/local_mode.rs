//! Local mode's guards: it never starts behind a proxy, serves only requests addressed to
//! this machine by name, treats `Origin: null` as another site, and (like every mode) takes
//! only JSON bodies on the API.

use std::{sync::Arc, time::Duration};

use costline::server::{AuthMode, clock::SystemClock, config::Settings, startup::Application};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use super::world::client;
use crate::helpers::{
    TestApp, create_board_credentials, fresh_database, spawn_app, spawn_authenticated_app,
};

const CROSS_SITE: &str =
    "cross-site request refused: the Origin or Referer header must name this site";
const NOT_JSON: &str = "the request body must be JSON, sent with `Content-Type: application/json`";

#[tokio::test]
async fn a_proxy_without_a_board_credential_is_refused_at_start() {
    let (database_url, _dir) = fresh_database().await;
    let mut settings = Settings::for_database(database_url.clone());
    settings.trust_proxy = true;
    let err = match Application::build(&settings, Arc::new(SystemClock)).await {
        Ok(_) => panic!("started in local mode behind a proxy"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.starts_with("refusing to start behind a proxy (COSTLINE_TRUST_PROXY=true) without a board credential"),
        "{err}"
    );
    assert!(err.contains("costline board create-user --email"), "{err}");

    // The binary says the same and stops.
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_costline"))
            .env("DATABASE_URL", &database_url)
            .env("COSTLINE_BIND", "127.0.0.1:0")
            .env("COSTLINE_TRUST_PROXY", "true")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("it stops by itself")
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to start behind a proxy"),
        "{stderr}"
    );

    // With a credential, behind a proxy is fine: every request then needs one.
    create_board_credentials(&database_url).await;
    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(app.auth_mode(), AuthMode::Authenticated);
}

/// A request to `path` on `app` with `headers`, the body sent as is.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> crate::helpers::Reply {
    let mut req = client().request(method, format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if !body.is_empty() {
        req = req.body(body.to_owned());
    }
    TestApp::reply(req.send().await.unwrap()).await
}

async fn company_names(app: &TestApp) -> Vec<Value> {
    let r = app.get("/api/companies").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect()
}

#[tokio::test]
async fn local_mode_refuses_other_sites_and_rebound_names() {
    let app = spawn_app().await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let json_type = ("content-type", "application/json");
    let body = r#"{"name": "Forged"}"#;
    use reqwest::Method;

    // A sandboxed frame or a data: page says `Origin: null`: another site.
    for content_type in ["text/plain", "application/json"] {
        let r = send(
            &app,
            Method::POST,
            "/api/companies",
            &[("origin", "null"), ("content-type", content_type)],
            body,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{content_type}: {}",
            r.text
        );
        assert_eq!(r.body, json!({"error": CROSS_SITE}));
    }
    // A form post with no Origin at all (an old browser, a tool) is still no JSON.
    let r = send(
        &app,
        Method::POST,
        "/api/companies",
        &[("content-type", "text/plain")],
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(r.body, json!({"error": NOT_JSON}));

    // DNS rebinding: the page's own name in Host. Neither read nor written.
    let rebound = format!("rb.attacker.example:{port}");
    for (method, body) in [(Method::GET, ""), (Method::POST, body)] {
        let r = send(
            &app,
            method.clone(),
            "/api/companies",
            &[("host", &rebound), json_type],
            body,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method}: {}", r.text);
        assert!(
            r.body["error"]
                .as_str()
                .unwrap()
                .starts_with("local mode answers only requests addressed to localhost"),
            "{}",
            r.text
        );
    }
    let page = send(&app, Method::GET, "/", &[("host", &rebound)], "").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.text.contains("<html"));
    // Another port on this machine is another origin too.
    let r = send(
        &app,
        Method::GET,
        "/api/companies",
        &[("host", "127.0.0.1:1")],
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        company_names(&app).await,
        Vec::<Value>::new(),
        "nothing was stored"
    );

    // What a local user does still works: loopback names, JSON with a charset, bodiless
    // POSTs, and /healthz for probes.
    let localhost = format!("localhost:{port}");
    let r = send(
        &app,
        Method::POST,
        "/api/companies",
        &[
            ("host", &localhost),
            ("content-type", "application/json; charset=utf-8"),
        ],
        r#"{"name": "Acme"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let company = r.id();
    let agent = app.agent(&company, "writer", 0).await;
    let r = send(
        &app,
        Method::POST,
        &format!("/api/agents/{agent}/keys"),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = send(
        &app,
        Method::POST,
        &format!("/api/companies/{company}/reprice"),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = send(
        &app,
        Method::GET,
        "/healthz",
        &[("host", &format!("[::1]:{port}"))],
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(company_names(&app).await, vec![json!("Acme")]);
}

#[tokio::test]
async fn the_dashboard_takes_form_posts_from_its_own_origin_only() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100_000).await;
    let form = format!("scope=company&id={company}&budget=250");
    let post = |origin: Option<&str>, path: &str, form: &str| {
        let mut req = client()
            .post(format!("{}{path}", app.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(form.to_owned());
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        async { TestApp::reply(req.send().await.unwrap()).await }
    };
    for origin in [None, Some("null"), Some("https://evil.example")] {
        for path in ["/rpc/set_budget", "/auth/sign-in"] {
            let r = post(origin, path, &form).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{path} from {origin:?}: {}",
                r.text
            );
        }
    }
    let budget = || async {
        app.get(&format!("/api/companies/{company}")).await.body["budgetMonthlyCents"].clone()
    };
    assert_eq!(
        budget().await,
        json!(100_000),
        "no forged post changed the budget"
    );

    // The hydrated app, and a plain form without JavaScript, from our own origin.
    let r = post(Some(&app.base), "/rpc/set_budget", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(budget().await, json!(25_000));
    let r = post(Some(&app.base), "/auth/sign-in", "next=/prices").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers[header::LOCATION], "/prices");
}

#[tokio::test]
async fn the_api_takes_json_bodies_only_in_every_mode() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let post = |path: String, content_type: Option<&'static str>, body: &'static str| {
        let mut req = client()
            .post(format!("{}{path}", app.base))
            .bearer_auth(&board.token)
            .body(body);
        if let Some(t) = content_type {
            req = req.header(header::CONTENT_TYPE, t);
        }
        async { TestApp::reply(req.send().await.unwrap()).await }
    };
    let company = post(
        "/api/companies".into(),
        Some("application/json"),
        r#"{"name":"Acme"}"#,
    )
    .await
    .id();
    let agent = post(
        format!("/api/companies/{company}/agents"),
        Some("application/json"),
        r#"{"name":"a"}"#,
    )
    .await
    .id();
    let event = r#"{"agentId":"x","provider":"p","model":"m","costCents":1}"#;
    let batch = r#"{"events":[]}"#;
    for (path, body) in [
        ("/api/companies".to_owned(), r#"{"name":"Forged"}"#),
        (format!("/api/companies/{company}/cost-events"), event),
        (format!("/api/companies/{company}/cost-events/batch"), batch),
        (format!("/api/agents/{agent}/keys"), "{}"),
    ] {
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonx"),
            None,
        ] {
            let r = post(path.clone(), content_type, body).await;
            assert_eq!(
                r.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path} as {content_type:?}: {}",
                r.text
            );
            assert_eq!(r.body, json!({"error": NOT_JSON}));
        }
    }
    let r = client()
        .patch(format!("{}/api/companies/{company}", app.base))
        .bearer_auth(&board.token)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"name":"Renamed"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Without a credential the answer stays 401: who is asking comes first.
    let r = client()
        .post(format!("{}/api/companies", app.base))
        .header(header::CONTENT_TYPE, "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = post(
        "/api/companies".into(),
        Some("Application/JSON; charset=UTF-8"),
        r#"{"name":"Two"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = post(format!("/api/agents/{agent}/keys"), None, "").await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "a POST without a body needs no type"
    );
    let names: Vec<Value> = TestApp::reply(
        client()
            .get(format!("{}/api/companies", app.base))
            .bearer_auth(&board.token)
            .send()
            .await
            .unwrap(),
    )
    .await
    .body
    .as_array()
    .unwrap()
    .iter()
    .map(|c| c["name"].clone())
    .collect();
    assert_eq!(names, vec![json!("Acme"), json!("Two")]);
}
