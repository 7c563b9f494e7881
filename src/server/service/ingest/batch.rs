//! One transaction's worth of events: every scope they touch is read once, changed event by
//! event in memory, in arrival order (so sums are exact and each budget crossing happens
//! once), and written back at the end. Across processes (PostgreSQL) the company rows are
//! locked first, in id order, so writers of one company take turns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

mod bookkeeping;
mod warm;
mod write;

pub(crate) use warm::Warm;

use super::{IngestOutcome, QueuedEvent};
use crate::{
    domain::{
        Field,
        budget::{self, BudgetLevel, Raised, Settlement},
        event::{CostSource, RecordedEvent},
        hold::{Hold, HoldOutcome},
        ledger::{CompanyTotals, EventAmounts},
        money::MicroCents,
        pricing::{self, CostRefused, PriceBook},
        rollup::{self, EventPlace, Metrics, RollupKey},
        scope::{Scope, ScopeType, Status},
        time::{Day, Month},
    },
    model::{Enforcement, IngestedEvent},
    server::{
        error::{AppError, AppResult},
        service::{prices::load_book_for, views},
        store::{Conn, Dialect, Generation, Sql, events, holds, pace::Buckets},
    },
};

/// Applies `events` in one transaction, whose companies' rows the caller has locked on
/// PostgreSQL (`entities::lock_companies`; SQLite's `BEGIN IMMEDIATE` already excludes
/// every other writer); answers one result per event, in order. With
/// `warm` (the SQLite committer's, see [`warm`]) and the write generation the transaction
/// began at, starts from the scopes it kept where they still hold, and answers what to keep
/// once the transaction commits. Also answers the statements to run last, with the commit
/// ([`Batch::write`]).
pub(super) async fn apply(
    conn: &mut Conn,
    dialect: Dialect,
    now: DateTime<Utc>,
    events: &[QueuedEvent],
    warm: Option<(Warm, Generation)>,
) -> AppResult<Applied> {
    let month = Month::of(now);
    let unique = |f: fn(&QueuedEvent) -> Option<&String>| -> Vec<String> {
        let set: BTreeSet<&String> = events.iter().filter_map(f).collect();
        set.into_iter().cloned().collect()
    };
    let company_ids = unique(|e| Some(&e.event.company_id));
    let warm = warm.map(|(warm, generation)| warm.checked(now, generation));
    // Every scope of the batch, which of its alerts this month has raised, and what the
    // guard and the forecast count of it.
    let agent_ids = unique(|e| Some(&e.event.agent_id));
    let project_ids = unique(|e| e.event.project_id.as_ref());
    let wanted = [
        (ScopeType::Company, company_ids.as_slice()),
        (ScopeType::Agent, agent_ids.as_slice()),
        (ScopeType::Project, project_ids.as_slice()),
    ];
    let mut batch = Batch::new(now, month);
    let minutes = batch
        .load_scopes(conn, &company_ids, &wanted, warm.as_ref())
        .await?;

    // Idempotency keys are the agent's own: look them up per (agent, key).
    let wanted_keys: BTreeSet<(&String, &String)> = events
        .iter()
        .filter_map(|e| Some((&e.event.agent_id, e.event.event_key.as_ref()?)))
        .collect();
    if !wanted_keys.is_empty() {
        let agents: BTreeSet<&String> = wanted_keys.iter().map(|(a, _)| *a).collect();
        let keys: BTreeSet<&String> = wanted_keys.iter().map(|(_, k)| *k).collect();
        let agents: Vec<String> = agents.into_iter().cloned().collect();
        let keys: Vec<String> = keys.into_iter().cloned().collect();
        for found in events::find_by_keys(conn, &agents, &keys).await? {
            if let Some(key) = found.event_key.clone()
                && wanted_keys.contains(&(&found.agent_id, &key))
            {
                batch.keyed.insert((found.agent_id.clone(), key), found);
            }
        }
    }
    // Only the prices that can match an event without a cost, read in the transaction.
    let unpriced = events.iter().filter(|e| e.event.cost.is_none());
    batch.prices = load_book_for(
        conn,
        unpriced.map(|e| (e.event.provider.as_str(), e.event.model.as_str())),
    )
    .await?;
    let hold_ids = unique(|e| e.event.hold_id.as_ref());
    for hold in holds::get_many(conn, &hold_ids).await? {
        batch.holds.insert(hold.id.clone(), hold);
    }
    let results = events.iter().map(|e| batch.apply(e)).collect();
    let warm = warm.map(|warm| warm.after(&batch, minutes));
    let last = batch.write(conn, dialect).await?;
    Ok(Applied {
        results,
        warm,
        last,
    })
}

