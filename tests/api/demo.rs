//! `costline demo`, the real binary on a fresh database: the paused agent, the one at 82%,
//! unpriced events, the month's spend equal to the sum of its events, and a second run
//! refused.

use std::{process::Stdio, time::Duration};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{NOW, TestApp, fresh_database, spawn_app_on};

async fn demo(db: &str) -> std::process::Output {
    let run = Command::new(env!("CARGO_BIN_EXE_costline"))
        .arg("demo")
        .env("DATABASE_URL", db)
        .env("COSTLINE_CLOCK_START", NOW)
        .env_remove("COSTLINE_BIND")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the demo ends by itself")
        .unwrap()
}

/// Every event of the company from `from` on, through the JSON pages.
async fn events_since(app: &TestApp, company: &str, from: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(&format!(
                "/api/companies/{company}/cost-events?from={from}&limit=1000{cursor}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        all.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return all,
        }
    }
}

#[tokio::test]
async fn the_demo_makes_a_month_to_look_at_once() {
    let (db, _dir) = fresh_database().await;
    let out = demo(&db).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Created the demo company \"Demo Co\""),
        "{stderr}"
    );

    let app = spawn_app_on(&db).await;
    let companies = app.get("/api/companies").await.body;
    assert_eq!(companies.as_array().map(Vec::len), Some(1));
    let company = &companies[0];
    let id = company["id"].as_str().unwrap();
    let agents = app.get(&format!("/api/companies/{id}/agents")).await.body;
    let agent = |name: &str| -> Value {
        agents
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no agent {name}"))
    };
    let reviewer = agent("reviewer");
    assert_eq!(reviewer["status"], "paused");
    assert_eq!(reviewer["pauseReason"], "budget");
    assert_eq!(reviewer["spentMonthlyCents"], 22_000, "110% of $200");
    let coder = agent("coder");
    assert_eq!(coder["status"], "active");
    assert_eq!(coder["spentMonthlyCents"], 65_600, "82% of $800");
    assert_eq!(agent("researcher")["status"], "active");

    let month = events_since(&app, id, "2026-11-01").await;
    let sum: i64 = month.iter().map(|e| e["costCents"].as_i64().unwrap()).sum();
    assert_eq!(company["spentMonthlyCents"].as_i64(), Some(sum));
    assert!(sum > 65_600 + 22_000, "the others spent too: {sum}");
    let all = events_since(&app, id, "2026-01-01").await;
    assert!(
        (1_000..=8_000).contains(&all.len()),
        "a few thousand events: {}",
        all.len()
    );
    let earliest = all
        .iter()
        .filter_map(|e| e["occurredAt"].as_str())
        .min()
        .unwrap();
    assert!(
        earliest.starts_with("2026-08"),
        "three months back: {earliest}"
    );
    let unpriced = all.iter().filter(|e| e["costSource"] == "unpriced").count();
    assert!(unpriced > 0, "some events are unpriced");
    drop(app);

    let again = demo(&db).await;
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("a company named \"Demo Co\" already exists"),
        "{stderr}"
    );
}
