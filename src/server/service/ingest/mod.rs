//! Cost event ingest: validated events queue to one committer per process, which commits
//! whatever has queued up in one transaction (one fsync for all of them) and only then
//! answers each request: a 201 always means "on disk".
//!
//! - [`committer`]: the queue, its batching, and the promises about answering.
//! - [`commit`]: committing what the committer took, with retries, and answering each job.
//! - [`batch`]: one transaction's worth of events, applied in arrival order, so sums are
//!   exact and every budget crossing happens once.
//! - This file: the service's entry points and the ingest side of the service.

mod batch;
mod commit;
mod committer;
#[cfg(test)]
mod test_support;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use self::{
    commit::{Writer, commit_jobs},
    committer::{Committer, Refused},
};
use super::Service;
use crate::{
    domain::{
        Field, Invalid,
        event::{NewCostEvent, ValidEvent},
    },
    model::IngestedEvent,
    server::{
        clock::Clock,
        error::{AppError, AppResult},
        store::{Db, Dialect},
    },
};

/// Most events one batch request may carry.
pub const MAX_BATCH_EVENTS: usize = 1_000;

/// What became of one reported event.
#[derive(Debug, Clone)]
pub enum IngestOutcome {
    /// Stored now (201).
    Created(IngestedEvent),
    /// Its idempotency key was seen before with the same body: the first event (200).
    Replayed(IngestedEvent),
}

/// An event ready for the committer; a keyed one with the hash of its body, which tells a
/// retry from a reused key (only a keyed event can be replayed).
#[derive(Debug, Clone)]
pub(crate) struct QueuedEvent {
    pub(crate) event: ValidEvent,
    pub(crate) fingerprint: Option<String>,
}

fn queued(event: ValidEvent) -> QueuedEvent {
    let fingerprint = event
        .event_key
        .as_ref()
        .map(|_| hex::encode(Sha256::digest(event.canonical().as_bytes())));
    QueuedEvent { event, fingerprint }
}

impl Service {
    /// Validates, stores and enforces one event; returns once it is committed.
    pub async fn ingest_event(
        &self,
        company_id: &str,
        event: NewCostEvent,
    ) -> AppResult<IngestOutcome> {
        let valid = event.validate(company_id, self.now())?;
        self.ingestor
            .submit(vec![queued(valid)])
            .await?
            .pop()
            .unwrap_or_else(|| Err(AppError::internal("no result")))
    }

    /// Validates, stores and enforces up to [`MAX_BATCH_EVENTS`] events, each on its own:
    /// one answer per event, in order. The valid ones commit together.
    pub async fn ingest_events(
        &self,
        company_id: &str,
        events: Vec<NewCostEvent>,
    ) -> AppResult<Vec<AppResult<IngestOutcome>>> {
        if events.len() > MAX_BATCH_EVENTS {
            return Err(Invalid::one(Field::Events, "must hold at most 1000 events").into());
        }
        let now = self.now();
        let checked: Vec<AppResult<QueuedEvent>> = events
            .into_iter()
            .map(|e| {
                e.validate(company_id, now)
                    .map(queued)
                    .map_err(AppError::from)
            })
            .collect();
        let valid: Vec<QueuedEvent> = checked
            .iter()
            .filter_map(|c| c.as_ref().ok().cloned())
            .collect();
        let mut committed = if valid.is_empty() {
            Vec::new()
        } else {
            self.ingestor.submit(valid).await?
        }
        .into_iter();
        Ok(checked
            .into_iter()
            .map(|c| match c {
                Ok(_) => committed
                    .next()
                    .unwrap_or_else(|| Err(AppError::internal("no result"))),
                Err(e) => Err(e),
            })
            .collect())
    }
}

/// The answers to one job, in the order of its events.
type Reply = oneshot::Sender<Vec<AppResult<IngestOutcome>>>;

/// One request's events: one for the single-event route, up to 1,000 for the batch route.
/// They commit together, in the transaction of whatever else is queued with them.
struct Job {
    events: Vec<QueuedEvent>,
    reply: Reply,
}

/// The ingest side of the service: the committer queue, and whether writes work.
#[derive(Clone)]
pub struct Ingestor {
    committer: Committer<Job>,
    health: Arc<WriteHealth>,
    /// How long a request may wait for room in the queue; once queued it waits for its
    /// commit, however long that takes.
    queue_wait: Duration,
}

/// The committer's task; await it after [`Ingestor::close`] to drain the queue.
pub type CommitterTask = tokio::task::JoinHandle<()>;

/// Whether the last write transactions failed for a reason that is not the request's (a
/// full disk, an I/O error, the database gone): then the server is not ready.
#[derive(Debug, Default)]
pub struct WriteHealth {
    failing: AtomicBool,
}

impl WriteHealth {
    pub fn failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    pub fn record(&self, ok: bool) {
        self.failing.store(!ok, Ordering::Release);
    }
}

