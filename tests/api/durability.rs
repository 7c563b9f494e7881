//! Nothing acknowledged is lost: the real binary killed with SIGKILL right after 201s,
//! stopped with SIGTERM in the middle of concurrent ingest, and (PostgreSQL) a database
//! that goes away under load and comes back.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
    },
    time::Duration,
};

use reqwest::{Client, StatusCode};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    process::Command,
};

use crate::helpers::{
    TestApp, company_and_agent, free_port, fresh_database, require_postgres, start_binary as start,
    start_binary_with, stored_event_ids, until,
};

/// The month's spend and event count, from the summary.
async fn summary(http: &Client, api: &str, company: &str) -> (i64, usize) {
    let r = http
        .get(format!("{api}/companies/{company}/costs/summary"))
        .send()
        .await
        .unwrap();
    let s = TestApp::reply(r).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    (
        s.body["spendCents"].as_i64().unwrap(),
        s.body["eventCount"].as_u64().unwrap() as usize,
    )
}

#[tokio::test]
async fn kill_9_right_after_201s_loses_nothing() {
    let (db, _dir) = fresh_database().await;
    let port = free_port();
    let mut server = start(&db, port).await;
    let api = format!("http://127.0.0.1:{port}/api");
    let client = Client::new();
    let (company, agent) = company_and_agent(&client, &api).await;

    // 200 events from 20 concurrent clients; note every id that was acknowledged.
    let mut tasks = Vec::new();
    for c in 0..20 {
        let (client, api, company, agent) =
            (client.clone(), api.clone(), company.clone(), agent.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..10 {
                let r = client
                    .post(format!("{api}/companies/{company}/cost-events"))
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
    let api = format!("http://127.0.0.1:{port}/api");
    let stored = stored_event_ids(&client, &api, &company).await;
    assert_eq!(acked.len(), 200);
    for id in &acked {
        assert!(stored.contains(id), "acknowledged event {id} was lost");
    }
    let expected: i64 = (0..20).flat_map(|c| (0..10).map(move |i| c * 10 + i)).sum();
    assert_eq!(
        summary(&client, &api, &company).await,
        (expected, 200),
        "the rollups survived with the events"
    );
}

#[tokio::test]
async fn sigterm_during_concurrent_ingest_finishes_what_it_took_and_exits_cleanly() {
    let (db, _dir) = fresh_database().await;
    let port = free_port();
    let mut server = start(&db, port).await;
    let api = format!("http://127.0.0.1:{port}/api");
    let http = Client::new();
    let (company, agent) = company_and_agent(&http, &api).await;

    // 16 clients post events of 1 to 16 cents back to back until the server is gone.
    let acked_count = Arc::new(AtomicUsize::new(0));
    let term_sent = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 1..=16i64 {
        let (http, api, company, agent) =
            (http.clone(), api.clone(), company.clone(), agent.clone());
        let (acked_count, term_sent) = (acked_count.clone(), term_sent.clone());
        clients.push(tokio::spawn(async move {
            let (mut acked, mut refused) = (Vec::new(), Vec::new());
            loop {
                let sent = http
                    .post(format!("{api}/companies/{company}/cost-events"))
                    .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": c}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let body: serde_json::Value = r.json().await.unwrap();
                        acked.push((body["id"].as_str().unwrap().to_owned(), c));
                        acked_count.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => refused.push(r.status().as_u16()),
                    // The server stopped listening: this client's load ends here.
                    Err(e) => {
                        assert!(
                            term_sent.load(Ordering::Relaxed),
                            "an error before SIGTERM: {e}"
                        );
                        return (acked, refused);
                    }
                }
            }
        }));
    }
    until("the load is running", || {
        acked_count.load(Ordering::Relaxed) >= 100
    })
    .await;

    // One request certainly in flight when the signal comes: its head and half its body
    // are sent now, the rest only once the server has stopped taking connections.
    let body =
        json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 1000}).to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/companies/{company}/cost-events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(first).await.unwrap();
    // A request on a later connection answered: the server has taken the slow one too.
    let r = Client::new()
        .post(format!("{api}/companies/{company}/cost-events"))
        .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let zero_cent_id = TestApp::reply(r).await.id();

    term_sent.store(true, Ordering::Relaxed);
    let pid = server.id().unwrap().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let mut refused = false;
    for _ in 0..1500 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the server stops taking connections after SIGTERM");
    slow.write_all(rest).await.unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight is finished: {answer}"
    );
    let slow_body: serde_json::Value =
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let slow_id = slow_body["id"].as_str().unwrap().to_owned();
    // A guard against a hang, not a measure of speed.
    let exit = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("the server exits after SIGTERM")
        .unwrap();
    assert!(exit.success(), "clean exit, got {exit:?}");

    let (mut acked, mut refused) = (vec![(slow_id, 1000), (zero_cent_id, 0)], Vec::new());
    for c in clients {
        let (a, r) = c.await.unwrap();
        acked.extend(a);
        refused.extend(r);
    }
    // Requests in flight when the signal came were finished, not refused.
    assert!(refused.is_empty(), "answers other than 201: {refused:?}");

    let port = free_port();
    let _server = start(&db, port).await;
    let api = format!("http://127.0.0.1:{port}/api");
    let stored = stored_event_ids(&http, &api, &company).await;
    for (id, _) in &acked {
        assert!(stored.contains(id), "acknowledged event {id} was lost");
    }
    let (spend, count) = summary(&http, &api, &company).await;
    assert_eq!(count, stored.len(), "the rollups match the events");
    // Nothing is answered 201 but not stored; an event committed whose answer was cut off
    // with the connection may be stored without an acknowledgement.
    assert_eq!(
        acked.len(),
        stored.len(),
        "every stored event was acknowledged"
    );
    assert_eq!(spend, acked.iter().map(|(_, c)| c).sum::<i64>());
}

