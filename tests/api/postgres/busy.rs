//! PostgreSQL: a write the database aborts to break a deadlock is a 503 with `Retry-After`
//! that changed nothing, and the same request again goes through.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::helpers::{fresh_database, require_postgres, spawn_app_on};

/// Marks the test's own side of a deliberate deadlock: `scripts/with-pg.sh` fails a run on
/// any deadlock but those whose statements carry it.
macro_rules! mark {
    () => {
        "/* costline-test: deliberate deadlock */"
    };
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn a_write_the_database_aborts_as_a_deadlock_is_a_503_that_changed_nothing() {
    require_postgres();
    // PostgreSQL aborts the session whose wait first reaches `deadlock_timeout` with the
    // cycle closed. The app's sessions check after 3 s, this test's own after 60 s: the
    // budget change is the one aborted, however slow the machine.
    let (db, _dir) = fresh_database().await;
    let mut admin = PgConnection::connect(&db).await.unwrap();
    sqlx::raw_sql(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = ''3s''', \
         current_database()); END $$",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    let app = spawn_app_on(&db).await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;

    // Another session holds the agent's row: the budget change locks the company's row
    // first, then waits here for the agent's.
    let mut other = PgConnection::connect(&db).await.unwrap();
    sqlx::raw_sql("SET deadlock_timeout = '60s'; BEGIN")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query(concat!(
        mark!(),
        " UPDATE agents SET name = name WHERE id = $1"
    ))
    .bind(&agent)
    .execute(&mut other)
    .await
    .unwrap();
    let path = format!("/api/agents/{agent}");
    let patch = {
        let (client, url) = (app.client.clone(), format!("{}{path}", app.base));
        tokio::spawn(async move {
            client
                .patch(url)
                .json(&json!({"budgetMonthlyCents": 500}))
                .send()
                .await
                .unwrap()
        })
    };
    // Until the budget change waits for this session (nothing else in the app touches the
    // agent's row).
    let other_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut other)
        .await
        .unwrap();
    app.eventually("the budget change waits for the agent's row", || async {
        let mut conn = PgConnection::connect(&db).await.unwrap();
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
             WHERE datname = current_database() AND $1 = ANY (pg_blocking_pids(pid)))",
        )
        .bind(other_pid)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    })
    .await;
    // Now this session wants the company's row, which the budget change holds: a deadlock,
    // and the budget change, waiting longer, is the one PostgreSQL aborts.
    let ours = sqlx::query(concat!(
        mark!(),
        " SELECT id FROM companies WHERE id = $1 FOR UPDATE"
    ))
    .bind(&company)
    .execute(&mut other)
    .await;
    let r = patch.await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "this session's request: {ours:?}"
    );
    assert_eq!(r.headers()["retry-after"], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"],
        "the database asked to try this again; nothing was changed, retry the request"
    );
    assert!(ours.is_ok(), "this session got the company's row: {ours:?}");
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();

    // Nothing changed; the same request again goes through.
    let before = app.get(&path).await;
    assert_eq!(before.body["budgetMonthlyCents"], 0, "{}", before.text);
    let again = app.patch(&path, json!({"budgetMonthlyCents": 500})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["budgetMonthlyCents"], 500);
}