/// What [`apply`] answers.
pub(super) struct Applied {
    /// One result per event, in order.
    pub results: Vec<AppResult<IngestOutcome>>,
    /// What the SQLite committer keeps once the transaction commits.
    pub warm: Option<Warm>,
    /// Statements still to run before the commit, with it.
    pub last: Vec<Sql>,
}

/// The in-memory state of one batch.
#[derive(Default)]
struct Batch {
    now: DateTime<Utc>,
    month: Option<Month>,
    companies: HashMap<String, Scope>,
    agents: HashMap<String, Scope>,
    projects: HashMap<String, Scope>,
    /// Keyed events seen so far, by (agent, key).
    keyed: HashMap<(String, String), RecordedEvent>,
    /// Each company's totals over all time, as this batch leaves them.
    totals: HashMap<String, CompanyTotals>,
    prices: PriceBook,
    raised: Raised,
    new_events: Vec<RecordedEvent>,
    /// Everything the budget rule decided in this batch.
    settled: Settlement,
    deltas: BTreeMap<RollupKey, Metrics>,
    /// Spend per scope and day (the forecast) and per guarded scope and minute (the guard).
    day_deltas: Buckets,
    minute_deltas: Buckets,
    /// Companies that paused or resumed: all their agents are settled before the commit.
    cascades: BTreeSet<String>,
    /// The holds the batch's events name, and the ids of those they settled.
    holds: HashMap<String, Hold>,
    settled_holds: BTreeSet<String>,
}

impl Batch {
    fn new(now: DateTime<Utc>, month: Month) -> Self {
        Self {
            now,
            month: Some(month),
            ..Self::default()
        }
    }

