//! All SQL lives here: one function per query, each taking a connection or transaction and
//! returning `sqlx::Error`. The service layer owns transactions and decides what the
//! answers mean.
//!
//! One set of statements serves SQLite and PostgreSQL through sqlx's `Any` driver: ids are
//! text, times are epoch milliseconds, money is `BIGINT`, placeholders are `$n`. Where the
//! dialects differ (row locks, pool shape) the store asks [`Dialect`].

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod entities;
pub mod events;
pub mod gauges;
pub mod holds;
pub mod incidents;
pub mod outbox;
pub mod pace;
pub mod partitions;
pub mod prices;
pub mod reports;
pub mod requests;
pub mod rollups;
mod sql;
pub mod webhooks;

pub use sql::{Param, Sql};

use std::{
    path::Path,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sqlx::{
    Any, AnyConnection, AnyPool, Row, any::AnyPoolOptions, pool::PoolConnection,
    sqlite::SqliteConnectOptions,
};

pub type Conn = AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The database handle: a pool for reads and one for writes. On SQLite the write pool has
/// a single connection, so writers queue in the process instead of failing with `BUSY`;
/// on PostgreSQL both are the same pool and row locks order the writers.
#[derive(Debug, Clone)]
pub struct Db {
    pub read: AnyPool,
    pub write: AnyPool,
    pub dialect: Dialect,
    /// Write transactions begun and writer connections opened by this process (see
    /// [`WriteTx::generation`]).
    writes: Arc<AtomicU64>,
}

pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite only: fsync every commit (`true`, survives power loss) or only at WAL
    /// checkpoints (`false`, survives a killed process but not a power cut).
    pub sqlite_fsync_each_commit: bool,
    /// SQLite only: the most pages the file may have (`PRAGMA max_page_count`); 0: no limit.
    pub sqlite_max_pages: u64,
}

impl Db {
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(pool.max_connections.max(2))
                .acquire_timeout(pool.acquire_timeout)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // A stuck statement must not hold a row lock forever.
                        sqlx::raw_sql("SET statement_timeout = '30s'; SET lock_timeout = '20s'")
                            .execute(conn)
                            .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?;
            return Ok(Self {
                read: pool.clone(),
                write: pool,
                dialect: Dialect::Postgres,
                writes: Arc::default(),
            });
        }
        if !url.starts_with("sqlite:") {
            return Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres://".into(),
            ));
        }
        create_sqlite_parent(url)?;
        // Parsed once with the SQLite driver so the file is created if missing.
        let url = ensure_create_mode(url);
        SqliteConnectOptions::from_str(&url)?;
        let writes = Arc::new(AtomicU64::new(0));
        let write = sqlite_pool(&url, 1, pool, Some(writes.clone())).await?;
        // WAL is a property of the file: set it once, before readers open it.
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&write)
            .await?;
        let read = sqlite_pool(&url, pool.max_connections.max(1), pool, None).await?;
        Ok(Self {
            read,
            write,
            dialect: Dialect::Sqlite,
            writes,
        })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.dialect {
            Dialect::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.write).await,
            Dialect::Postgres => sqlx::migrate!("migrations/postgres").run(&self.write).await,
        }
    }

    /// Starts a write transaction on a writer connection (on SQLite, `BEGIN IMMEDIATE`: the
    /// write lock is taken at once). See [`WriteTx`] for why this is not sqlx's own.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        self.begin_write_on(None).await
    }

    /// [`Db::begin_write`] on a writer connection the caller still holds from its last
    /// commit ([`WriteTx::commit_and_keep`]), or on one from the pool.
    pub async fn begin_write_on(
        &self,
        held: Option<PoolConnection<Any>>,
    ) -> Result<WriteTx, sqlx::Error> {
        let mut conn = match held {
            Some(conn) => conn,
            None => self.write.acquire().await?,
        };
        // Counted once the connection is ours: on SQLite it is the only writer connection,
        // so no other writer of this process can count between our count and our writes
        // (see [`WriteTx::generation`]).
        let local = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        let begun = match self.dialect {
            // The file's data version comes back in the same round trip as the BEGIN.
            Dialect::Sqlite => sqlx::raw_sql("BEGIN IMMEDIATE; PRAGMA data_version")
                .fetch_all(&mut *conn)
                .await
                .and_then(|rows| {
                    let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
                    Ok(Some(row.try_get::<i64, _>(0)?))
                }),
            Dialect::Postgres => sqlx::raw_sql("BEGIN")
                .execute(&mut *conn)
                .await
                .map(|_| None),
        };
        match begun {
            Ok(file) => Ok(WriteTx {
                conn: Some(conn),
                generation: Generation { local, file },
            }),
            Err(err) => {
                // Whatever state it is in, this connection is not reused.
                conn.close_on_drop();
                Err(err)
            }
        }
    }

    pub async fn read_conn(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        self.read.acquire().await
    }

    /// A trivial round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
    }

    /// A small write that allocates pages, rolled into nothing: whether the database can
    /// take writes now (after a full disk, whether space is back).
    pub async fn probe_write(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let mut insert = Sql::new("INSERT INTO write_probe (id, pad) VALUES (1, ");
        insert.bind("x".repeat(16 * 1024)).push(")");
        insert.execute(&mut tx).await?;
        Sql::new("DELETE FROM write_probe").execute(&mut tx).await?;
        tx.commit().await
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// `opened` counts the connections the pool opens (the writer's, see
/// [`WriteTx::generation`]).
async fn sqlite_pool(
    url: &str,
    max_connections: u32,
    settings: &PoolSettings,
    opened: Option<Arc<AtomicU64>>,
) -> Result<AnyPool, sqlx::Error> {
    // FULL: a commit is on disk before it returns, so a 201 survives even a power cut.
    // NORMAL (WAL): a commit is in the OS before it returns (a killed process loses
    // nothing); the fsync happens at checkpoints.
    let synchronous = if settings.sqlite_fsync_each_commit {
        "FULL"
    } else {
        "NORMAL"
    };
    // The writer keeps the hot index pages in memory (32 MB); readers use the default.
    let cache = if max_connections == 1 {
        -32_000
    } else {
        -2_000
    };
    let mut pragmas = format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 5000; PRAGMA cache_size = {cache}; PRAGMA temp_store = MEMORY;"
    );
    if settings.sqlite_max_pages > 0 {
        pragmas.push_str(&format!(
            " PRAGMA max_page_count = {};",
            settings.sqlite_max_pages
        ));
    }
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(settings.acquire_timeout)
        // A local file cannot drop a connection: skip the ping before every use.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            let pragmas = pragmas.clone();
            if let Some(opened) = &opened {
                opened.fetch_add(1, Ordering::SeqCst);
            }
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

fn ensure_create_mode(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// `sqlite:data/costline.db` needs `data/` to exist before SQLite can create the file.
fn create_sqlite_parent(url: &str) -> Result<(), sqlx::Error> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}

/// A write transaction that can only end in one of two ways: [`WriteTx::commit`] returned
/// `Ok` and everything is on disk, or the connection is thrown away (dropping an
/// uncommitted `WriteTx` closes its connection; the database rolls back what it held).
///
/// Why not sqlx's `Transaction`: SQLite may roll back a whole transaction by itself on a
/// full disk or an I/O error. sqlx's bookkeeping then believes a transaction is still open;
/// its next `begin` on that connection becomes a nested `SAVEPOINT` and its `commit` a
/// `RELEASE` that commits nothing while answering success: acknowledged events that were
/// never stored. Here `BEGIN` and `COMMIT` are plain statements whose answers are the truth,
/// and a connection that failed inside a transaction is never used again.
pub struct WriteTx {
    conn: Option<PoolConnection<Any>>,
    generation: Generation,
}

/// Where a write transaction stands among the writes to its database, as it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// This transaction's place among the write transactions this process began and the
    /// writer connections it opened, counted while it held the connection. On SQLite, where
    /// one connection writes, a writer whose transaction is one more than its last one knows
    /// that nobody else in this process wrote in between, on the same connection.
    pub local: u64,
    /// SQLite: `PRAGMA data_version` on the connection once the transaction began. It moves
    /// when another connection (another process) committed to the file since the last look.
    /// `None` on PostgreSQL.
    pub file: Option<i64>,
}

