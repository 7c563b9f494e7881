//! PostgreSQL: a write the database aborts to break a deadlock is a 503 with `Retry-After`
//! that changed nothing, and the same request again goes through.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::helpers::{require_postgres, spawn_app};

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
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let db = app.database_url.clone();

    // Another session holds the agent's row: the budget change locks the company's row
    // first, then waits here for the agent's.
    let mut other = PgConnection::connect(&db).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut other).await.unwrap();
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
    app.eventually("the budget change waits for the agent's row", || async {
        let mut conn = PgConnection::connect(&db).await.unwrap();
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE a.datname = current_database() AND NOT l.granted)",
        )
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
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
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
