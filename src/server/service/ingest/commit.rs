//! Committing a batch: one transaction for the jobs the committer took (and, on PostgreSQL,
//! those of the same companies queued while it waited for their locks), tried again when
//! PostgreSQL asks to, one event at a time when the database refuses the batch; then each
//! job is answered with its own events' results.

use std::{
    collections::BTreeSet,
    future::poll_fn,
    panic::AssertUnwindSafe,
    pin::Pin,
    task::Poll,
    time::{Duration, Instant},
};

use sqlx::{Any, pool::PoolConnection};

use super::{Job, QueuedEvent, Reply, WriteHealth, batch, committer::More};
use crate::server::{
    clock::Clock,
    error::{AppError, AppResult},
    meter,
    service::IngestOutcome,
    store::{Conn, Db, Dialect, WriteTx, entities},
};

/// PostgreSQL asks for a retry on serialization failures and deadlocks.
fn is_retryable(err: &AppError) -> bool {
    let AppError::Internal(cause) = err else {
        return false;
    };
    matches!(
        cause.downcast_ref::<sqlx::Error>(),
        Some(sqlx::Error::Database(db)) if matches!(db.code().as_deref(), Some("40001" | "40P01"))
    )
}

/// How long the committer may keep the writer connection over back-to-back batches before
/// it hands it back to the pool, where other writers (the dashboard's, the outbox's) queue.
const WRITER_TURN: Duration = Duration::from_millis(20);

/// What the committer keeps from one batch to the next.
#[derive(Default)]
pub(super) struct Writer {
    /// The writer connection kept from the last commit, and since when it has been held.
    /// Keeping it saves a pool round trip per batch; [`WRITER_TURN`] bounds how long other
    /// writers wait for it under a steady load, and an empty queue hands it back at once.
    held: Option<(PoolConnection<Any>, Instant)>,
    /// SQLite: the scopes its last batches touched, as they left them ([`batch::Warm`]).
    warm: Option<batch::Warm>,
    /// SQLite: batches committed as [`batch::apply_ahead`] applied them.
    pub(super) applied_ahead: u64,
}

impl Writer {
    /// Gives the kept writer connection back to the pool, for the other writers.
    pub(super) fn hand_back(&mut self) {
        drop(self.held.take());
    }

    /// Begins a write transaction on the kept connection, or on one from the pool; answers
    /// it, since when the committer has held its connection, and what the committer kept of
    /// the scopes. That is taken now, so a failed batch leaves nothing behind; only the
    /// single SQLite writer can know scopes without reading them again.
    async fn begin(&mut self, db: &Db) -> Result<(WriteTx, Instant, batch::Warm), sqlx::Error> {
        let (conn, since) = self
            .held
            .take()
            .map_or((None, Instant::now()), |(c, t)| (Some(c), t));
        let warm = self.warm.take().unwrap_or_default();
        Ok((db.begin_write_on(conn).await?, since, warm))
    }
}

/// A batch's events, and whom to answer: each job's reply, with how many of the events
/// (in order) are its own.
#[derive(Default)]
struct Pending {
    events: Vec<QueuedEvent>,
    replies: Vec<(Reply, usize)>,
}

impl Pending {
    fn of(jobs: Vec<Job>) -> Self {
        let mut pending = Self::default();
        for job in jobs {
            pending.add(job);
        }
        pending
    }

    fn add(&mut self, job: Job) {
        self.replies.push((job.reply, job.events.len()));
        self.events.extend(job.events);
    }
}

pub(super) async fn commit_jobs(
    db: &Db,
    clock: &dyn Clock,
    health: &WriteHealth,
    writer: &mut Writer,
    jobs: Vec<Job>,
    mut more: More<Job>,
) {
    if db.dialect == Dialect::Sqlite {
        return pipeline(db, clock, health, writer, jobs, more).await;
    }
    let mut pending = Pending::of(jobs);
    let started = Instant::now();
    let outcome = commit_with_retry(db, clock, writer, &mut pending, Some(&mut more)).await;
    answer(db, clock, health, writer, pending, outcome, started).await;
}

