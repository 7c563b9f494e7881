//! Auth and tenant isolation: every route against every kind of caller, agent keys,
//! sessions, CSRF, the failure limiter, local mode's guards, the HTTP limits and headers,
//! and the operator's `board` commands. `cargo test --test api -- auth` runs all of it.

mod cli;
mod headers;
mod http_limits;
mod limiter;
mod local_mode;
mod matrix;
mod sessions;
pub(crate) mod world;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_authenticated_app};
use world::*;

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

    use costline::server::{AuthMode, clock::SystemClock, config::Settings, startup::Application};
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
