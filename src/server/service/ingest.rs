//! Cost event ingest: validation, idempotency, rollups and budget enforcement, committed
//! together.
//!
//! Events go through one committer task per process. It takes whatever has queued up
//! (up to `ingest_batch_max`), runs the whole batch in one transaction (one fsync for all
//! of them) and only then answers each request: a 201 always means "on disk". Within a
//! batch, events are applied one after another in arrival order, so sums are exact and
//! every budget crossing happens exactly once. Across processes (PostgreSQL), the company
//! rows are locked first, in id order, so writers of one company take turns.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{
    Service,
    committer::{Committer, Refused},
    enforcement::{self, Scope, Transition},
    prices::{PriceBook, Tokens as TokenCounts, cost_micros},
    scopes::{alert_row, resume_budget_paused_agents},
    window::{self, day_key, month_key},
};
use crate::{
    domain::{
        Field,
        ledger::{CompanyTotals, EventAmounts},
        money::{MicroCents, Tokens},
    },
    model::{
        BudgetLevel, CostEvent, CostSource, Enforcement, FieldError, IngestedEvent,
        MICROS_PER_CENT, ScopeType, Status, Threshold, micros_to_cents,
    },
    server::{
        clock::Clock,
        error::{AppError, AppResult},
        store::{
            Conn, Db, Dialect, alerts,
            alerts::AlertRow,
            entities,
            events::{self, EventRow},
            rollups::{self, Metrics, RollupKey},
        },
    },
};

/// Largest cost one event may report: one million dollars. Keeps a month's sum of
/// micro-cents far inside 64 bits.
pub const MAX_EVENT_COST_CENTS: i64 = 100_000_000;
/// Largest token count of one event.
pub const MAX_TOKENS: i64 = 1_000_000_000_000;
/// How far in the future `occurredAt` may be (clock skew between adapter and server).
const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// A cost event as an adapter reports it (types already checked, values not yet).
#[derive(Debug, Clone, Default)]
pub struct NewCostEvent {
    pub agent_id: String,
    pub project_id: Option<String>,
    pub provider: String,
    pub model: String,
    /// Every input token, cached reads and cache writes included.
    pub input_tokens: Option<i64>,
    /// The part of the input read from a prompt cache.
    pub cached_input_tokens: Option<i64>,
    /// The part of the input written to a prompt cache.
    pub cache_write_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_cents: Option<i64>,
    pub occurred_at: Option<DateTime<Utc>>,
    /// From the `eventKey` field or the `Idempotency-Key` header.
    pub event_key: Option<String>,
}

/// A checked event, ready for the committer.
#[derive(Debug, Clone)]
struct ValidEvent {
    company_id: String,
    agent_id: String,
    project_id: Option<String>,
    provider: String,
    model: String,
    input_tokens: i64,
    cached_input_tokens: i64,
    cache_write_tokens: i64,
    output_tokens: i64,
    cost_cents: Option<i64>,
    occurred_at: Option<i64>,
    event_key: Option<String>,
    fingerprint: String,
}