const BEFORE: u8 = 0;
const DOWN: u8 = 1;
const RECOVERED: u8 = 2;
const DONE: u8 = 3;

/// Runs `scripts/pg.sh` to stop or start the throwaway server of this test.
async fn pg(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh");
    let status = Command::new(script)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success(), "pg.sh {args:?}");
}

async fn readyz(http: &Client, port: u16) -> Option<StatusCode> {
    let r = http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await;
    r.ok().map(|r| r.status())
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn a_database_outage_is_503_then_recovers_by_itself() {
    require_postgres();
    // A server of its own: the other tests keep theirs.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pg");
    let data = data.to_str().unwrap().to_owned();
    let pg_port = free_port().to_string();
    pg(&["start", &data, &pg_port]).await;
    let db = format!("postgres://postgres@127.0.0.1:{pg_port}/postgres");
    let port = free_port();
    let _app = start_binary_with(&db, port, &[("COSTLINE_DB_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let api = format!("http://127.0.0.1:{port}/api");
    // A request that gets no answer at all is a hang: the test fails.
    let http = Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let (company, agent) = company_and_agent(&http, &api).await;

    // 8 clients post back to back; each answer is filed under the phase its request
    // started in.
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let acked = Arc::new(AtomicUsize::new(0));
    let acked_after = Arc::new(AtomicUsize::new(0));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (http, api, company, agent) =
            (http.clone(), api.clone(), company.clone(), agent.clone());
        let (phase, acked, acked_after, unavailable) = (
            phase.clone(),
            acked.clone(),
            acked_after.clone(),
            unavailable.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut answers: Vec<(u8, u16, Option<String>)> = Vec::new();
            loop {
                let started_in = phase.load(Ordering::SeqCst);
                if started_in == DONE {
                    return answers;
                }
                let r = http
                    .post(format!("{api}/companies/{company}/cost-events"))
                    .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 1}))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("no answer within 15 s (a hang): {e}"));
                let status = r.status();
                let body = TestApp::reply(r).await;
                let id = match status {
                    StatusCode::CREATED => {
                        acked.fetch_add(1, Ordering::SeqCst);
                        if started_in == RECOVERED {
                            acked_after.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(body.id())
                    }
                    StatusCode::SERVICE_UNAVAILABLE => {
                        assert!(!body.text.contains("Pg"), "no internals: {}", body.text);
                        unavailable.fetch_add(1, Ordering::SeqCst);
                        None
                    }
                    _ => None,
                };
                answers.push((started_in, status.as_u16(), id));
            }
        }));
    }

    until("load before the outage", || {
        acked.load(Ordering::SeqCst) >= 50
    })
    .await;
    pg(&["stop", &data]).await;
    phase.store(DOWN, Ordering::SeqCst);
    for _ in 0..500 {
        if readyz(&http, port).await == Some(StatusCode::SERVICE_UNAVAILABLE) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        readyz(&http, port).await,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "/readyz is red while the database is down"
    );
    until("a 503 to a client", || {
        unavailable.load(Ordering::SeqCst) > 0
    })
    .await;

    pg(&["start", &data, &pg_port]).await;
    // It recovers by itself: no restart of the app.
    for _ in 0..500 {
        if readyz(&http, port).await == Some(StatusCode::OK) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(readyz(&http, port).await, Some(StatusCode::OK), "recovered");
    phase.store(RECOVERED, Ordering::SeqCst);
    until("201s after the recovery", || {
        acked_after.load(Ordering::SeqCst) >= 80
    })
    .await;
    phase.store(DONE, Ordering::SeqCst);

    let mut answers = Vec::new();
    for c in clients {
        answers.extend(c.await.unwrap());
    }
    let odd: Vec<_> = answers
        .iter()
        .filter(|(_, s, _)| *s != 201 && *s != 503)
        .collect();
    assert!(odd.is_empty(), "only 201 or 503: {odd:?}");
    let after: Vec<u16> = answers
        .iter()
        .filter(|(p, _, _)| *p == RECOVERED)
        .map(|(_, s, _)| *s)
        .collect();
    assert!(
        after.iter().all(|s| *s == 201),
        "once /readyz is green every event is taken: {after:?}"
    );

    // Every acknowledged event is stored, those after the recovery too, and the rollups
    // count exactly the stored events. (A commit cut off by the outage may be stored
    // though answered 503.)
    let stored = stored_event_ids(&http, &api, &company).await;
    let acked: Vec<&String> = answers
        .iter()
        .filter_map(|(_, _, id)| id.as_ref())
        .collect();
    for id in &acked {
        assert!(stored.contains(*id), "acknowledged event {id} was lost");
    }
    assert_eq!(
        summary(&http, &api, &company).await,
        (stored.len() as i64, stored.len()),
        "rollups match the events"
    );
    pg(&["stop", &data]).await;
}
