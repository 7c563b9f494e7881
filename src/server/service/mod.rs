//! The rules of Costline. REST handlers and server functions both call [`Service`]; neither
//! holds SQL or budget logic. Transactions begin and end here.

pub mod activity;
mod budgets;
mod dashboard;
mod drilldown;
mod effects;
pub mod event_list;
mod gauges;
pub mod holds;
pub mod incidents;
pub mod ingest;
pub mod monthly;
mod outbox;
pub mod price_import;
pub mod prices;
mod reconcile;
pub mod reports;
mod reprice;
pub mod requests;
mod retention;
pub mod scopes;
mod views;
pub mod webhooks;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use crate::{
    domain::retention::Retention,
    server::{clock::Clock, notify::client::UrlPolicy, store::Db},
};

pub use crate::domain::event::NewCostEvent;
pub use incidents::ResolveIncident;
pub use ingest::IngestOutcome;
pub use requests::{Approval, NewRequest};
pub use scopes::{NewScope, ScopePatch};
pub use webhooks::{NewWebhook, WebhookPatch};

/// Cheap to clone (one shared pointer): every request's extractors and middlewares take
/// their own copy.
#[derive(Clone)]
pub struct Service(Arc<Shared>);

/// What every copy of [`Service`] shares; its fields read as the service's own.
pub struct Shared {
    db: Db,
    clock: Arc<dyn Clock>,
    ingestor: ingest::Ingestor,
    /// Where webhook endpoints may point; checked when one is added or changed.
    webhook_policy: Arc<UrlPolicy>,
    /// How many months of raw events are kept; `None` keeps everything.
    retention: Option<Retention>,
    /// When the readiness check last tried a write ([`Service::readiness`]).
    last_probe: Mutex<Option<Instant>>,
    /// The readiness check's last answer from the database ([`Service::readiness`]).
    last_ping: PingGate,
}

/// How long one answer of the database to the readiness check serves every other caller.
/// `/readyz` needs no credential: a flood of it must not become a flood of queries, nor hold
/// the connections the dashboard's reads need.
const PING_FRESH: Duration = Duration::from_secs(1);

/// One readiness ping at a time, its answer shared for [`PING_FRESH`]: callers that arrive
/// while it runs wait for it and take its answer instead of sending their own.
#[derive(Default)]
struct PingGate(tokio::sync::Mutex<Option<(Instant, bool)>>);

impl PingGate {
    /// Whether the database answered, asking it with `ping` only if no answer younger than
    /// [`PING_FRESH`] is on hand at `now`.
    async fn check(&self, now: Instant, ping: impl std::future::Future<Output = bool>) -> bool {
        let mut last = self.0.lock().await;
        if let Some((at, up)) = *last
            && now.saturating_duration_since(at) < PING_FRESH
        {
            return up;
        }
        let up = ping.await;
        *last = Some((Instant::now(), up));
        up
    }
}

/// How often the readiness check may try a write while writes fail. `/readyz` needs no
/// credential, and each try holds the one writer connection the committer needs.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether a probe may run `now`, after the one at `last`; if so, `now` becomes the last.
fn claim_probe(last: &mut Option<Instant>, now: Instant) -> bool {
    if last.is_some_and(|at| now.saturating_duration_since(at) < PROBE_EVERY) {
        return false;
    }
    *last = Some(now);
    true
}

impl Service {
    /// Starts the ingest committer on the current runtime.
    pub(crate) fn start(
        db: Db,
        clock: Arc<dyn Clock>,
        ingest_batch_max: usize,
        queue_wait: std::time::Duration,
        webhook_policy: UrlPolicy,
        retention: Option<Retention>,
    ) -> (Self, ingest::CommitterTask) {
        let (ingestor, task) =
            ingest::Ingestor::start(db.clone(), clock.clone(), ingest_batch_max, queue_wait);
        (
            Self(Arc::new(Shared {
                db,
                clock,
                ingestor,
                webhook_policy: Arc::new(webhook_policy),
                retention,
                last_probe: Mutex::default(),
                last_ping: PingGate::default(),
            })),
            task,
        )
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Ready to take events: the database answers, the committer runs, and writes succeed.
    /// After write failures (a full disk), one small write is tried, so the server turns
    /// ready by itself once space is back, even if no event arrives: at most one a second,
    /// however often callers ask. The database itself is asked at most once a second too.
    pub async fn readiness(&self) -> Result<(), &'static str> {
        let reachable = self
            .last_ping
            .check(Instant::now(), async { self.db.ping().await.is_ok() })
            .await;
        if !reachable {
            return Err("the database is unreachable");
        }
        if !self.ingestor.ready() {
            let probe = self.ingestor.health().failing()
                && claim_probe(
                    &mut self.last_probe.lock().unwrap_or_else(|e| e.into_inner()),
                    Instant::now(),
                );
            if probe && self.db.probe_write().await.is_ok() {
                self.ingestor.health().record(true);
            }
            if !self.ingestor.ready() {
                return Err("writes to the database are failing");
            }
        }
        Ok(())
    }

    /// Requests whose events wait for the committer to take them.
    pub fn ingest_queued(&self) -> usize {
        self.ingestor.queued()
    }

    /// Stops taking events; the committer finishes what it holds and exits.
    pub fn close_ingest(&self) {
        self.ingestor.close();
    }
}

impl std::ops::Deref for Service {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readiness_probe_runs_at_most_once_a_second() {
        let start = Instant::now();
        let mut last = None;
        assert!(claim_probe(&mut last, start), "the first one runs");
        assert!(!claim_probe(&mut last, start), "not again at once");
        assert!(!claim_probe(&mut last, start + Duration::from_millis(999)));
        assert!(
            claim_probe(&mut last, start + PROBE_EVERY),
            "a second later it runs"
        );
        assert!(!claim_probe(
            &mut last,
            start + Duration::from_millis(1_500)
        ));
        // A clock read before the last one (another thread's) is not a second later.
        assert!(!claim_probe(&mut last, start));
    }

    #[tokio::test]
    async fn a_flood_of_readiness_checks_asks_the_database_once_a_second() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = PingGate::default();
        let counter = AtomicUsize::new(0);
        let asked = &counter;
        let ping = |up: bool| async move {
            asked.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            up
        };
        let start = Instant::now();
        // Fifty callers at once: one query, every caller gets its answer.
        let answers =
            futures::future::join_all((0..50).map(|_| gate.check(start, ping(true)))).await;
        assert!(answers.iter().all(|&up| up));
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        // Within the second, the answer stands, even if the database went away meanwhile.
        assert!(gate.check(start, ping(false)).await);
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        // A second later it asks again, and a failure is passed on.
        let later = Instant::now() + PING_FRESH;
        assert!(!gate.check(later, ping(false)).await);
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        assert!(!gate.check(later, ping(true)).await, "a failure stands too");
        assert_eq!(asked.load(Ordering::SeqCst), 2);
    }
}