impl WriteTx {
    /// See [`Generation`]: a writer that saw the one before this one knows that what it
    /// knew then still holds.
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Commits. `Ok` means committed; on `Err` nothing of the transaction is stored (SQLite
    /// keeps a failed commit atomic) and the connection is thrown away.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_and_keep().await.map(drop)
    }

    /// [`WriteTx::commit`], answering the connection for the caller's next transaction
    /// instead of handing it back to the pool (which costs a round trip: sqlx pings every
    /// connection it takes back).
    pub async fn commit_and_keep(self) -> Result<PoolConnection<Any>, sqlx::Error> {
        self.commit_and_keep_after(Vec::new()).await
    }

    /// Runs `last` (writes as [`Sql::execute_all`] takes them), then commits, answering the
    /// connection as [`WriteTx::commit_and_keep`] does. On SQLite the `COMMIT` goes in the
    /// same query as the last of them (one round trip for a busy moment's batch): the driver
    /// stops at the first statement that fails, so the `COMMIT` runs only if all of them
    /// succeeded, and a failure throws the connection away with everything the transaction
    /// held.
    pub async fn commit_and_keep_after(
        mut self,
        last: Vec<Sql>,
    ) -> Result<PoolConnection<Any>, sqlx::Error> {
        let Some(mut conn) = self.conn.take() else {
            return Err(sqlx::Error::WorkerCrashed);
        };
        let committed = if is_sqlite(&conn) {
            let mut queries = Sql::sqlite_joined(last);
            let commit = match queries.pop() {
                Some(mut query) => {
                    query.then(Sql::new("COMMIT"));
                    query
                }
                None => Sql::new("COMMIT"),
            };
            async {
                for query in queries {
                    query.execute_once(&mut conn).await?;
                }
                commit.execute_once(&mut conn).await
            }
            .await
        } else {
            async {
                Sql::execute_all(&mut conn, last).await?;
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await
            }
            .await
            .map(|d| d.rows_affected())
        };
        match committed {
            Ok(_) => Ok(conn),
            Err(err) => {
                conn.close_on_drop();
                Err(err)
            }
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn
            .as_deref()
            .unwrap_or_else(|| unreachable!("a WriteTx holds its connection until it ends"))
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("a WriteTx holds its connection until it ends"))
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        // Not committed: close the connection rather than guess its state. Closing rolls
        // back what the transaction held; the pool keeps the slot until the close is done
        // (so SQLite's one writer is never two) and opens a fresh connection when needed.
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}

pub(crate) use crate::domain::time::from_ms;

/// Whether `conn` is SQLite's, for the statements whose text differs by dialect.
pub fn is_sqlite(conn: &Conn) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// A stored value the rules do not know (a status, a kind): one clear error, never a guess.
pub(crate) fn decode(message: String) -> sqlx::Error {
    sqlx::Error::Decode(message.into())
}

#[cfg(test)]
#[path = "write_tx_tests.rs"]
mod tests;
