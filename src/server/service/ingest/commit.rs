//! Committing a batch: one transaction for the jobs the committer took (and, on PostgreSQL,
//! those of the same companies queued while it waited for their locks), tried again when
//! PostgreSQL asks to, one event at a time when the database refuses the batch; then each
//! job is answered with its own events' results.

use std::{collections::BTreeSet, time::Duration};

use sqlx::{Any, pool::PoolConnection};

use super::{Job, QueuedEvent, Reply, WriteHealth, batch, committer::More};
use crate::server::{
    clock::Clock,
    error::{AppError, AppResult},
    meter,
    service::IngestOutcome,
    store::{Conn, Db, Dialect, entities},
};

/// PostgreSQL asks for a retry on serialization failures and deadlocks.
fn is_retryable(err: &AppError) -> bool {
    matches!(err, AppError::Busy(_))
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
    held: Option<(PoolConnection<Any>, std::time::Instant)>,
    /// SQLite: the scopes its last batches touched, as they left them ([`batch::Warm`]).
    warm: Option<batch::Warm>,
}

impl Writer {
    /// Gives the kept writer connection back to the pool, for the other writers.
    pub(super) fn hand_back(&mut self) {
        drop(self.held.take());
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
    fn add(&mut self, job: Job) {
        self.replies.push((job.reply, job.events.len()));
        self.events.extend(job.events);
    }
}

/// What the committer took from its queue, and where its answers go from.
pub(super) struct Batch<'a> {
    pub jobs: Vec<Job>,
    /// The jobs queued since, for PostgreSQL's companies whose locks the batch gets.
    pub more: More<Job>,
    /// The request threads' runtime, when the committer runs on a thread of its own: the
    /// batch's answers are sent by one task there, so the committer schedules one task per
    /// batch rather than each waiting request, and goes on to the next batch sooner
    /// (measured on SQLite at 64 clients: a commit 1.0 to 0.9 ms, 1.02x the rate; see
    /// BENCHMARKS.md).
    pub answers: Option<&'a tokio::runtime::Handle>,
}

pub(super) async fn commit_jobs(
    db: &Db,
    clock: &dyn Clock,
    health: &WriteHealth,
    writer: &mut Writer,
    batch: Batch<'_>,
) {
    let Batch {
        jobs,
        mut more,
        answers,
    } = batch;
    let mut pending = Pending::default();
    for job in jobs {
        pending.add(job);
    }
    let started = std::time::Instant::now();
    let outcome = commit_with_retry(db, clock, writer, &mut pending, Some(&mut more)).await;
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
    let answer = move || {
        for (reply, count) in replies {
            // A caller that went away (its connection closed) needs no answer.
            let _ = reply.send(results.by_ref().take(count).collect());
        }
    };
    match answers {
        Some(runtime) => drop(runtime.spawn(async move { answer() })),
        None => answer(),
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
            let (conn, since) = writer
                .held
                .take()
                .map_or((None, std::time::Instant::now()), |(c, t)| (Some(c), t));
            // Taken now, so a failed batch leaves nothing behind. Only the single SQLite
            // writer can know scopes without reading them again.
            let warm = writer.warm.take().unwrap_or_default();
            let mut tx = db.begin_write_on(conn).await?;
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
