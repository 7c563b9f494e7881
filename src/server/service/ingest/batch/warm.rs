//! Reading a batch's scopes, and what the SQLite committer keeps of them between batches.
//!
//! On SQLite the committer is the one writer of events, and the scopes as its last batch
//! left them (spend, status, the alerts raised, the guard's minute buckets, the company's
//! totals) are what the database holds, until somebody else writes. So the next batch
//! starts from them instead of reading them again, unless, checked right after its `BEGIN`:
//! - another write transaction of this process began, or the writer connection was opened
//!   again, since the last batch's `BEGIN` ([`WriteTx::generation`]);
//! - another process committed to the file: `PRAGMA data_version` moved on the connection;
//! - the day changed (the forecast's window moves) or the clock went back;
//! - the last batch paused or resumed a company, which reaches agents it did not hold, or
//!   failed.
//!
//! Any of these, and the batch reads every scope it names again.
//!
//! [`WriteTx::generation`]: crate::server::store::WriteTx::generation

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Batch;
use crate::{
    domain::{
        budget::Threshold,
        guard,
        ledger::CompanyTotals,
        money::MicroCents,
        scope::{Scope, ScopeType},
        time::Day,
    },
    server::{
        error::{AppError, AppResult},
        store::{Conn, Generation, entities, pace, rollups},
    },
};

/// Most scopes kept; past it the next batch reads everything again.
const MAX_KEPT: usize = 20_000;

/// A scope's minute buckets for the runaway guard, by scope.
pub(super) type Minutes = HashMap<(ScopeType, String), Vec<(i64, MicroCents)>>;

/// What the last batches left of the scopes they touched (see the module's text).
#[derive(Debug, Default)]
pub(crate) struct Warm {
    /// The last batch's [`WriteTx::generation`](crate::server::store::WriteTx::generation).
    generation: Option<u64>,
    /// `PRAGMA data_version` on the writer connection at the last batch.
    version: Option<i64>,
    /// When the last batch ran.
    at: Option<DateTime<Utc>>,
    scopes: HashMap<(ScopeType, String), Kept>,
    totals: HashMap<String, CompanyTotals>,
}

#[derive(Debug)]
struct Kept {
    scope: Scope,
    raised: Vec<Threshold>,
    /// The buckets of the trailing hour as the batch left them.
    minutes: Vec<(i64, MicroCents)>,
}

impl Warm {
    /// What still holds at `now`, in a write transaction begun at `generation`:
    /// everything, or nothing if anything may have moved.
    pub(super) fn checked(mut self, now: DateTime<Utc>, generation: Generation) -> Self {
        let same_day = self
            .at
            .is_some_and(|at| at <= now && Day::of(at) == Day::of(now));
        let alone = self
            .generation
            .is_some_and(|g| g.checked_add(1) == Some(generation.local));
        if !alone || generation.file.is_none() || self.version != generation.file || !same_day {
            self.forget();
        }
        self.generation = Some(generation.local);
        self.version = generation.file;
        self.at = Some(now);
        self
    }

    fn forget(&mut self) {
        self.scopes.clear();
        self.totals.clear();
    }

    /// The state `batch` leaves, to be kept once its transaction commits. `minutes` are the
    /// guard's buckets of the batch's scopes before it.
    pub(super) fn after(mut self, batch: &Batch, mut minutes: Minutes) -> Self {
        if !batch.cascades.is_empty() || self.scopes.len() > MAX_KEPT {
            self.forget();
            return self;
        }
        let trailing = guard::minute_of(batch.now) - (guard::WINDOW_MINUTES - 1);
        for ((_, kind, id, minute), cost) in &batch.minute_deltas {
            let rows = minutes.entry((*kind, id.clone())).or_default();
            match rows.iter_mut().find(|(m, _)| m == minute) {
                Some((_, sum)) => match sum.checked_add(*cost) {
                    Ok(total) => *sum = total,
                    Err(_) => {
                        self.forget();
                        return self;
                    }
                },
                None => rows.push((*minute, *cost)),
            }
        }
        let scopes = batch
            .companies
            .values()
            .chain(batch.agents.values())
            .chain(batch.projects.values());
        for scope in scopes {
            let key = (scope.kind, scope.id.clone());
            let mut kept_minutes = minutes.remove(&key).unwrap_or_default();
            // Buckets before the trailing hour never count again: the clock only moves on.
            kept_minutes.retain(|(m, _)| *m >= trailing);
            let kept = Kept {
                scope: scope.clone(),
                raised: Vec::new(),
                minutes: kept_minutes,
            };
            self.scopes.insert(key, kept);
        }
        for (kind, id, threshold) in &batch.raised {
            if let Some(kept) = self.scopes.get_mut(&(*kind, id.clone()))
                && !kept.raised.contains(threshold)
            {
                kept.raised.push(*threshold);
            }
        }
        for (company, totals) in &batch.totals {
            self.totals.insert(company.clone(), *totals);
        }
        self
    }
}

