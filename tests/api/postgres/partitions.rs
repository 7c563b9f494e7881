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

/// Whether the session `pid` waits for a lock.
async fn waits(db: &str, pid: i32) -> bool {
    let mut conn = PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted)")
        .bind(pid)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// Whether a partition upkeep waits for a table lock for a foreign key.
async fn upkeep_waits(db: &str) -> bool {
    let mut conn = PgConnection::connect(db).await.unwrap();
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE d.datname = current_database() AND NOT l.granted \
         AND l.mode = 'ShareRowExclusiveLock')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

async fn backend_pid(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// Making a partition locks `cost_events` and, for its foreign keys, the agents, companies
/// and projects tables: a writer that waits for the upkeep while the upkeep waits for it
/// is a deadlock. The upkeep gives way (it tries again at the next tick); the writer is
/// never the one PostgreSQL aborts.
#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn partition_upkeep_gives_way_to_writers_instead_of_deadlocking_one() {
    require_postgres();
    // One upkeep at start, then only those the test runs.
    let app = spawn_app_with(|s| s.reconcile_interval_ms = 3_600_000).await;
    let db = app.database_url.clone();
    let february = "cost_events_2027_02".to_owned();
    app.eventually("the first upkeep's partitions", || async {
        partitions(&db).await.contains(&february)
    })
    .await;
    let company = app.company("Acme", 0).await;
    let other = app.company("Other", 0).await;
    let other_agent = app.agent(&other, "b", 0).await;
    // February's partition goes, so the next upkeep makes it again.
    let mut admin = PgConnection::connect(&db).await.unwrap();
    sqlx::raw_sql("DROP TABLE cost_events_2027_02")
        .execute(&mut admin)
        .await
        .unwrap();

    // Another company's writer holds write locks on the agents and companies tables (not
    // on Acme's row): the upkeep waits behind it, holding `cost_events`.
    let mut holder = PgConnection::connect(&db).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("UPDATE agents SET name = name WHERE id = $1")
        .bind(&other_agent)
        .execute(&mut holder)
        .await
        .unwrap();
    sqlx::query("UPDATE companies SET name = name WHERE id = $1")
        .bind(&other)
        .execute(&mut holder)
        .await
        .unwrap();
    let service = app.service.clone();
    let upkeep = tokio::spawn(async move { service.sweep_retention().await.map(|_| ()) });
    app.eventually(
        "the upkeep waits behind the holder, or gave way",
        || async { upkeep.is_finished() || upkeep_waits(&db).await },
    )
    .await;

    // Acme's writer changes its company, then reads events: if the upkeep still holds
    // `cost_events`, it waits for the upkeep, before the upkeep waits for it.
    let mut writer = PgConnection::connect(&db).await.unwrap();
    let writer_pid = backend_pid(&mut writer).await;
    let (company_id, pid_db) = (company.clone(), db.clone());
    let write = tokio::spawn(async move {
        sqlx::raw_sql("BEGIN").execute(&mut writer).await?;
        sqlx::query("UPDATE companies SET name = name WHERE id = $1")
            .bind(&company_id)
            .execute(&mut writer)
            .await?;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM cost_events WHERE company_id = $1")
            .bind(&company_id)
            .fetch_one(&mut writer)
            .await?;
        sqlx::raw_sql("COMMIT").execute(&mut writer).await?;
        Ok::<i64, sqlx::Error>(n)
    });
    // Until the writer waits, or is through because the upkeep already gave way.
    app.eventually("the writer waits or is through", || async {
        write.is_finished() || waits(&pid_db, writer_pid).await
    })
    .await;
    // The holder ends: the upkeep's next lock is the companies table the writer holds
    // (PostgreSQL locks the agents table first), and the writer waited first, so it would
    // be the one aborted.
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();

    let written = write.await.unwrap();
    assert!(
        matches!(written, Ok(0)),
        "the writer was refused: {written:?}"
    );
    upkeep
        .await
        .unwrap()
        .expect("an upkeep that gave way is no error");
    // Nothing in the way: the next upkeep makes the partition.
    app.service.sweep_retention().await.unwrap();
    assert!(partitions(&db).await.contains(&february));
}
