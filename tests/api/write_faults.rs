//! Faults under the ledger that must never lose an acknowledged event: a full disk, a
//! transaction SQLite rolled back by itself, a commit that outlasts the request timeout.

use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{TestApp, spawn_app_with},
    ledger_hardening::{is_sqlite, own_connection, summary},
};

/// The most pages the full-disk test lets the database file have.
const MAX_PAGES: u64 = 2_000;

#[tokio::test]
async fn a_full_disk_never_acknowledges_an_event_it_did_not_store() {
    // SQLite only: PostgreSQL's disk is the database server's business.
    let app = spawn_app_with(|s| s.sqlite_max_pages = MAX_PAGES).await;
    if !is_sqlite(&app) {
        return;
    }
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;

    // Fill the file up to a few pages below the limit with a table of the test's own.
    let mut own = own_connection(&app).await;
    sqlx::raw_sql("CREATE TABLE filler (pad BLOB)")
        .execute(&mut own)
        .await
        .unwrap();
    loop {
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut own)
            .await
            .unwrap();
        if pages >= MAX_PAGES as i64 - 40 {
            break;
        }
        sqlx::raw_sql("INSERT INTO filler VALUES (zeroblob(32768))")
            .execute(&mut own)
            .await
            .unwrap();
    }

    // 16 clients post until the disk is full; count what was acknowledged.
    let path = format!("/api/companies/{company}/cost-events");
    let post = |i: usize| {
        let body = json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
            "inputTokens": 1000, "outputTokens": 100, "costCents": 3,
            "eventKey": format!("fill-{i:05}-{}", "k".repeat(150)),
        });
        app.post(&path, body)
    };
    let mut acknowledged = 0i64;
    let mut refused = 0;
    for round in 0..200 {
        let replies = join_all((0..16).map(|c| post(round * 16 + c))).await;
        for r in &replies {
            match r.status {
                StatusCode::CREATED => acknowledged += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    refused += 1;
                    assert!(r.body["error"].is_string(), "a JSON error: {}", r.text);
                }
                other => panic!("only 201 or 503, got {other}: {}", r.text),
            }
        }
        if refused >= 32 {
            break;
        }
    }
    assert!(acknowledged > 0, "some events fit before the disk filled");
    assert!(refused >= 32, "the disk filled up: {refused} refusals");
    // A smaller batch may still fit where a larger one did not, and then the last commit
    // succeeded. The test takes whatever room is left under the server's limit (a
    // connection's own: the test's gets the same), then posts until the server refuses:
    // its last commit failed for want of space.
    // A bounded loop: should the limit not hold, the test fails instead of filling the disk.
    let limit = format!("PRAGMA max_page_count = {MAX_PAGES}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(limit))
        .execute(&mut own)
        .await
        .unwrap();
    let full = 'fill: {
        for _ in 0..2 * MAX_PAGES {
            if let Err(err) = sqlx::raw_sql("INSERT INTO filler VALUES (zeroblob(1024))")
                .execute(&mut own)
                .await
            {
                break 'fill err
                    .as_database_error()
                    .and_then(|e| e.code())
                    .map(|c| c.into_owned());
            }
        }
        None
    };
    assert_eq!(
        full.as_deref(),
        Some("13"),
        "the file reached its page limit (SQLITE_FULL)"
    );
    let mut last = StatusCode::CREATED;
    for i in 0..100 {
        last = post(2_000_000 + i).await.status;
        match last {
            StatusCode::CREATED => acknowledged += 1,
            StatusCode::SERVICE_UNAVAILABLE => break,
            other => panic!("only 201 or 503, got {other}"),
        }
    }
    assert_eq!(last, StatusCode::SERVICE_UNAVAILABLE, "a full disk refuses");
    let s = summary(&app, &company, "").await;
    assert_eq!(
        s["eventCount"], acknowledged,
        "every 201 is stored, nothing else"
    );
    assert_eq!(s["spendCents"], acknowledged * 3);
    let ready = app.get("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );

    // Space comes back: the server turns ready and takes events again, by itself.
    sqlx::raw_sql("DROP TABLE filler")
        .execute(&mut own)
        .await
        .unwrap();
    app.eventually("ready again once space is back", || async {
        app.get("/readyz").await.status == StatusCode::OK
    })
    .await;
    let r = post(1_000_000).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let s = summary(&app, &company, "").await;
    assert_eq!(s["eventCount"], acknowledged + 1);
}

