//! Nothing acknowledged is lost: the real binary is killed with SIGKILL right after a
//! burst of 201s, restarted on the same file, and every acknowledged event is there.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::process::Command;

use crate::helpers::{free_port, start_binary as start};

#[tokio::test]
async fn kill_9_right_after_201s_loses_nothing() {
    let (db, _dir) = crate::helpers::fresh_database().await;
    let port = free_port();
    let mut server = start(&db, port).await;
    let base = format!("http://127.0.0.1:{port}/api");
    let client = reqwest::Client::new();
    let company: serde_json::Value = client
        .post(format!("{base}/companies"))
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let company = company["id"].as_str().unwrap().to_owned();
    let agent: serde_json::Value = client
        .post(format!("{base}/companies/{company}/agents"))
        .json(&json!({"name": "a"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent = agent["id"].as_str().unwrap().to_owned();

    // 200 events from 20 concurrent clients; note every id that was acknowledged.
    let mut tasks = Vec::new();
    for c in 0..20 {
        let (client, base, company, agent) =
            (client.clone(), base.clone(), company.clone(), agent.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..10 {
                let r = client
                    .post(format!("{base}/companies/{company}/cost-events"))
                    .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": c * 10 + i}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                let body: serde_json::Value = r.json().await.unwrap();
                acked.push(body["id"].as_str().unwrap().to_owned());
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    // No grace: SIGKILL the moment the last 201 arrived.
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let port = free_port();
    let _server = start(&db, port).await;
    let base = format!("http://127.0.0.1:{port}/api");
    let listed: serde_json::Value = client
        .get(format!("{base}/companies/{company}/cost-events?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored: std::collections::HashSet<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(acked.len(), 200);
    for id in &acked {
        assert!(
            stored.contains(id.as_str()),
            "acknowledged event {id} was lost"
        );
    }
    let summary: serde_json::Value = client
        .get(format!("{base}/companies/{company}/costs/summary"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected: i64 = (0..20).flat_map(|c| (0..10).map(move |i| c * 10 + i)).sum();
    assert_eq!(
        summary["spendCents"], expected,
        "the rollups survived with the events"
    );
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_cleanly() {
    let (db, _dir) = crate::helpers::fresh_database().await;
    let port = free_port();
    let mut server = start(&db, port).await;
    let pid = server.id().unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("exits promptly")
        .unwrap();
    assert!(exit.success(), "clean exit, got {exit:?}");
}