/// SQLite, where this committer is the one writer of events: while the database commits a
/// batch, the committer takes the jobs queued since and applies them in memory, from what
/// the committing batch leaves ([`batch::apply_ahead`]), so that the next transaction only
/// writes. What was applied ahead is dropped, and the batch applied again in its own
/// transaction, if the batch before it failed or anyone else wrote in between (its
/// transaction does not begin at the generation it expects); it is only ever answered once
/// its own transaction has committed. Goes on while jobs keep coming.
async fn pipeline(
    db: &Db,
    clock: &dyn Clock,
    health: &WriteHealth,
    writer: &mut Writer,
    jobs: Vec<Job>,
    mut more: More<Job>,
) {
    let mut pending = Pending::of(jobs);
    let mut ahead: Option<batch::Ahead> = None;
    loop {
        let started = Instant::now();
        let mut next = Pending::default();
        let outcome = match start(db, clock, writer, &pending, ahead.take()).await {
            Err(err) => Err(err),
            Ok(mut flight) => {
                next = Pending::of(more.next_batch().await);
                if !next.events.is_empty() {
                    // The batch in flight is answered whatever happens here: a panic
                    // applying the next one only loses what the committer kept.
                    let now = clock.now();
                    let applied = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        batch::apply_ahead(now, &next.events, &mut flight.warm)
                    }));
                    ahead = applied.unwrap_or_else(|_| {
                        tracing::error!("applying a batch ahead panicked");
                        flight.warm = None;
                        None
                    });
                }
                flight.land(writer).await
            }
        };
        if outcome.is_err() {
            ahead = None;
        }
        answer(db, clock, health, writer, pending, outcome, started).await;
        if next.events.is_empty() {
            return;
        }
        pending = next;
    }
}

/// A commit under way: the statements and the `COMMIT`, handed to SQLite's thread.
type Commit = Pin<Box<dyn Future<Output = Result<PoolConnection<Any>, sqlx::Error>> + Send>>;

/// A batch whose transaction is committing, and what it answers once it has.
struct Flight {
    results: Vec<AppResult<IngestOutcome>>,
    /// What the committer keeps once it has committed (taken when the next batch is
    /// applied ahead from it).
    warm: Option<batch::Warm>,
    /// Since when the committer has held the writer connection.
    since: Instant,
    commit: Commit,
}

impl Flight {
    /// Waits for the commit; keeps the connection for the next batch within the turn.
    async fn land(self, writer: &mut Writer) -> AppResult<Vec<AppResult<IngestOutcome>>> {
        let conn = self.commit.await?;
        writer.warm = self.warm;
        if self.since.elapsed() < WRITER_TURN {
            writer.held = Some((conn, self.since));
        }
        Ok(self.results)
    }
}

/// SQLite: begins `pending`'s transaction, applies it (or takes it as applied `ahead`,
/// when the transaction began where that expected), and hands its writes and the `COMMIT`
/// to the database, without waiting for them.
async fn start(
    db: &Db,
    clock: &dyn Clock,
    writer: &mut Writer,
    pending: &Pending,
    ahead: Option<batch::Ahead>,
) -> AppResult<Flight> {
    let (mut tx, since, warm) = writer.begin(db).await?;
    let generation = tx.generation();
    let batch::Applied {
        results,
        warm,
        last,
    } = match ahead {
        Some(ahead) if ahead.generation == generation => {
            ::metrics::counter!(meter::COMMIT_AHEAD).increment(1);
            writer.applied_ahead += 1;
            ahead.applied
        }
        _ => {
            let warm = Some((warm, generation));
            batch::apply(&mut tx, Dialect::Sqlite, clock.now(), &pending.events, warm).await?
        }
    };
    let mut commit: Commit = Box::pin(tx.commit_and_keep_after(last));
    // Polled once, the query goes to SQLite's thread, which runs it while this one applies
    // the next batch.
    let commit = match poll_fn(|cx| Poll::Ready(commit.as_mut().poll(cx))).await {
        Poll::Ready(done) => Box::pin(std::future::ready(done)),
        Poll::Pending => commit,
    };
    Ok(Flight {
        results,
        warm,
        since,
        commit,
    })
}

