//! [`WriteTx`] on SQLite: statements sent with the `COMMIT`, and the file's data version read
//! with the `BEGIN`.

use std::time::Duration;

use super::{Db, PoolSettings, Sql, sql::SQLITE_JOINED_VALUES};

async fn sqlite(dir: &tempfile::TempDir) -> Db {
    let url = format!("sqlite:{}", dir.path().join("tx.db").display());
    let settings = PoolSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
        sqlite_fsync_each_commit: false,
        sqlite_max_pages: 0,
    };
    let db = Db::connect(&url, &settings).await.expect("connects");
    db.migrate().await.expect("migrates");
    db
}

fn insert(id: i64) -> Sql {
    let mut sql = Sql::new("INSERT INTO write_probe (id, pad) VALUES (");
    sql.bind(id).push(", ").bind(format!("row {id}")).push(")");
    sql
}

async fn stored(db: &Db) -> Vec<i64> {
    let mut reader = db.read_conn().await.expect("a reader");
    let rows: Vec<(i64,)> = Sql::new("SELECT id FROM write_probe ORDER BY id")
        .fetch_all(&mut reader)
        .await
        .expect("reads");
    rows.into_iter().map(|(id,)| id).collect()
}

#[tokio::test]
async fn statements_sent_with_the_commit_are_stored_all_or_none() {
    let dir = tempfile::tempdir().expect("a directory");
    let db = sqlite(&dir).await;

    let tx = db.begin_write().await.expect("begins");
    let conn = tx
        .commit_and_keep_after(vec![insert(1), insert(2)])
        .await
        .expect("commits");
    assert_eq!(
        stored(&db).await,
        [1, 2],
        "both, seen by another connection"
    );

    // The second statement fails (id 1 exists): neither the one before it nor the one
    // after it is stored, and the commit answers the failure.
    let tx = db.begin_write_on(Some(conn)).await.expect("begins again");
    let failed = tx
        .commit_and_keep_after(vec![insert(3), insert(1), insert(4)])
        .await;
    assert!(failed.is_err(), "a failed statement fails the commit");
    assert_eq!(
        stored(&db).await,
        [1, 2],
        "nothing of the failed transaction"
    );

    // The same when the statements take more than one query: a large insert goes alone,
    // then the failing statement and the COMMIT. Nothing of the large one is stored.
    let large = {
        let mut sql = Sql::new("INSERT INTO write_probe (id, pad) VALUES ");
        for id in 100..2_200 {
            if id > 100 {
                sql.push(", ");
            }
            sql.push("(").bind(id).push(", ").bind("x").push(")");
        }
        sql
    };
    assert!(large.param_count() > SQLITE_JOINED_VALUES);
    let tx = db.begin_write().await.expect("begins");
    let failed = tx.commit_and_keep_after(vec![large, insert(1)]).await;
    assert!(failed.is_err(), "a failed statement fails the commit");
    assert_eq!(
        stored(&db).await,
        [1, 2],
        "nothing of the failed transaction"
    );

    // The failed connection was thrown away; the next writer gets a fresh one that works.
    let mut tx = db
        .begin_write()
        .await
        .expect("begins on a fresh connection");
    insert(3)
        .execute(&mut tx)
        .await
        .expect("a statement in the transaction");
    tx.commit_and_keep_after(vec![insert(4)])
        .await
        .expect("commits");
    assert_eq!(stored(&db).await, [1, 2, 3, 4]);
    db.close().await;
}

#[tokio::test]
async fn the_data_version_moves_only_for_another_connections_commit() {
    let dir = tempfile::tempdir().expect("a directory");
    let db = sqlite(&dir).await;
    let other = sqlite(&dir).await;

    let tx = db.begin_write().await.expect("begins");
    let first = tx.generation();
    let conn = tx
        .commit_and_keep_after(vec![insert(1)])
        .await
        .expect("commits");
    let tx = db.begin_write_on(Some(conn)).await.expect("begins");
    let own = tx.generation();
    assert_eq!(own.local, first.local + 1, "the next write of this process");
    assert!(first.file.is_some());
    assert_eq!(own.file, first.file, "its own commit does not move it");
    let conn = tx.commit_and_keep().await.expect("commits");

    let tx = other.begin_write().await.expect("begins");
    tx.commit_and_keep_after(vec![insert(2)])
        .await
        .expect("commits");
    let tx = db.begin_write_on(Some(conn)).await.expect("begins");
    assert_ne!(
        tx.generation().file,
        own.file,
        "another connection's commit"
    );
    drop(tx);
    db.close().await;
    other.close().await;
}

#[test]
fn small_statements_share_a_query_and_a_large_one_goes_alone() {
    let binding = |count: i64| {
        let mut sql = Sql::new("SELECT ");
        for i in 0..count {
            sql.bind(i);
        }
        sql
    };
    let large = i64::try_from(SQLITE_JOINED_VALUES).unwrap_or(i64::MAX) + 1;
    let joined = Sql::sqlite_joined(vec![
        binding(10),
        binding(20),
        binding(large),
        binding(3),
        binding(4),
    ]);
    let counts: Vec<usize> = joined.iter().map(Sql::param_count).collect();
    let large = SQLITE_JOINED_VALUES + 1;
    assert_eq!(
        counts,
        [30, large, 7],
        "in order, as few queries as the bound allows"
    );
}
