//! The webhook sender: its own task, its own HTTP client, never on the ingest path. Every
//! poll it leases the endpoints whose next delivery is due, and delivers to each from a
//! task of its own, so a slow or dead endpoint holds up only itself. Deliveries of one
//! endpoint go out one at a time, oldest first; a failed one is retried (same
//! `webhook-id`) before anything after it. The lease (`store::outbox::claim`) keeps two
//! instances from delivering to one endpoint at once; at-least-once comes from recording an
//! attempt only after it was made, so a crash in between sends it again.

pub(crate) mod client;
pub(crate) mod sign;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

use crate::{
    domain::notify::{self, AfterFailure, Format, Payload},
    server::{
        clock::Clock,
        config::Settings,
        store::{
            Db, decode, from_ms,
            outbox::{self, Attempt, DeliveryStatus, Due},
            webhooks,
        },
    },
};
use client::{Answer, Outbound};

/// What the sender needs besides the database.
pub(crate) struct Sender {
    db: Db,
    clock: Arc<dyn Clock>,
    outbound: Outbound,
    poll: Duration,
    timeout: Duration,
    retry_base: chrono::Duration,
    public_url: String,
}

/// Endpoints leased per poll; the rest wait for the next one.
const CLAIM_LIMIT: i64 = 32;

