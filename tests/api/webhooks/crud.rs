//! The webhooks API: the secret once, validation that changes nothing, changes, deletion,
//! and an endpoint disabled after 50 failures in a row.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    deliveries, endpoint,
    receiver::{Answer, Receiver},
    send_test,
};
use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_secret_is_answered_once_and_never_listed() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let r = app
        .post(
            &format!("/api/companies/{company}/webhooks"),
            json!({"url": "http://127.0.0.1:9/hook", "events": ["alert.hard", "alert.soft"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers["cache-control"], "no-store");
    let secret = r.body["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 44,
        "{secret}"
    );
    let id = r.id();
    assert_eq!(r.body["companyId"], company.as_str());
    assert_eq!(r.body["url"], "http://127.0.0.1:9/hook");
    assert_eq!(r.body["events"], json!(["alert.hard", "alert.soft"]));
    assert_eq!(r.body["format"], "json");
    assert_eq!(r.body["enabled"], true);
    assert_eq!(r.body["consecutiveFailures"], 0);
    assert_eq!(r.body["disabledReason"], json!(null));

    let list = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(!list.text.contains(&secret[6..]), "no secret in a list");
    assert!(list.body[0].get("secret").is_none());

    let r = app
        .patch(
            &format!("/api/webhooks/{id}"),
            json!({"events": ["scope.paused"], "format": "slack", "enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (&r.body["events"], &r.body["format"], &r.body["enabled"]),
        (&json!(["scope.paused"]), &json!("slack"), &json!(false))
    );
    assert!(!r.text.contains(&secret[6..]));
    let test = app
        .post(&format!("/api/webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(test.status, StatusCode::CONFLICT, "disabled: {}", test.text);

    let gone = app
        .request(Method::DELETE, &format!("/api/webhooks/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    for (method, path) in [
        (Method::DELETE, format!("/api/webhooks/{id}")),
        (Method::GET, format!("/api/webhooks/{id}/deliveries")),
        (Method::POST, format!("/api/webhooks/{id}/test")),
    ] {
        let body = (method == Method::POST).then(|| json!({}));
        let r = app.request(method, &path, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = app
        .get("/api/companies/01900000-0000-7000-8000-000000000000/webhooks")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_endpoints_are_refused_field_by_field_and_change_nothing() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let cases = [
        (json!({"events": ["alert.soft"]}), vec!["url"]),
        (json!({"url": "http://127.0.0.1:9/"}), vec!["events"]),
        (
            json!({"url": "http://127.0.0.1:9/", "events": []}),
            vec!["events"],
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["alert.soft", "nope"], "format": "xml"}),
            vec!["format", "events"],
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["webhook.test"]}),
            vec!["events"],
        ),
        (
            json!({"url": "https://hooks.slack.com/services/x", "events": ["alert.soft"]}),
            vec!["url"],
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["alert.soft"]}),
            vec!["url"],
        ),
        (
            json!({"url": "ftp://127.0.0.1/", "events": ["alert.soft"], "enabled": "yes"}),
            vec!["enabled"],
        ),
        (
            json!({"url": "ftp://127.0.0.1/", "events": ["alert.soft"]}),
            vec!["url"],
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": "alert.soft"}),
            vec!["events"],
        ),
    ];
    for (body, fields) in cases {
        let r = app
            .post(&format!("/api/companies/{company}/webhooks"), body.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.fields(), fields, "{body}: {}", r.text);
        assert!(r.body["error"].is_string());
    }
    let r = app
        .post(
            &format!("/api/companies/{company}/webhooks"),
            json!({"url": "https://hooks.slack.com/x", "events": ["alert.soft"]}),
        )
        .await;
    assert!(
        r.body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("COSTLINE_WEBHOOK_ALLOW_HOSTS"),
        "{}",
        r.text
    );
    let list = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(list.body, json!([]), "nothing was created");
}

#[tokio::test]
async fn fifty_failures_in_a_row_disable_an_endpoint_until_it_is_enabled() {
    // Retries wait 30 to 60 minutes, and the clock moves only to the next one once the last
    // is recorded: no attempt is ever under way when it moves (a move past a lease in
    // flight would have the delivery sent again, as a lease that ran out does).
    let app = spawn_app_with(|s| s.webhook_retry_base_ms = 3_600_000).await;
    let company = app.company("Acme", 0).await;
    let broken = Receiver::start(Vec::new(), Answer::Status(500)).await;
    let (id, _) = endpoint(
        &app,
        &company,
        &broken.url,
        json!({"events": ["alert.soft"]}),
    )
    .await;
    let listed = |r: &crate::helpers::Reply| r.body[0].clone();
    // Each delivery is retried for a day; a new test event is queued whenever the previous
    // one was given up.
    // Attempts recorded, not only received: the next wait is counted from the clock read.
    let recorded = |q: &[serde_json::Value]| -> usize {
        q.iter()
            .map(|d| d["attempts"].as_array().unwrap().len())
            .sum()
    };
    let mut seen = 0;
    for _ in 0..200 {
        let state = listed(&app.get(&format!("/api/companies/{company}/webhooks")).await);
        if state["enabled"] == false {
            break;
        }
        let queue = deliveries(&app, &id).await;
        match queue.iter().find(|d| d["status"] == "pending") {
            Some(pending) => {
                let next = pending["nextAttemptAt"].as_str().unwrap();
                app.clock
                    .set(chrono::DateTime::parse_from_rfc3339(next).unwrap().into());
            }
            None => {
                send_test(&app, &id).await;
            }
        }
        let mut waited = 0;
        while recorded(&deliveries(&app, &id).await) == seen {
            waited += 1;
            assert!(waited < 1500, "no attempt was made");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        seen = recorded(&deliveries(&app, &id).await);
    }
    let state = listed(&app.get(&format!("/api/companies/{company}/webhooks")).await);
    assert_eq!(state["enabled"], false);
    assert_eq!(state["consecutiveFailures"], 50);
    assert_eq!(
        state["disabledReason"],
        "disabled after 50 failed deliveries in a row"
    );
    assert_eq!(broken.hits().len(), 50);
    let queue = deliveries(&app, &id).await;
    assert!(
        queue.iter().any(|d| d["status"] == "failed"),
        "given up after a day"
    );

    let r = app
        .patch(&format!("/api/webhooks/{id}"), json!({"enabled": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            &r.body["enabled"],
            &r.body["consecutiveFailures"],
            &r.body["disabledReason"]
        ),
        (&json!(true), &json!(0), &json!(null))
    );
}
