//! PostgreSQL only (skipped on SQLite runs): several app instances on one database, and a
//! database that goes away under load and comes back.

use std::{collections::HashSet, time::Duration};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{free_port, fresh_database, start_binary, start_binary_with};

fn postgres() -> bool {
    let on = std::env::var("COSTLINE_TEST_POSTGRES").is_ok_and(|v| !v.is_empty());
    if !on {
        eprintln!("skipped: set COSTLINE_TEST_POSTGRES (scripts/with-pg.sh does) to run it");
    }
    on
}

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

#[tokio::test]
async fn two_instances_on_one_database_enforce_exactly() {
    if !postgres() {
        return;
    }
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
    assert!(
        replies.iter().all(|s| *s == StatusCode::CREATED),
        "{replies:?}"
    );

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
    let mut kinds: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["threshold"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec!["hard", "soft"],
        "exactly one soft and one hard alert across both instances"
    );
}

/// Runs `scripts/pg.sh` to stop or start the throwaway server of this test.
async fn pg(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh");
    let status = tokio::process::Command::new(script)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success(), "pg.sh {args:?}");
}

#[tokio::test]
async fn a_database_outage_is_503_then_recovers_by_itself() {
    if !postgres() {
        return;
    }
    // A server of its own: the other tests keep theirs.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pg");
    let data = data.to_str().unwrap().to_owned();
    let pg_port = free_port().to_string();
    pg(&["start", &data, &pg_port]).await;
    let db = format!("postgres://postgres@127.0.0.1:{pg_port}/postgres");
    let port = free_port();
    let _app = start_binary_with(&db, port, &[("COSTLINE_DB_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let base = format!("http://127.0.0.1:{port}/api");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let company = json_of(
        http.post(format!("{base}/companies"))
            .json(&json!({"name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let company = company["id"].as_str().unwrap().to_owned();
    let agent = json_of(
        http.post(format!("{base}/companies/{company}/agents"))
            .json(&json!({"name": "a"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let agent = agent["id"].as_str().unwrap().to_owned();

    // Load from 8 clients; the database stops in the middle of it and comes back.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (http, base, company, agent, stop) = (
            http.clone(),
            base.clone(),
            company.clone(),
            agent.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            let (mut acked, mut unavailable, mut other) = (Vec::new(), 0, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = std::time::Instant::now();
                let r = http
                    .post(format!("{base}/companies/{company}/cost-events"))
                    .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 1}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        acked.push(json_of(r).await["id"].as_str().unwrap().to_owned())
                    }
                    Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => {
                        let body = json_of(r).await;
                        assert!(
                            !body["error"].as_str().unwrap().contains("Pg"),
                            "no internals: {body}"
                        );
                        unavailable += 1;
                    }
                    Ok(r) => other.push(r.status().as_u16()),
                    Err(e) => panic!("no answer within 15 s (a hang): {e}"),
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "an answer took {:?}",
                    started.elapsed()
                );
            }
            (acked, unavailable, other)
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    pg(&["stop", &data]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(during.status(), StatusCode::SERVICE_UNAVAILABLE);
    pg(&["start", &data, &pg_port]).await;
    // It recovers by itself: no restart of the app.
    let mut ready = false;
    for _ in 0..100 {
        if http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the app did not recover");
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut acked, mut unavailable, mut other) = (Vec::new(), 0, Vec::new());
    for c in clients {
        let (a, u, o) = c.await.unwrap();
        acked.extend(a);
        unavailable += u;
        other.extend(o);
    }
    assert!(other.is_empty(), "only 201 or 503: {other:?}");
    assert!(unavailable > 0, "the outage was seen as 503");
    assert!(
        acked.len() > 50,
        "load ran before and after: {} acknowledged",
        acked.len()
    );

    // Every acknowledged event is stored: no 201 was lost with the database.
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}/companies/{company}/cost-events?limit=1000&cursor={c}"),
            None => format!("{base}/companies/{company}/cost-events?limit=1000"),
        };
        let page = json_of(http.get(url).send().await.unwrap()).await;
        for e in page["items"].as_array().unwrap() {
            stored.insert(e["id"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    for id in &acked {
        assert!(stored.contains(id), "acknowledged event {id} was lost");
    }
    let s = json_of(
        http.get(format!("{base}/companies/{company}/costs/summary"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        s["eventCount"].as_u64().unwrap() as usize,
        stored.len(),
        "rollups match the events"
    );
    pg(&["stop", &data]).await;
}