impl Sender {
    pub(crate) fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        outbound: Outbound,
        settings: &Settings,
        public_url: String,
    ) -> Self {
        Self {
            db,
            clock,
            outbound,
            poll: Duration::from_millis(settings.webhook_poll_ms.max(5)),
            timeout: Duration::from_millis(settings.webhook_timeout_ms.max(1)),
            retry_base: chrono::Duration::milliseconds(
                i64::try_from(settings.webhook_retry_base_ms.max(1)).unwrap_or(i64::MAX),
            ),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Runs until aborted.
    pub(crate) fn spawn(self) -> tokio::task::JoinHandle<()> {
        let sender = Arc::new(self);
        tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            loop {
                while tasks.try_join_next().is_some() {}
                match sender.claim().await {
                    Ok(Some((ids, lease))) => {
                        for id in ids {
                            let sender = Arc::clone(&sender);
                            let lease = Arc::clone(&lease);
                            tasks.spawn(async move { sender.deliver_all(&id, &lease).await });
                        }
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "webhook sender: could not claim"),
                }
                tokio::time::sleep(sender.poll).await;
            }
        })
    }

    /// How long a lease lasts: an attempt and its bookkeeping fit well inside.
    fn lease_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.timeout).unwrap_or_default()
            + chrono::Duration::seconds(30)
    }

    /// Leases the due endpoints no sender holds; answers them and the lease's token (none when
    /// nothing is due). Each claim has a token of its own, not one per process: if a lease
    /// ran out while its task was still at work (a database stalled past it) and a
    /// later claim took the endpoint again, the old task can neither record its attempt nor
    /// renew or release the new lease, and the endpoint stays with the newer task alone.
    async fn claim(&self) -> Result<Option<(Vec<String>, Arc<str>)>, sqlx::Error> {
        let now = self.clock.now();
        // A read first, so an idle server does not take the write lock every poll.
        let due = outbox::due(&mut *self.db.read_conn().await?, now, CLAIM_LIMIT).await?;
        if due.is_empty() {
            return Ok(None);
        }
        let lease: Arc<str> = uuid::Uuid::now_v7().to_string().into();
        let mut tx = self.db.begin_write().await?;
        let claimed = outbox::claim(&mut tx, &due, &lease, now, self.lease_until(now)).await?;
        tx.commit().await?;
        Ok(Some((claimed, lease)))
    }

    /// Delivers an endpoint's due deliveries in order, until one fails or none is due.
    async fn deliver_all(&self, endpoint_id: &str, lease: &str) {
        if let Err(e) = self.deliver_due(endpoint_id, lease).await {
            tracing::warn!(error = %e, endpoint_id, "webhook sender: delivery interrupted");
        }
        // On error the lease runs out by itself.
        if let Ok(mut tx) = self.db.begin_write().await
            && outbox::release(&mut tx, endpoint_id, lease).await.is_ok()
        {
            let _ = tx.commit().await;
        }
    }

    async fn deliver_due(&self, endpoint_id: &str, lease: &str) -> Result<(), sqlx::Error> {
        loop {
            let now = self.clock.now();
            let mut tx = self.db.begin_write().await?;
            if !outbox::renew(&mut tx, endpoint_id, lease, self.lease_until(now)).await? {
                return Ok(());
            }
            let endpoint = webhooks::get(&mut tx, endpoint_id).await?;
            let key = webhooks::signing_key(&mut tx, endpoint_id).await?;
            let head = outbox::head(&mut tx, endpoint_id).await?;
            tx.commit().await?;
            let (Some(endpoint), Some(key), Some(head)) = (endpoint, key, head) else {
                return Ok(());
            };
            if !endpoint.enabled || from_ms(head.next_attempt_at) > now {
                return Ok(());
            }
            let answer = self.attempt(&endpoint, &key, &head).await?;
            let delivered = answer.delivered();
            if !self.record(&endpoint.id, lease, &head, answer).await? || !delivered {
                return Ok(());
            }
        }
    }

    /// One attempt: the body in the endpoint's format, signed, posted.
    async fn attempt(
        &self,
        endpoint: &webhooks::Endpoint,
        key: &str,
        head: &Due,
    ) -> Result<Answer, sqlx::Error> {
        let mut payload: Payload = serde_json::from_str(&head.payload)
            .map_err(|e| decode(format!("notification {}: {e}", head.notification_id)))?;
        payload.dashboard_url = format!("{}{}", self.public_url, payload.dashboard_url);
        let body = match endpoint.format {
            Format::Json => serde_json::to_vec(&payload),
            Format::Slack => {
                serde_json::to_vec(&serde_json::json!({"text": notify::slack_text(&payload)}))
            }
        }
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        // The wall clock, not the injected one: receivers check it against theirs.
        let timestamp = Utc::now().timestamp();
        let signature = match sign::signature(key, &head.notification_id, timestamp, &body) {
            Ok(s) => s,
            Err(why) => return Ok(Answer::failed(why)),
        };
        let headers = [
            ("webhook-id", head.notification_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        Ok(self.outbound.post(&endpoint.url, &headers, body).await)
    }

    /// Logs the attempt and what follows from it, in one transaction, if `lease` still holds
    /// the endpoint; answers whether it did. A task whose lease ran out during the attempt
    /// (a database stalled past it) and was taken by a newer claim records nothing: that
    /// claim sends the same delivery again (at least once, the same `webhook-id`) and
    /// records it, so the attempt and the run of failures count once.
    async fn record(
        &self,
        endpoint_id: &str,
        lease: &str,
        head: &Due,
        answer: Answer,
    ) -> Result<bool, sqlx::Error> {
        let now = self.clock.now();
        let attempts = head.attempts + 1;
        let delivered = answer.delivered();
        let (status, next) = if delivered {
            (DeliveryStatus::Delivered, None)
        } else {
            match notify::after_failure(
                from_ms(head.created_at),
                now,
                attempts,
                self.retry_base,
                jitter(),
            ) {
                AfterFailure::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
                AfterFailure::GiveUp => (DeliveryStatus::Failed, None),
            }
        };
        let attempt = Attempt {
            delivery_id: head.id.clone(),
            endpoint_id: endpoint_id.to_owned(),
            at: now,
            response_code: answer.code.map(i64::from),
            error: answer
                .error
                .or_else(|| (!delivered).then(|| "the answer was not a 2xx".to_owned())),
        };
        // Only this endpoint's rows: no company lock is needed, none is taken. The renewal
        // takes the endpoint's row first, so a claim racing it waits and sees it held.
        let mut tx = self.db.begin_write().await?;
        if !outbox::renew(&mut tx, endpoint_id, lease, self.lease_until(now)).await? {
            tracing::warn!(
                endpoint_id,
                delivery = %head.id,
                "webhook sender: the lease ran out during an attempt; not recorded, sent again by its new holder"
            );
            // Nothing was written: ending it keeps the writer connection.
            tx.commit().await?;
            return Ok(false);
        }
        outbox::record_attempt(&mut tx, &attempt, status, next).await?;
        outbox::count_outcome(
            &mut tx,
            endpoint_id,
            status == DeliveryStatus::Delivered,
            notify::DISABLE_AFTER_FAILURES,
            now,
        )
        .await?;
        tx.commit().await?;
        if !delivered {
            ::metrics::counter!(crate::server::meter::WEBHOOK_FAILURES).increment(1);
        }
        Ok(true)
    }
}

/// A fraction in `[0, 1)` for the backoff's jitter.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(b)) / 65_536.0
}
