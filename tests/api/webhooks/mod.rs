//! Notifications end to end: the real app, a real receiver on loopback, the real sender.

mod crud;
mod dashboard;
mod delivery;
mod incidents;
mod receiver;
mod restart;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Creates an endpoint for `company`; answers its id and secret.
pub async fn endpoint(app: &TestApp, company: &str, url: &str, body: Value) -> (String, String) {
    let mut body = body;
    body["url"] = json!(url);
    let r = app
        .post(&format!("/api/companies/{company}/webhooks"), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (r.id(), r.body["secret"].as_str().unwrap().to_owned())
}

/// Queues a test event for endpoint `id` (202); answers the event's id.
pub async fn send_test(app: &TestApp, id: &str) -> String {
    let r = app
        .post(&format!("/api/webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    r.body["eventId"].as_str().unwrap().to_owned()
}

/// The deliveries of an endpoint, newest first.
pub async fn deliveries(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/webhooks/{id}/deliveries")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

/// The deliveries of an endpoint once `count` of them are delivered (at most 30 s).
pub async fn delivered(app: &TestApp, id: &str, count: usize) -> Vec<Value> {
    for _ in 0..1500 {
        let listed = deliveries(app, id).await;
        if listed.iter().filter(|d| d["status"] == "delivered").count() == count {
            return listed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {count} delivered");
}