    fn apply(&mut self, queued: &QueuedEvent) -> AppResult<IngestOutcome> {
        let e = &queued.event;
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
                Field::Agent,
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
                Field::Project,
                "no project with this id in this company",
            ));
        }
        if let Some(key) = &e.event_key
            && let Some(first) = self.keyed.get(&(e.agent_id.clone(), key.clone()))
        {
            if first.fingerprint.is_none() || first.fingerprint != queued.fingerprint {
                return Err(AppError::Conflict(
                    "this idempotency key was already used with a different body".into(),
                ));
            }
            let enforcement = self.enforcement(
                &first.company_id,
                &first.agent_id,
                first.project_id.as_deref(),
            );
            // What the first event did to its hold, changing nothing now.
            let hold = e.hold_id.as_ref().map(|id| {
                self.holds
                    .get(id)
                    .cloned()
                    .map_or(HoldOutcome::Unknown, |mut h| {
                        h.settle_by(&first.company_id, &first.agent_id, &first.id, self.now)
                    })
            });
            return Ok(IngestOutcome::Replayed(IngestedEvent {
                event: views::event(first.clone()),
                enforcement,
                hold,
            }));
        }

        let occurred_at = e.occurred_at.unwrap_or(self.now);
        let (cost, source, price_id) = self.cost_of(e, occurred_at)?;
        // Refuse before changing anything if any total of the company would leave 64 bits.
        let amounts = EventAmounts {
            cost,
            input: e.tokens.input,
            cached_input: e.tokens.cached_input,
            output: e.tokens.output,
        };
        let totals = self
            .totals
            .get(&e.company_id)
            .copied()
            .unwrap_or_default()
            .with(&amounts)
            .map_err(|field| {
                AppError::unresolved(
                    field,
                    "this event would push the company's totals past what Costline can \
                     count (a signed 64-bit integer); nothing was stored",
                )
            })?;
        self.totals.insert(e.company_id.clone(), totals);

        let record = RecordedEvent {
            id: Uuid::now_v7().to_string(),
            company_id: e.company_id.clone(),
            agent_id: e.agent_id.clone(),
            project_id: e.project_id.clone(),
            provider: e.provider.clone(),
            model: e.model.clone(),
            tokens: e.tokens,
            cost,
            source,
            price_id,
            occurred_at,
            created_at: self.now,
            event_key: e.event_key.clone(),
            // Only a keyed event can be replayed, so only it has its request's fingerprint.
            fingerprint: queued.fingerprint.clone(),
        };
        // Every rollup of the company is bounded by its totals, checked above.
        let metrics = Metrics::of_event(cost, record.tokens, source)
            .map_err(|_| AppError::unresolved(Field::OutputTokens, "too many tokens"))?;
        let place = EventPlace {
            company_id: &record.company_id,
            agent_id: &record.agent_id,
            project_id: record.project_id.as_deref(),
            provider: &record.provider,
            model: &record.model,
            month: Month::of(occurred_at),
            day: Day::of(occurred_at),
        };
        for key in rollup::keys_of(&place) {
            let sum = self.deltas.entry(key).or_default();
            *sum = sum
                .checked_add(&metrics)
                .map_err(|_| AppError::internal("a rollup delta overflowed within its bound"))?;
        }
        self.pace(&record)?;
        if Some(Month::of(occurred_at)) == self.month {
            self.spend_and_settle(
                e.company_id.as_str(),
                &e.agent_id,
                e.project_id.as_deref(),
                cost,
            )?;
        }
        if let Some(key) = &record.event_key {
            self.keyed
                .insert((record.agent_id.clone(), key.clone()), record.clone());
        }
        let enforcement = self.enforcement(
            &record.company_id,
            &record.agent_id,
            record.project_id.as_deref(),
        );
        let hold = e.hold_id.as_ref().map(|id| self.settle_hold(id, &record));
        self.new_events.push(record.clone());
        Ok(IngestOutcome::Created(IngestedEvent {
            event: views::event(record),
            enforcement,
            hold,
        }))
    }

    /// The adapter's figure wins; else the price in force when the event occurred; else 0,
    /// unpriced. A computed cost past the cap is refused, naming the token field that
    /// contributes most.
    fn cost_of(
        &self,
        e: &crate::domain::event::ValidEvent,
        occurred_at: DateTime<Utc>,
    ) -> AppResult<(MicroCents, CostSource, Option<String>)> {
        if let Some(reported) = e.reported_cost() {
            return Ok((reported, CostSource::Reported, None));
        }
        let Some(price) = self.prices.find(&e.provider, &e.model, occurred_at) else {
            return Ok((MicroCents::ZERO, CostSource::Unpriced, None));
        };
        let cost = pricing::cost(price, &e.tokens)
            .map_err(|r| AppError::unresolved(r.field, CostRefused::MESSAGE))?;
        Ok((cost, CostSource::Computed, Some(price.id.clone())))
    }

    /// Adds this month's cost to the event's scopes and runs the budget rule over them.
    fn spend_and_settle(
        &mut self,
        company_id: &str,
        agent_id: &str,
        project_id: Option<&str>,
        cost: MicroCents,
    ) -> AppResult<()> {
        let overflow = |_| AppError::internal("a month total overflowed within its bound");
        let company = self
            .companies
            .get_mut(company_id)
            .ok_or_else(|| AppError::internal("the company vanished from the batch"))?;
        company.spend = company.spend.checked_add(cost).map_err(overflow)?;
        let mut members: Vec<&mut Scope> = Vec::with_capacity(2);
        if let Some(agent) = self.agents.get_mut(agent_id) {
            agent.spend = agent.spend.checked_add(cost).map_err(overflow)?;
            members.push(agent);
        }
        if let Some(project) = project_id.and_then(|p| self.projects.get_mut(p)) {
            project.spend = project.spend.checked_add(cost).map_err(overflow)?;
            members.push(project);
        }
        let settlement = budget::settle(company, &mut members, &mut self.raised, self.now);
        let company_changed = settlement.company.is_some();
        self.settled.merge(settlement);
        if company_changed {
            // The company paused or resumed: the agents of this batch follow at once, the
            // others before the commit.
            self.cascades.insert(company_id.to_owned());
            let mut others: Vec<&mut Scope> = self
                .agents
                .values_mut()
                .filter(|a| a.company_id == company_id && a.id != agent_id)
                .collect();
            let settled = budget::settle_members(company, &mut others, &mut self.raised, self.now);
            self.settled.merge(settled);
        }
        Ok(())
    }

    /// The event settles the hold it names, if that still counts (a cost is a fact: the
    /// event is stored whatever became of its hold).
    fn settle_hold(&mut self, hold_id: &str, record: &RecordedEvent) -> HoldOutcome {
        let Some(hold) = self.holds.get_mut(hold_id) else {
            return HoldOutcome::Unknown;
        };
        let before = hold.status;
        let outcome = hold.settle_by(&record.company_id, &record.agent_id, &record.id, self.now);
        if hold.status != before {
            self.settled_holds.insert(hold_id.to_owned());
        }
        outcome
    }

    /// What an adapter learns from this event: may its agent keep working?
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
            // A project paused by its guard stops the events that name it, as its budget does.
            hard_stop: agent_status != Status::Active
                || levels.contains(&BudgetLevel::HardStop)
                || project.is_some_and(Scope::rate_paused),
        }
    }
}