impl Batch {
    /// Puts every scope `wanted` names into the batch, with the alerts of the month they
    /// raised, what the guard and the forecast count of them now, and their companies'
    /// totals: from `warm` where it has them, the rest from the database. With `warm`,
    /// answers the guard's minute buckets of each scope (for [`Warm::after`]).
    pub(super) async fn load_scopes(
        &mut self,
        conn: &mut Conn,
        company_ids: &[String],
        wanted: &[(ScopeType, &[String])],
        warm: Option<&Warm>,
    ) -> AppResult<Minutes> {
        let now = self.now;
        let month = self
            .month
            .ok_or_else(|| AppError::internal("a batch without a month"))?;
        let mut minutes = Minutes::new();
        let mut missing: Vec<(ScopeType, Vec<String>)> = Vec::with_capacity(wanted.len());
        for (kind, ids) in wanted {
            let mut not_kept = Vec::new();
            for id in *ids {
                match warm.and_then(|w| w.scopes.get(&(*kind, id.clone()))) {
                    Some(kept) => {
                        let mut scope = kept.scope.clone();
                        pace::fill_guard(&mut scope, &kept.minutes, now);
                        for threshold in &kept.raised {
                            self.raised.insert((*kind, id.clone(), *threshold));
                        }
                        minutes.insert((*kind, id.clone()), kept.minutes.clone());
                        self.scopes_of(*kind).insert(id.clone(), scope);
                    }
                    None => not_kept.push(id.clone()),
                }
            }
            missing.push((*kind, not_kept));
        }
        let missing: Vec<(ScopeType, &[String])> = missing
            .iter()
            .map(|(kind, ids)| (*kind, ids.as_slice()))
            .collect();
        if missing.iter().any(|(_, ids)| !ids.is_empty()) {
            let found_all = entities::get_for_batch(conn, &missing, month).await?;
            // What the guard and the forecast count so far.
            let pace = pace::load(conn, company_ids, Some(&missing), now).await?;
            for found in found_all {
                for threshold in found.raised {
                    self.raised
                        .insert((found.scope.kind, found.scope.id.clone(), threshold));
                }
                let mut scope = found.scope;
                let key = (scope.kind, scope.id.clone());
                pace.fill(&mut scope, now);
                if warm.is_some() {
                    minutes.insert(key, pace.minutes_of(scope.kind, &scope.id).to_vec());
                }
                self.scopes_of(scope.kind).insert(scope.id.clone(), scope);
            }
        }
        let unknown: Vec<String> = company_ids
            .iter()
            .filter(|id| warm.is_none_or(|w| !w.totals.contains_key(*id)))
            .cloned()
            .collect();
        if let Some(warm) = warm {
            for id in company_ids {
                if let Some(totals) = warm.totals.get(id) {
                    self.totals.insert(id.clone(), *totals);
                }
            }
        }
        if !unknown.is_empty() {
            self.totals
                .extend(rollups::company_totals(conn, &unknown).await?);
        }
        Ok(minutes)
    }

    fn scopes_of(&mut self, kind: ScopeType) -> &mut HashMap<String, Scope> {
        match kind {
            ScopeType::Company => &mut self.companies,
            ScopeType::Agent => &mut self.agents,
            ScopeType::Project => &mut self.projects,
        }
    }
}

#[cfg(test)]
#[path = "warm_tests.rs"]
mod tests;
