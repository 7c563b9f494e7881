//! PostgreSQL only: events that queue while their company's row is locked by another
//! instance join the batch that gets the lock, in one commit, instead of taking a turn of
//! the lock each.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::helpers::{require_postgres, spawn_app, until};

const LATER: usize = 20;

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn events_queued_behind_a_company_lock_commit_with_the_batch_that_gets_it() {
    require_postgres();
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let other = app.company("Globex", 0).await;
    let other_agent = app.agent(&other, "writer", 0).await;
    let send = |company: &str, agent: &str, cents: i64| {
        let req = app
            .client
            .post(format!("{}/api/companies/{company}/cost-events", app.base))
            .json(&json!({"agentId": agent, "provider": "anthropic",
                "model": "claude-sonnet-4-20250514", "costCents": cents}));
        tokio::spawn(async move { req.send().await.unwrap().status() })
    };

    // Another instance's transaction holds Acme's row.
    let mut holder = PgConnection::connect(&app.database_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("SELECT id FROM companies WHERE id = $1 FOR UPDATE")
        .bind(&company)
        .execute(&mut holder)
        .await
        .unwrap();
    // The first event's batch waits for that lock.
    let first = send(&company, &agent, 1);
    let mut watcher = PgConnection::connect(&app.database_url).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the batch waits");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Twenty more queue behind it, each 2 cents; and one of another company.
    let later: Vec<_> = (0..LATER).map(|_| send(&company, &agent, 2)).collect();
    let unrelated = send(&other, &other_agent, 5);
    let service = app.service.clone();
    until("the later events are queued", || {
        service.ingest_queued() == LATER + 1
    })
    .await;
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();

    assert_eq!(first.await.unwrap(), StatusCode::CREATED);
    for r in later {
        assert_eq!(r.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(unrelated.await.unwrap(), StatusCode::CREATED);
    // Rows written by one transaction share its id (xmin).
    let (commits, events, cents): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(DISTINCT CAST(xmin AS TEXT)), COUNT(*), CAST(SUM(cost_micros) / 1000000 AS BIGINT) \
         FROM cost_events WHERE company_id = $1",
    )
    .bind(&company)
    .fetch_one(&mut watcher)
    .await
    .unwrap();
    assert_eq!((events, cents), (1 + LATER as i64, 1 + 2 * LATER as i64));
    assert_eq!(commits, 1, "the later events joined the first one's commit");
    let (elsewhere,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM cost_events WHERE company_id = $1 \
         AND CAST(xmin AS TEXT) IN (SELECT CAST(xmin AS TEXT) FROM cost_events WHERE company_id = $2)",
    )
    .bind(&other)
    .bind(&company)
    .fetch_one(&mut watcher)
    .await
    .unwrap();
    assert_eq!(
        elsewhere, 0,
        "another company's event waits for a batch of its own"
    );
    let scope = app.get(&format!("/api/agents/{agent}")).await;
    assert_eq!(
        scope.body["spentMonthlyCents"],
        1 + 2 * LATER as i64,
        "{}",
        scope.text
    );
}