impl Ingestor {
    pub fn start(
        db: Db,
        clock: Arc<dyn Clock>,
        max_batch: usize,
        queue_wait: Duration,
    ) -> (Self, CommitterTask) {
        let health = Arc::new(WriteHealth::default());
        let writes = health.clone();
        let writer: Arc<Mutex<Writer>> = Arc::default();
        let idle_writer = writer.clone();
        // SQLite's statements run on a thread of sqlx's: the committer gets a thread of its
        // own, and hands its answers back to the request threads' runtime.
        let own_thread = db.dialect == Dialect::Sqlite;
        let answers = own_thread.then(tokio::runtime::Handle::current);
        let (committer, task) = Committer::start(
            own_thread,
            max_batch,
            |job: &Job| job.events.len(),
            move |jobs, more| {
                let (db, clock, writes) = (db.clone(), clock.clone(), writes.clone());
                let (writer, answers) = (writer.clone(), answers.clone());
                async move {
                    let mut state =
                        std::mem::take(&mut *writer.lock().unwrap_or_else(|e| e.into_inner()));
                    let batch = commit::Batch {
                        jobs,
                        more,
                        answers: answers.as_ref(),
                    };
                    commit_jobs(&db, clock.as_ref(), &writes, &mut state, batch).await;
                    *writer.lock().unwrap_or_else(|e| e.into_inner()) = state;
                }
            },
            // Nothing queued: the other writers get the connection back.
            move || {
                idle_writer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .hand_back();
            },
        );
        (
            Self {
                committer,
                health,
                queue_wait,
            },
            task,
        )
    }

    pub fn close(&self) {
        self.committer.close();
    }

    /// Whether events can be committed now: the committer runs and writes succeed.
    pub fn ready(&self) -> bool {
        self.committer.is_alive() && !self.health.failing()
    }

    pub fn health(&self) -> &WriteHealth {
        &self.health
    }

    /// Requests waiting for the committer to take their events.
    pub fn queued(&self) -> usize {
        self.committer.queue_len()
    }

    /// Queues events and waits until they are committed (or refused). Refused with 503
    /// only before the hand-over; after it, the answer is the commit's.
    async fn submit(&self, events: Vec<QueuedEvent>) -> AppResult<Vec<AppResult<IngestOutcome>>> {
        let (reply, answer) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + self.queue_wait;
        self.committer
            .send(Job { events, reply }, deadline)
            .await
            .map_err(|refused| match refused {
                Refused::Busy => AppError::unavailable("the ingest queue is full; retry shortly"),
                Refused::Stopping => AppError::unavailable("the server is shutting down"),
            })?;
        answer
            .await
            .map_err(|_| AppError::internal("the commit of this batch failed unexpectedly"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::{
        domain::{audit::Actor, scope::ScopeType},
        server::{clock::SystemClock, service::NewScope},
    };

    /// The committer keeps the SQLite writer over back-to-back batches, but never longer
    /// than a turn: with thousands of one-event batches queued, another writer gets the
    /// connection while they are still being committed, not after the last one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_a_steady_load_another_writer_gets_its_turn() {
        const EVENTS: usize = 2_000;
        let dir = tempfile::tempdir().expect("a directory");
        // One event per batch: many back-to-back commits.
        let (db, service) = test_support::sqlite_service(
            &dir.path().join("turn.db"),
            Arc::new(SystemClock),
            1,
            true,
        )
        .await;
        let actor = Actor::system("test");
        let scope = |name: &str| NewScope {
            name: name.to_owned(),
            budget_monthly_cents: None,
        };
        let company = service
            .create_scope(ScopeType::Company, None, scope("Acme"), &actor)
            .await
            .expect("company")
            .id;
        let agent = service
            .create_scope(ScopeType::Agent, Some(&company), scope("a"), &actor)
            .await
            .expect("agent")
            .id;

        let done = Arc::new(AtomicUsize::new(0));
        let load: Vec<_> = (0..EVENTS)
            .map(|_| {
                let (service, company, done) = (service.clone(), company.clone(), done.clone());
                let event = NewCostEvent {
                    agent_id: agent.clone(),
                    provider: "openai".into(),
                    model: "gpt-4o".into(),
                    cost_cents: Some(1),
                    ..NewCostEvent::default()
                };
                tokio::spawn(async move {
                    let outcome = service.ingest_event(&company, event).await;
                    assert!(matches!(outcome, Ok(IngestOutcome::Created(_))));
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        while done.load(Ordering::SeqCst) < 10 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let tx = db.begin_write().await.expect("a turn");
        let committed_before = done.load(Ordering::SeqCst);
        tx.commit().await.expect("commits");
        for task in load {
            task.await.expect("stored");
        }
        assert!(
            committed_before < EVENTS / 2,
            "the other writer waited for {committed_before} of {EVENTS} commits"
        );
    }
}