/// Records how a batch went and answers each job with its own events' results; when the
/// database refused the batch, commits its events one by one first.
async fn answer(
    db: &Db,
    clock: &dyn Clock,
    health: &WriteHealth,
    writer: &mut Writer,
    pending: Pending,
    outcome: AppResult<Vec<AppResult<IngestOutcome>>>,
    started: Instant,
) {
    let Pending { events, replies } = pending;
    health.record(!matches!(outcome, Err(AppError::Unavailable(_))));
    ::metrics::histogram!(meter::COMMIT_EVENTS).record(events.len() as f64);
    ::metrics::histogram!(meter::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
    tracing::debug!(
        events = events.len(),
        micros = started.elapsed().as_micros() as u64,
        "batch committed"
    );
    let results = match outcome {
        Ok(results) => results,
        // One event the database refuses must not sink the others: commit them one by one.
        Err(err @ AppError::Internal(_)) if events.len() > 1 => {
            tracing::warn!(error = ?err, batch = events.len(), "batch failed; committing one by one");
            let mut results = Vec::with_capacity(events.len());
            for event in events {
                let mut one = Pending {
                    events: vec![event],
                    replies: Vec::new(),
                };
                results.push(
                    commit_with_retry(db, clock, writer, &mut one, None)
                        .await
                        .and_then(|mut r| {
                            r.pop()
                                .unwrap_or_else(|| Err(AppError::internal("no result")))
                        }),
                );
            }
            results
        }
        Err(err) => events.iter().map(|_| Err(err.clone())).collect(),
    };
    let mut results = results.into_iter();
    for (reply, count) in replies {
        let _ = reply.send(results.by_ref().take(count).collect());
    }
}

/// Commits `pending`, trying again when PostgreSQL asks to. With `more`, on PostgreSQL, once
/// the batch holds its companies' locks it takes the jobs of those companies queued since:
/// while another instance held a lock, what arrived for that company joins this commit
/// instead of waiting for the lock again.
async fn commit_with_retry(
    db: &Db,
    clock: &dyn Clock,
    writer: &mut Writer,
    pending: &mut Pending,
    mut more: Option<&mut More<Job>>,
) -> AppResult<Vec<AppResult<IngestOutcome>>> {
    let mut attempt = 0;
    loop {
        let result = async {
            let (mut tx, since, warm) = writer.begin(db).await?;
            if db.dialect == Dialect::Postgres {
                lock_and_join(&mut tx, pending, more.as_deref_mut()).await?;
            }
            let warm = (db.dialect == Dialect::Sqlite).then(|| (warm, tx.generation()));
            let batch::Applied {
                results,
                warm,
                last,
            } = batch::apply(&mut tx, db.dialect, clock.now(), &pending.events, warm).await?;
            let conn = tx.commit_and_keep_after(last).await?;
            writer.warm = warm;
            if since.elapsed() < WRITER_TURN {
                writer.held = Some((conn, since));
            }
            Ok(results)
        }
        .await;
        match result {
            Err(err) if is_retryable(&err) && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
            }
            other => return other,
        }
    }
}

/// PostgreSQL: locks the companies of `pending` (in id order, as every writer does), then
/// takes into it the jobs of those companies that queued while it waited for the locks.
async fn lock_and_join(
    conn: &mut Conn,
    pending: &mut Pending,
    more: Option<&mut More<Job>>,
) -> Result<(), sqlx::Error> {
    let companies: Vec<String> = pending
        .events
        .iter()
        .map(|e| e.event.company_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    entities::lock_companies(conn, Dialect::Postgres, &companies).await?;
    if let Some(more) = more {
        let locked = |job: &Job| {
            job.events
                .iter()
                .all(|e| companies.binary_search(&e.event.company_id).is_ok())
        };
        for job in more.take(locked).await {
            pending.add(job);
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod tests;