impl NewCostEvent {
    fn validate(self, company_id: &str, now: DateTime<Utc>) -> AppResult<ValidEvent> {
        let mut errors = Vec::new();
        let mut text = |field: &str, value: &str, required: bool| -> Option<String> {
            if value.trim().is_empty() && !required {
                return None;
            }
            match crate::domain::clean_text(value) {
                Ok(text) => Some(text),
                Err(message) => {
                    errors.push(FieldError::new(field, message));
                    None
                }
            }
        };
        let agent_id = text("agentId", &self.agent_id, true).unwrap_or_default();
        let provider = text("provider", &self.provider, true).unwrap_or_default();
        let model = text("model", &self.model, true).unwrap_or_default();
        let project_id = self
            .project_id
            .as_deref()
            .and_then(|p| text("projectId", p, false));
        let event_key = self
            .event_key
            .as_deref()
            .and_then(|k| text("eventKey", k, false));

        let mut count = |field: &str, value: Option<i64>, max: i64| -> i64 {
            let v = value.unwrap_or(0);
            if v < 0 {
                errors.push(FieldError::new(field, "must be 0 or more"));
            } else if v > max {
                errors.push(FieldError::new(field, format!("must be at most {max}")));
            }
            v
        };
        let input_tokens = count("inputTokens", self.input_tokens, MAX_TOKENS);
        let cached_input_tokens = count("cachedInputTokens", self.cached_input_tokens, MAX_TOKENS);
        let cache_write_tokens = count("cacheWriteTokens", self.cache_write_tokens, MAX_TOKENS);
        let output_tokens = count("outputTokens", self.output_tokens, MAX_TOKENS);
        if let Some(cost) = self.cost_cents {
            count("costCents", Some(cost), MAX_EVENT_COST_CENTS);
        }
        // Cached reads and writes are parts of the input, so no token is priced twice.
        if cached_input_tokens >= 0
            && cache_write_tokens >= 0
            && cached_input_tokens.saturating_add(cache_write_tokens) > input_tokens.max(0)
        {
            errors.push(FieldError::new(
                "cachedInputTokens",
                "cached and cache-write tokens are part of inputTokens: their sum may not exceed it",
            ));
        }
        let occurred_at = self.occurred_at.map(|t| t.timestamp_millis());
        if let Some(at) = occurred_at {
            if at > now.timestamp_millis() + FUTURE_TOLERANCE_MS {
                errors.push(FieldError::new(
                    "occurredAt",
                    "must not be more than 5 minutes in the future",
                ));
            }
            if at < 0 {
                errors.push(FieldError::new("occurredAt", "must be after 1970-01-01"));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }

        // What makes two requests "the same event": every field as sent, instants
        // normalised, so a retry matches and a different body under the same key does not.
        let canonical = serde_json::json!([
            agent_id,
            project_id,
            provider,
            model,
            input_tokens,
            cached_input_tokens,
            cache_write_tokens,
            output_tokens,
            self.cost_cents,
            occurred_at,
        ]);
        let fingerprint = hex(&Sha256::digest(canonical.to_string().as_bytes()));
        Ok(ValidEvent {
            company_id: company_id.to_owned(),
            agent_id,
            project_id,
            provider,
            model,
            input_tokens,
            cached_input_tokens,
            cache_write_tokens,
            output_tokens,
            cost_cents: self.cost_cents,
            occurred_at,
            event_key,
            fingerprint,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What became of one reported event.
#[derive(Debug, Clone)]
pub enum IngestOutcome {
    /// Stored now (201).
    Created(IngestedEvent),
    /// Its idempotency key was seen before with the same body: the first event (200).
    Replayed(IngestedEvent),
}

/// Most events one batch request may carry.
pub const MAX_BATCH_EVENTS: usize = 1_000;

impl Service {
    /// Validates, stores and enforces one event; returns once it is committed.
    pub async fn ingest_event(
        &self,
        company_id: &str,
        event: NewCostEvent,
    ) -> AppResult<IngestOutcome> {
        let valid = event.validate(company_id, self.now())?;
        self.ingestor
            .submit(vec![valid])
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
            return Err(AppError::invalid_fields(vec![FieldError::new(
                "events",
                "must hold at most 1000 events",
            )]));
        }
        let now = self.now();
        let checked: Vec<AppResult<ValidEvent>> = events
            .into_iter()
            .map(|e| e.validate(company_id, now))
            .collect();
        let valid: Vec<ValidEvent> = checked
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
    events: Vec<ValidEvent>,
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
        let (committer, task) = Committer::start(
            max_batch,
            |job: &Job| job.events.len(),
            move |jobs| {
                let (db, clock, writes) = (db.clone(), clock.clone(), writes.clone());
                async move { commit_jobs(&db, clock.as_ref(), &writes, jobs).await }
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

    /// Queues events and waits until they are committed (or refused). Refused with 503
    /// only before the hand-over; after it, the answer is the commit's.
    async fn submit(&self, events: Vec<ValidEvent>) -> AppResult<Vec<AppResult<IngestOutcome>>> {
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

async fn commit_jobs(db: &Db, clock: &dyn Clock, health: &WriteHealth, jobs: Vec<Job>) {
    let mut events = Vec::new();
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        replies.push((job.reply, job.events.len()));
        events.extend(job.events);
    }
    let started = std::time::Instant::now();
    let outcome = commit_with_retry(db, clock, &events).await;
    health.record(!matches!(outcome, Err(AppError::Unavailable(_))));
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
            for event in &events {
                results.push(
                    commit_with_retry(db, clock, std::slice::from_ref(event))
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

async fn commit_with_retry(
    db: &Db,
    clock: &dyn Clock,
    events: &[ValidEvent],
) -> AppResult<Vec<AppResult<IngestOutcome>>> {
    let mut attempt = 0;
    loop {
        let result = async {
            let mut tx = db.begin_write().await?;
            let results = apply_batch(&mut tx, db.dialect, clock.now(), events).await?;
            tx.commit().await?;
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

/// The in-memory state of one batch: every scope it touches, loaded once, then changed
/// event by event, and written back at the end.
struct Batch {
    now_ms: i64,
    month: i64,
    window_start: i64,
    companies: HashMap<String, Scope>,
    agents: HashMap<String, Scope>,
    projects: HashMap<String, Scope>,
    /// Keyed events seen so far, by (agent, key).
    keyed: HashMap<(String, String), EventRow>,
    /// Each company's totals over all time, as this batch leaves them.
    totals: HashMap<String, CompanyTotals>,
    prices: PriceBook,
    raised: HashSet<(ScopeType, String, Threshold)>,
    new_events: Vec<EventRow>,
    new_alerts: Vec<AlertRow>,
    deltas: BTreeMap<RollupKey, Metrics>,
    /// Company-wide agent changes, in order: a company stop pauses every active agent.
    sweeps: Vec<(String, Transition)>,
    dirty: BTreeSet<(ScopeType, String)>,
}

async fn apply_batch(
    conn: &mut Conn,
    dialect: Dialect,
    now: DateTime<Utc>,
    events: &[ValidEvent],
) -> AppResult<Vec<AppResult<IngestOutcome>>> {
    let month = month_key(now);
    let unique = |f: fn(&ValidEvent) -> Option<&String>| -> Vec<String> {
        let set: BTreeSet<&String> = events.iter().filter_map(f).collect();
        set.into_iter().cloned().collect()
    };
    let company_ids = unique(|e| Some(&e.company_id));
    entities::lock_companies(conn, dialect, &company_ids).await?;
    // Every scope of the batch and which of its alerts this window has raised: one read.
    let window_start = window::month_start(now).timestamp_millis();
    let agent_ids = unique(|e| Some(&e.agent_id));
    let project_ids = unique(|e| e.project_id.as_ref());
    let (mut companies, mut agents, mut projects) =
        (HashMap::new(), HashMap::new(), HashMap::new());
    let mut raised = HashSet::new();
    let wanted = [
        (ScopeType::Company, company_ids.as_slice()),
        (ScopeType::Agent, agent_ids.as_slice()),
        (ScopeType::Project, project_ids.as_slice()),
    ];
    for found in entities::get_for_batch(conn, &wanted, month, window_start).await? {
        let kind = ScopeType::parse(&found.kind)
            .ok_or_else(|| AppError::internal(format!("bad scope kind {:?}", found.kind)))?;
        let scope = Scope::from_row(kind, found.row)?;
        if found.soft_raised > 0 {
            raised.insert((kind, scope.id.clone(), Threshold::Soft));
        }
        if found.hard_raised > 0 {
            raised.insert((kind, scope.id.clone(), Threshold::Hard));
        }
        let map = match kind {
            ScopeType::Company => &mut companies,
            ScopeType::Agent => &mut agents,
            ScopeType::Project => &mut projects,
        };
        map.insert(scope.id.clone(), scope);
    }

    // Idempotency keys are the agent's own: look them up per (agent, key).
    let mut keyed = HashMap::new();
    let wanted: BTreeSet<(&String, &String)> = events
        .iter()
        .filter_map(|e| Some((&e.agent_id, e.event_key.as_ref()?)))
        .collect();
    if !wanted.is_empty() {
        let agents: BTreeSet<&String> = wanted.iter().map(|(a, _)| *a).collect();
        let keys: BTreeSet<&String> = wanted.iter().map(|(_, k)| *k).collect();
        let agents: Vec<String> = agents.into_iter().cloned().collect();
        let keys: Vec<String> = keys.into_iter().cloned().collect();
        for row in events::find_by_keys(conn, &agents, &keys).await? {
            if let Some(key) = row.event_key.clone()
                && wanted.contains(&(&row.agent_id, &key))
            {
                keyed.insert((row.agent_id.clone(), key), row);
            }
        }
    }
    let totals = rollups::company_totals(conn, &company_ids)
        .await?
        .into_iter()
        .map(|(id, t)| {
            let totals = CompanyTotals {
                cost: MicroCents::new(t.cost_micros),
                input: Tokens::new(t.input_tokens),
                cached_input: Tokens::new(t.cached_input_tokens),
                output: Tokens::new(t.output_tokens),
            };
            (id, totals)
        })
        .collect();
    // The price book is small; read it in the transaction only when some event needs it.
    let prices = if events.iter().any(|e| e.cost_cents.is_none()) {
        PriceBook::load(conn).await?
    } else {
        PriceBook::default()
    };
    let mut batch = Batch {
        now_ms: now.timestamp_millis(),
        month,
        window_start,
        companies,
        agents,
        projects,
        keyed,
        totals,
        prices,
        raised,
        new_events: Vec::new(),
        new_alerts: Vec::new(),
        deltas: BTreeMap::new(),
        sweeps: Vec::new(),
        dirty: BTreeSet::new(),
    };
    let results = events.iter().map(|e| batch.apply(e)).collect();
    batch.write(conn).await?;
    Ok(results)
}

impl Batch {
    fn apply(&mut self, e: &ValidEvent) -> AppResult<IngestOutcome> {
        let company = self
            .companies
            .get(&e.company_id)
            .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        if self
            .agents
            .get(&e.agent_id)
            .is_none_or(|a| a.company_id != company.id)
        {
            return Err(AppError::unresolved(
                "agentId",
                "no agent with this id in this company",
            ));
        }
        if let Some(project_id) = &e.project_id
            && self
                .projects
                .get(project_id)
                .is_none_or(|p| p.company_id != company.id)
        {
            return Err(AppError::unresolved(
                "projectId",
                "no project with this id in this company",
            ));
        }
        if let Some(key) = &e.event_key
            && let Some(first) = self.keyed.get(&(e.agent_id.clone(), key.clone()))
        {
            if first.fingerprint.as_deref() != Some(e.fingerprint.as_str()) {
                return Err(AppError::Conflict(
                    "this idempotency key was already used with a different body".into(),
                ));
            }
            let event = event_model(first)?;
            let enforcement = self.enforcement(
                &event.company_id,
                &event.agent_id,
                event.project_id.as_deref(),
            );
            return Ok(IngestOutcome::Replayed(IngestedEvent {
                event,
                enforcement,
            }));
        }

        let occurred_at = e.occurred_at.unwrap_or(self.now_ms);
        // The adapter's figure wins; else the price in force when the event occurred.
        let (cost_micros, source, price_id) = match e.cost_cents {
            Some(cents) => (cents * MICROS_PER_CENT, CostSource::Reported, None),
            None => match self.prices.find(&e.provider, &e.model, occurred_at) {
                Some(price) => (
                    cost_micros(
                        price,
                        TokenCounts {
                            input: e.input_tokens,
                            cached_input: e.cached_input_tokens,
                            cache_write: e.cache_write_tokens,
                            output: e.output_tokens,
                        },
                    ),
                    CostSource::Computed,
                    Some(price.id.clone()),
                ),
                None => (0, CostSource::Unpriced, None),
            },
        };
        // Refuse before changing anything if any total of the company would leave 64 bits.
        let amounts = EventAmounts {
            cost: MicroCents::new(cost_micros),
            input: Tokens::new(e.input_tokens),
            cached_input: Tokens::new(e.cached_input_tokens),
            output: Tokens::new(e.output_tokens),
        };
        let company_totals = self
            .totals
            .get(&e.company_id)
            .copied()
            .unwrap_or_default()
            .with(&amounts)
            .map_err(|field| {
                let field = match field {
                    Field::InputTokens => "inputTokens",
                    Field::CachedInputTokens => "cachedInputTokens",
                    Field::OutputTokens => "outputTokens",
                    _ => "costCents",
                };
                AppError::unresolved(
                    field,
                    "this event would push the company's totals past what Costline can \
                     count (a signed 64-bit integer); nothing was stored",
                )
            })?;
        self.totals.insert(e.company_id.clone(), company_totals);
        let in_this_month = month_key(window::from_ms(occurred_at)) == self.month;

        let row = EventRow {
            id: Uuid::now_v7().to_string(),
            company_id: e.company_id.clone(),
            agent_id: e.agent_id.clone(),
            project_id: e.project_id.clone(),
            provider: e.provider.clone(),
            model: e.model.clone(),
            input_tokens: e.input_tokens,
            cached_input_tokens: e.cached_input_tokens,
            output_tokens: e.output_tokens,
            cost_micros,
            cost_source: source.as_str().to_owned(),
            occurred_at,
            created_at: self.now_ms,
            event_key: e.event_key.clone(),
            // Only a keyed event can be replayed, so only it needs its request's fingerprint.
            fingerprint: e.event_key.as_ref().map(|_| e.fingerprint.clone()),
            price_id,
            cache_write_tokens: e.cache_write_tokens,
        };
        self.add_to_rollups(&row);
        if in_this_month {
            for scope in [
                self.companies.get_mut(&e.company_id),
                self.agents.get_mut(&e.agent_id),
                e.project_id.as_ref().and_then(|p| self.projects.get_mut(p)),
            ]
            .into_iter()
            .flatten()
            {
                scope.spend_micros += cost_micros;
            }
            self.enforce(&e.company_id, &e.agent_id, e.project_id.as_deref());
        }
        let event = event_model(&row)?;
        if let Some(key) = &row.event_key {
            self.keyed
                .insert((row.agent_id.clone(), key.clone()), row.clone());
        }
        self.new_events.push(row);
        let enforcement = self.enforcement(
            &event.company_id,
            &event.agent_id,
            event.project_id.as_deref(),
        );
        Ok(IngestOutcome::Created(IngestedEvent { event, enforcement }))
    }

    fn add_to_rollups(&mut self, row: &EventRow) {
        let unpriced = row.cost_source == CostSource::Unpriced.as_str();
        let metrics = Metrics {
            cost_micros: row.cost_micros,
            input_tokens: row.input_tokens,
            cached_input_tokens: row.cached_input_tokens,
            output_tokens: row.output_tokens,
            event_count: 1,
            unpriced_count: i64::from(unpriced),
            unpriced_tokens: if unpriced {
                row.input_tokens + row.output_tokens
            } else {
                0
            },
        };
        for key in rollup_keys(row) {
            self.deltas.entry(key).or_default().add(&metrics);
        }
    }

    /// Runs the budget rules over the scopes one event touched.
    fn enforce(&mut self, company_id: &str, agent_id: &str, project_id: Option<&str>) {
        let now = self.now_ms;
        let mut company_over = false;
        if let Some(company) = self.companies.get_mut(company_id) {
            raise_alerts(
                company,
                &mut self.raised,
                &mut self.new_alerts,
                self.window_start,
                now,
            );
            let transition = enforcement::apply_settle(company, false, now);
            company_over = company.over();
            if let Some(t) = transition {
                self.dirty
                    .insert((ScopeType::Company, company_id.to_owned()));
                self.sweeps.push((company_id.to_owned(), t));
                // Agents of this batch follow the company at once, as the sweep will in SQL.
                for agent in self
                    .agents
                    .values_mut()
                    .filter(|a| a.company_id == company_id)
                {
                    let changed = match t {
                        Transition::Pause => {
                            enforcement::apply_settle(agent, true, now) == Some(Transition::Pause)
                        }
                        Transition::Resume => {
                            enforcement::apply_settle(agent, false, now) == Some(Transition::Resume)
                        }
                    };
                    if changed {
                        self.dirty.insert((ScopeType::Agent, agent.id.clone()));
                    }
                }
            }
        }
        if let Some(agent) = self.agents.get_mut(agent_id) {
            raise_alerts(
                agent,
                &mut self.raised,
                &mut self.new_alerts,
                self.window_start,
                now,
            );
            if enforcement::apply_settle(agent, company_over, now).is_some() {
                self.dirty.insert((ScopeType::Agent, agent_id.to_owned()));
            }
        }
        if let Some(project) = project_id.and_then(|p| self.projects.get_mut(p)) {
            raise_alerts(
                project,
                &mut self.raised,
                &mut self.new_alerts,
                self.window_start,
                now,
            );
            if enforcement::apply_settle(project, false, now).is_some() {
                self.dirty.insert((ScopeType::Project, project.id.clone()));
            }
        }
    }

    fn enforcement(
        &self,
        company_id: &str,
        agent_id: &str,
        project_id: Option<&str>,
    ) -> Enforcement {
        let company = self.companies.get(company_id);
        let agent = self.agents.get(agent_id);
        let project = project_id.and_then(|p| self.projects.get(p));
        let levels: Vec<BudgetLevel> = [company, agent, project]
            .into_iter()
            .flatten()
            .map(Scope::level)
            .collect();
        let agent_status = agent.map_or(Status::Paused, |a| a.status);
        Enforcement {
            agent_status,
            agent_utilization_percent: agent.map_or(0.0, Scope::utilization),
            company_status: company.map_or(Status::Paused, |c| c.status),
            company_utilization_percent: company.map_or(0.0, Scope::utilization),
            project_status: project.map(|p| p.status),
            project_utilization_percent: project.map(Scope::utilization),
            soft_alert: levels.iter().any(|l| *l != BudgetLevel::Ok),
            hard_stop: agent_status != Status::Active || levels.contains(&BudgetLevel::HardStop),
        }
    }

    async fn write(self, conn: &mut Conn) -> AppResult<()> {
        events::insert_many(conn, &self.new_events).await?;
        rollups::add(conn, &self.deltas).await?;
        alerts::insert_many(conn, &self.new_alerts).await?;
        for (company_id, transition) in &self.sweeps {
            match transition {
                Transition::Pause => {
                    entities::pause_active_agents(conn, company_id, self.now_ms).await?;
                }
                Transition::Resume => {
                    resume_budget_paused_agents(conn, company_id, self.month, self.now_ms).await?;
                }
            }
        }
        for (kind, id) in &self.dirty {
            let scope = match kind {
                ScopeType::Company => self.companies.get(id),
                ScopeType::Agent => self.agents.get(id),
                ScopeType::Project => self.projects.get(id),
            };
            if let Some(scope) = scope {
                entities::update(conn, *kind, &scope.to_row()).await?;
            }
        }
        Ok(())
    }
}

/// Queues the alerts a scope has reached and not yet raised this window.
fn raise_alerts(
    scope: &Scope,
    raised: &mut HashSet<(ScopeType, String, Threshold)>,
    out: &mut Vec<AlertRow>,
    window_start: i64,
    now_ms: i64,
) {
    for &threshold in enforcement::reached_thresholds(scope) {
        if raised.insert((scope.kind, scope.id.clone(), threshold)) {
            out.push(alert_row(scope, threshold, window_start, now_ms));
        }
    }
}

/// The rollup rows an event counts in: its month per company, agent, project ("" for none)
/// and model, and its day per company.
pub(super) fn rollup_keys(e: &EventRow) -> [RollupKey; 5] {
    let at = window::from_ms(e.occurred_at);
    let (month, day) = (month_key(at), day_key(at));
    [
        RollupKey::CompanyMonth {
            company_id: e.company_id.clone(),
            month,
        },
        RollupKey::AgentMonth {
            agent_id: e.agent_id.clone(),
            month,
            company_id: e.company_id.clone(),
        },
        RollupKey::ProjectMonth {
            company_id: e.company_id.clone(),
            month,
            project_id: e.project_id.clone().unwrap_or_default(),
        },
        RollupKey::ModelMonth {
            company_id: e.company_id.clone(),
            month,
            provider: e.provider.clone(),
            model: e.model.clone(),
        },
        RollupKey::CompanyDay {
            company_id: e.company_id.clone(),
            day,
        },
    ]
}

pub(super) fn event_model(row: &EventRow) -> AppResult<CostEvent> {
    let cost_source = CostSource::parse(&row.cost_source)
        .ok_or_else(|| AppError::internal(format!("bad cost source {:?}", row.cost_source)))?;
    Ok(CostEvent {
        id: row.id.clone(),
        company_id: row.company_id.clone(),
        agent_id: row.agent_id.clone(),
        project_id: row.project_id.clone(),
        provider: row.provider.clone(),
        model: row.model.clone(),
        input_tokens: row.input_tokens,
        cached_input_tokens: row.cached_input_tokens,
        cache_write_tokens: row.cache_write_tokens,
        output_tokens: row.output_tokens,
        cost_cents: micros_to_cents(row.cost_micros),
        cost_micro_cents: row.cost_micros,
        cost_source,
        price_id: row.price_id.clone(),
        occurred_at: window::from_ms(row.occurred_at),
        created_at: window::from_ms(row.created_at),
        event_key: row.event_key.clone(),
    })
}
