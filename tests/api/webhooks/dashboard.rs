//! The dashboard's Notifications page calls: the same rules as the REST routes, refusals
//! that name the form's field and change nothing, and a test event that really arrives.

use reqwest::StatusCode;
use serde_json::json;

use super::{delivered, receiver::Receiver};
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_endpoint_added_from_the_dashboard_receives_its_test_event() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let receiver = Receiver::ok().await;
    // Checkboxes post `events[i]` for the boxes ticked: here the first and the fifth.
    let r = app
        .rpc(
            "add_webhook",
            &[
                ("company_id", &company),
                ("url", &receiver.url),
                ("format", "json"),
                ("events[0]", "alert.soft"),
                ("events[4]", "scope.paused"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = r.id();
    let listed = app.rpc("webhooks", &[("company_id", &company)]).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(
        listed.body[0]["events"],
        json!(["alert.soft", "scope.paused"])
    );
    assert!(
        !listed.text.contains(&secret),
        "a listing never shows the secret"
    );

    let test = app.rpc("test_webhook", &[("id", &id)]).await;
    assert_eq!(test.status, StatusCode::OK, "{}", test.text);
    let shown = delivered(&app, &id, 1).await;
    let from_dashboard = app.rpc("webhook_deliveries", &[("id", &id)]).await;
    assert_eq!(
        from_dashboard.body,
        json!(shown),
        "the page lists what the API lists"
    );
    assert_eq!(shown[0]["type"], "webhook.test");
    assert_eq!(shown[0]["attempts"][0]["responseCode"], 200);
    assert_eq!(receiver.types(), vec!["webhook.test"]);
    assert!(super::receiver::verifies(&secret, &receiver.hits()[0]));

    let off = app
        .rpc("enable_webhook", &[("id", &id), ("enabled", "false")])
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let listed = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(listed.body[0]["enabled"], false);
    let gone = app.rpc("delete_webhook", &[("id", &id)]).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    let listed = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(listed.body, json!([]));
}

#[tokio::test]
async fn the_dashboard_form_refuses_what_the_api_refuses_and_adds_nothing() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let no_events = app
        .rpc(
            "add_webhook",
            &[
                ("company_id", &company),
                ("url", "http://127.0.0.1:9/hook"),
                ("format", "json"),
            ],
        )
        .await;
    assert_eq!(
        no_events.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_events.text
    );
    assert_eq!(no_events.body["details"][0]["field"], "events");
    // Outside the allow-list (loopback by default), and a format nobody knows.
    let elsewhere = app
        .rpc(
            "add_webhook",
            &[
                ("company_id", &company),
                ("url", "https://hooks.example.com/x"),
                ("format", "xml"),
                ("events[0]", "alert.hard"),
            ],
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::BAD_REQUEST,
        "{}",
        elsewhere.text
    );
    let mut fields = elsewhere.fields();
    fields.sort();
    assert_eq!(fields, vec!["format", "url"], "{}", elsewhere.text);
    let listed = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(listed.body, json!([]));
}
