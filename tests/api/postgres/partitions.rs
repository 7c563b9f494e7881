//! PostgreSQL: `cost_events` is partitioned by month. Events land in their month's
//! partition, partitions are made ahead of the clock, and a month past the retention is
//! dropped whole while its reports stay exact.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::{
    helpers::{at, require_postgres, spawn_app_with},
    retention::{event_ids, month_reports},
};

async fn partitions(db: &str) -> Vec<String> {
    let mut conn = PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar(
        "SELECT CAST(c.relname AS TEXT) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'cost_events' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

async fn partition_of(db: &str, event_id: &str) -> String {
    let mut conn = PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar("SELECT CAST(tableoid::regclass AS TEXT) FROM cost_events WHERE id = $1")
        .bind(event_id)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn events_live_in_their_months_partition_and_a_month_past_the_retention_is_dropped_whole() {
    require_postgres();
    let app = spawn_app_with(|s| {
        s.retention_months = Some(costline::server::config::Retention::new(2).unwrap());
    })
    .await;
    let db = app.database_url.clone();
    // The clock is at 2026-11-15: November and the three months after have partitions.
    app.eventually("partitions ahead of the clock", || async {
        let have = partitions(&db).await;
        ["2026_11", "2026_12", "2027_01", "2027_02"]
            .iter()
            .all(|m| have.contains(&format!("cost_events_{m}")))
    })
    .await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let mut november = Vec::new();
    for (day, cents) in [(1, 3), (14, 5), (15, 7)] {
        let r = app
            .cost(
                &company,
                &agent,
                cents,
                json!({"occurredAt": format!("2026-11-{day:02}T08:00:00Z")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        november.push(r.id());
    }
    for id in &november {
        assert_eq!(partition_of(&db, id).await, "cost_events_2026_11");
    }
    // In December November is still kept, and past (so its reports carry no forecast).
    app.clock.set(at("2026-12-10T00:00:00Z"));
    let before = month_reports(&app, &company, "2026-11").await;
    assert_eq!(partition_of(&db, &november[0]).await, "cost_events_2026_11");
    assert_eq!(before[0]["spendCents"], 15);

    // January 2027, keeping two months: December and January. November goes whole.
    app.clock.set(at("2027-01-10T00:00:00Z"));
    app.eventually("November's partition dropped", || async {
        !partitions(&db)
            .await
            .contains(&"cost_events_2026_11".to_owned())
    })
    .await;
    app.eventually("partitions ahead of the new month", || async {
        partitions(&db)
            .await
            .contains(&"cost_events_2027_04".to_owned())
    })
    .await;
    assert!(
        event_ids(&app, &company, "2026-11-01", "2026-12-01")
            .await
            .is_empty()
    );
    assert_eq!(month_reports(&app, &company, "2026-11").await, before);
    let r = app.cost(&company, &agent, 2, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(partition_of(&db, &r.id()).await, "cost_events_2027_01");
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn events_stored_before_the_partitioning_move_into_their_months() {
    require_postgres();
    let (db, _dir) = crate::upgrade::database_at(&(1..=12).collect::<Vec<_>>()).await;
    let mut conn = PgConnection::connect(&db).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO companies (id, name, status, budget_monthly_cents, created_at, updated_at) \
         VALUES ('c1', 'Old', 'active', 0, 0, 0); \
         INSERT INTO agents (id, company_id, name, status, budget_monthly_cents, created_at, updated_at) \
         VALUES ('a1', 'c1', 'old agent', 'active', 0, 0, 0); \
         INSERT INTO cost_events (id, company_id, agent_id, provider, model, input_tokens, \
         cached_input_tokens, output_tokens, cost_micros, cost_source, occurred_at, created_at, event_key) \
         VALUES ('e-2024', 'c1', 'a1', 'p', 'm', 1, 0, 1, 100000000, 'reported', 1717200000000, 0, 'k1'), \
                ('e-2026', 'c1', 'a1', 'p', 'm', 1, 0, 1, 200000000, 'reported', 1793491200000, 0, NULL);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let app = crate::helpers::spawn_app_on(&db).await;
    assert_eq!(partition_of(&db, "e-2024").await, "cost_events_2024_06");
    assert_eq!(partition_of(&db, "e-2026").await, "cost_events_2026_11");
    let have = partitions(&db).await;
    assert!(
        have.contains(&"cost_events_2025_01".to_owned()),
        "every month between: {have:?}"
    );
    assert!(have.contains(&"cost_events_default".to_owned()));
    assert!(
        !have.contains(&"cost_events_2024_05".to_owned()),
        "none before the oldest event"
    );
    let ids = event_ids(&app, "c1", "2024-01-01", "2027-01-01").await;
    assert_eq!(ids, ["e-2026", "e-2024"], "newest first, both kept");
    // The key still answers its event, found across the partitions: another body is a 409.
    let replay = app
        .post(
            "/api/companies/c1/cost-events",
            json!({"agentId": "a1", "provider": "p", "model": "m", "costCents": 5, "eventKey": "k1"}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{}", replay.text);
    assert_eq!(
        event_ids(&app, "c1", "2024-01-01", "2027-01-01")
            .await
            .len(),
        2
    );
}
