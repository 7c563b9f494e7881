//! The failure limiter: per address, per minute, counted before a password is checked.

use reqwest::{StatusCode, header};

use super::world::*;
use crate::helpers::{TestApp, spawn_authenticated_app};

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

/// A bad bearer token from `app`'s client, claiming `forwarded` as `X-Forwarded-For`.
async fn bad_token(app: &TestApp, forwarded: Option<&str>) -> StatusCode {
    let mut req = client()
        .get(format!("{}/api/companies", app.base))
        .bearer_auth(NEVER_ISSUED);
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn the_limit_is_a_minute_of_the_injected_clock() {
    use chrono::Duration as Span;
    use costline::server::clock::Clock;

    let (app, board) = spawn_authenticated_app(|s| s.auth_failure_limit = 2).await;
    for _ in 0..2 {
        assert_eq!(bad_token(&app, None).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(bad_token(&app, None).await, StatusCode::TOO_MANY_REQUESTS);
    let start = app.clock.now();
    app.clock.set(start + Span::seconds(58));
    let r = TestApp::reply(
        client()
            .get(format!("{}/api/companies", app.base))
            .bearer_auth(&board.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "still inside the minute"
    );
    let wait: i64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait} s left of the minute");
    app.clock.set(start + Span::seconds(61));
    assert_eq!(
        bad_token(&app, None).await,
        StatusCode::UNAUTHORIZED,
        "a new minute: checked again"
    );
}

#[tokio::test]
async fn without_trust_proxy_a_forwarded_header_changes_nothing() {
    let (app, _board) = spawn_authenticated_app(|s| s.auth_failure_limit = 2).await;
    for i in 0..2 {
        let spoofed = format!("198.51.100.{i}");
        assert_eq!(
            bad_token(&app, Some(&spoofed)).await,
            StatusCode::UNAUTHORIZED
        );
    }
    for i in 2..6 {
        let spoofed = format!("198.51.100.{i}");
        assert_eq!(
            bad_token(&app, Some(&spoofed)).await,
            StatusCode::TOO_MANY_REQUESTS,
            "the peer address is what counts"
        );
    }
}

#[tokio::test]
async fn behind_a_proxy_the_address_it_appended_is_the_client() {
    let (app, _board) = spawn_authenticated_app(|s| {
        s.auth_failure_limit = 2;
        s.trust_proxy = true;
    })
    .await;
    // The client writes the start of the header; the proxy appends what it saw.
    for i in 0..6 {
        let forwarded = format!("10.0.0.{i}, 203.0.113.9");
        let expected = if i < 2 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(
            bad_token(&app, Some(&forwarded)).await,
            expected,
            "{forwarded}"
        );
    }
    // A second header line from the client does not help either: the last line is the
    // proxy's.
    let r = client()
        .get(format!("{}/api/companies", app.base))
        .bearer_auth(NEVER_ISSUED)
        .header("x-forwarded-for", "192.0.2.77")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own count.
    assert_eq!(
        bad_token(&app, Some("203.0.113.9, 198.51.100.20")).await,
        StatusCode::UNAUTHORIZED
    );
}

/// Peak resident memory of a process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// 100 wrong passwords at once against the real binary: how many were checked
/// (`error=invalid`), throttled (`error=throttled`) or turned away busy (503), and the
/// server's peak memory.
async fn flood_sign_in(env: &[(&str, &str)]) -> (usize, usize, usize, u64) {
    use crate::helpers::{create_board_credentials, free_port, fresh_database, start_binary_with};

    let (db, _dir) = fresh_database().await;
    let board = create_board_credentials(&db).await;
    let port = free_port();
    let server = start_binary_with(&db, port, env).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = client();
    let attempts = (0..100).map(|i| {
        let req = client
            .post(format!("{base}/auth/sign-in"))
            .header("origin", &base)
            .form(&[
                ("email", board.email.as_str()),
                ("password", &format!("wrong {i}")),
            ]);
        tokio::spawn(async move { req.send().await.unwrap() })
    });
    let (mut checked, mut throttled, mut busy) = (0, 0, 0);
    for attempt in attempts.collect::<Vec<_>>() {
        let r = attempt.await.unwrap();
        let location = r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        match (r.status(), location.as_deref()) {
            (StatusCode::SEE_OTHER, Some("/signin?error=invalid")) => checked += 1,
            (StatusCode::SEE_OTHER, Some("/signin?error=throttled")) => throttled += 1,
            (StatusCode::SERVICE_UNAVAILABLE, None) => {
                assert_eq!(r.headers()[header::RETRY_AFTER], "1");
                busy += 1;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let peak = peak_rss_kib(server.id().unwrap());
    // Shown with --nocapture: the figures behind the bounds asserted below.
    eprintln!(
        "{env:?}: {checked} checked, {throttled} throttled, {busy} busy; peak RSS {peak} KiB"
    );
    (checked, throttled, busy, peak)
}

#[tokio::test]
async fn a_flood_of_wrong_passwords_is_bounded_in_checks_and_memory() {
    const MAX_PEAK_KIB: u64 = 200 * 1024;
    // The default limit, 10 failures a minute: counted before the check, so at most 10 of
    // 100 simultaneous attempts are checked at all.
    let (checked, throttled, busy, peak) = flood_sign_in(&[]).await;
    assert_eq!(checked + throttled + busy, 100);
    assert!(
        (1..=10).contains(&checked),
        "{checked} checked, {throttled} throttled, {busy} busy"
    );
    assert!(peak < MAX_PEAK_KIB, "peak RSS {peak} KiB");
    // With the limiter off, the bound on checks at once alone keeps memory in bounds.
    let (checked, throttled, busy, peak) =
        flood_sign_in(&[("COSTLINE_AUTH_FAILURE_LIMIT", "0")]).await;
    assert_eq!((checked + busy, throttled), (100, 0));
    assert!(
        peak < MAX_PEAK_KIB,
        "peak RSS {peak} KiB with {checked} checked"
    );
}
