//! PostgreSQL only: several app instances on one database. Budgets stay exact (here), the
//! month rollover may run on every instance at once (`rollover.rs`), and writers that lock
//! companies in id order never deadlock (`lock_order.rs`), and what queues behind a company's
//! lock joins the batch that gets it (`joining.rs`). (The database outage is in
//! `durability.rs`.)

mod busy;
mod holds;
mod joining;
mod lock_order;
mod partitions;
mod rollover;

use std::collections::BTreeSet;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port, fresh_database, require_postgres, start_binary};

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn two_instances_on_one_database_enforce_exactly() {
    require_postgres();
    let (db, _dir) = fresh_database().await;
    let (port_a, port_b) = (free_port(), free_port());
    let _a = start_binary(&db, port_a).await;
    let _b = start_binary(&db, port_b).await;
    let (a, b) = (
        format!("http://127.0.0.1:{port_a}/api"),
        format!("http://127.0.0.1:{port_b}/api"),
    );
    let http = reqwest::Client::new();
    let company = json_of(
        http.post(format!("{a}/companies"))
            .json(&json!({"name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let company = company["id"].as_str().unwrap().to_owned();
    let agent = json_of(
        http.post(format!("{b}/companies/{company}/agents"))
            .json(&json!({"name": "a", "budgetMonthlyCents": 1000}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let agent = agent["id"].as_str().unwrap().to_owned();

    // 200 events of 7 cents for one agent, alternating between the two instances.
    let replies = join_all((0..200).map(|i| {
        let base = if i % 2 == 0 { &a } else { &b };
        let req = http
            .post(format!("{base}/companies/{company}/cost-events"))
            .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 7}));
        async move { req.send().await.unwrap().status() }
    }))
    .await;
    assert_eq!(replies, vec![StatusCode::CREATED; 200]);

    for base in [&a, &b] {
        let s = json_of(
            http.get(format!("{base}/companies/{company}/costs/summary"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s["spendCents"].as_i64(), s["eventCount"].as_i64()),
            (Some(1400), Some(200)),
            "{base}"
        );
        let ag = json_of(
            http.get(format!("{base}/agents/{agent}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (ag["status"].as_str(), ag["pauseReason"].as_str()),
            (Some("paused"), Some("budget")),
            "{base}"
        );
    }
    let alerts = json_of(
        http.get(format!("{a}/companies/{company}/budget-alerts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        alert_set(&alerts),
        BTreeSet::from([
            ("agent".into(), agent.clone(), "hard".into()),
            ("agent".into(), agent.clone(), "soft".into()),
        ]),
        "exactly one soft and one hard alert across both instances"
    );
}

/// Alerts as (scope type, scope id, threshold); a repeated alert would show in the length.
pub(crate) fn alert_set(alerts: &Value) -> BTreeSet<(String, String, String)> {
    let list = alerts.as_array().unwrap();
    let set: BTreeSet<_> = list
        .iter()
        .map(|a| {
            (
                a["scopeType"].as_str().unwrap().to_owned(),
                a["scopeId"].as_str().unwrap().to_owned(),
                a["threshold"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(set.len(), list.len(), "no alert twice: {alerts}");
    set
}

pub(crate) async fn status_of(app: &TestApp, path: &str) -> (String, Value) {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    (
        r.body["status"].as_str().unwrap().to_owned(),
        r.body["pauseReason"].clone(),
    )
}