#[tokio::test]
async fn an_event_handed_to_the_committer_is_answered_by_its_commit_not_a_timeout() {
    let app = spawn_app_with(|s| s.request_timeout_ms = 300).await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // The test holds the write lock (SQLite) or the company's row lock (PostgreSQL) for a
    // second: the commit waits for it, far past the request timeout.
    let mut own = own_connection(&app).await;
    if is_sqlite(&app) {
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut own)
            .await
            .unwrap();
    } else {
        sqlx::raw_sql("BEGIN").execute(&mut own).await.unwrap();
        sqlx::query("SELECT id FROM companies WHERE id = $1 FOR UPDATE")
            .bind(&company)
            .execute(&mut own)
            .await
            .unwrap();
    }
    let pending = tokio::spawn({
        let (client, base, company, agent) = (
            app.client.clone(),
            app.base.clone(),
            company.clone(),
            agent.clone(),
        );
        async move {
            let r = client
                .post(format!("{base}/api/companies/{company}/cost-events"))
                .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 4}))
                .send()
                .await
                .unwrap();
            TestApp::reply(r).await
        }
    });
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    sqlx::raw_sql("COMMIT").execute(&mut own).await.unwrap();
    let r = pending.await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let s = summary(&app, &company, "").await;
    assert_eq!(
        (s["spendCents"].as_i64(), s["eventCount"].as_i64()),
        (Some(4), Some(1))
    );
}

/// SQLite may roll back a whole transaction by itself (a full disk, an I/O error). Here
/// `INSERT OR ROLLBACK` makes it do so on purpose. With sqlx's own transactions that left
/// the connection's bookkeeping believing a transaction was open: the next "transaction"
/// became a savepoint, a failed statement in it rolled back to the savepoint but left the
/// transaction open, and every later commit answered success while committing nothing.
#[tokio::test]
async fn after_sqlite_rolls_back_by_itself_a_commit_that_answers_ok_is_stored() {
    use costline::server::{Db, PoolSettings};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tx.db").display());
    let db = Db::connect(
        &url,
        &PoolSettings {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
            sqlite_fsync_each_commit: true,
            sqlite_max_pages: 0,
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let insert = |id: i64, how: &'static str| {
        sqlx::query(if how == "rollback" {
            "INSERT OR ROLLBACK INTO write_probe (id, pad) VALUES (?, 'x')"
        } else {
            "INSERT INTO write_probe (id, pad) VALUES (?, 'x')"
        })
        .bind(id)
    };

    // 1. SQLite cancels the whole transaction by itself.
    let mut tx = db.begin_write().await.unwrap();
    insert(1, "rollback").execute(&mut *tx).await.unwrap();
    assert!(insert(1, "rollback").execute(&mut *tx).await.is_err());
    drop(tx);
    // 2. A transaction whose statement fails (the statement alone is undone).
    let mut tx = db.begin_write().await.unwrap();
    insert(2, "plain").execute(&mut *tx).await.unwrap();
    assert!(insert(2, "plain").execute(&mut *tx).await.is_err());
    drop(tx);
    // 3. A transaction that commits with Ok must be visible to everyone.
    let mut tx = db.begin_write().await.unwrap();
    insert(3, "plain").execute(&mut *tx).await.unwrap();
    tx.commit().await.expect("committed");
    let mut reader = db.read_conn().await.unwrap();
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM write_probe ORDER BY id")
        .fetch_all(&mut *reader)
        .await
        .unwrap();
    assert_eq!(ids, [(3,)], "what was committed, and only that");
    drop(reader);
    db.close().await;
}
