//! Board sessions: sign-in, cookies, expiry, sign-out, cross-site writes.

use chrono::Duration as Span;
use costline::server::clock::Clock;
use reqwest::{StatusCode, header};
use serde_json::json;

use super::world::*;
use crate::helpers::{TestApp, spawn_authenticated_app};

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
async fn sign_in_sends_nobody_to_another_site() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let sign_in_to = |next: &str| {
        let req = client()
            .post(format!("{}/auth/sign-in", app.base))
            .header("origin", &app.base)
            .form(&[
                ("email", board.email.as_str()),
                ("password", board.password.as_str()),
                ("next", next),
            ]);
        async { TestApp::reply(req.send().await.unwrap()).await }
    };
    // Browsers drop tabs and newlines from a URL and read `\` as `/`: each of these would
    // lead to evil.example.
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "//evil.example",
        "https://evil.example/",
        "/ /evil.example",
        "javascript:alert(1)",
    ] {
        let r = sign_in_to(next).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers[header::LOCATION], "/", "{next:?}");
        assert!(
            r.headers.contains_key(header::SET_COOKIE),
            "signed in all the same"
        );
    }
    let r =
        sign_in_to("/companies/01900000-0000-7000-8000-000000000000/events?month=2026-11").await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/companies/01900000-0000-7000-8000-000000000000/events?month=2026-11"
    );
}
