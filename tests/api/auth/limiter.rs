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
