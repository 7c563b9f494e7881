//! The forecast's and the guard's bookkeeping of one batch: per-scope day and minute
//! buckets, and the spend the rules count, updated event by event in memory.

use super::Batch;
use crate::{
    domain::{event::RecordedEvent, forecast, guard, scope::ScopeType, time::Day},
    server::error::{AppError, AppResult},
};

impl Batch {
    /// Adds the event's cost to its scopes' day buckets, and, for guarded scopes, to their
    /// minute buckets and the spend their guard counts; and to the forecast window's spend
    /// when the event occurred on one of its days.
    pub(super) fn pace(&mut self, record: &RecordedEvent) -> AppResult<()> {
        let overflow = |_| AppError::internal("a pace bucket overflowed within its bound");
        let (at, cost, now) = (record.occurred_at, record.cost, self.now);
        let day = Day::of(at);
        let (first_day, count) = forecast::window(Day::of(now));
        let in_window = day >= first_day && day.number() < first_day.number() + count;
        let minute = guard::minute_of(at);
        let recent = minute > guard::minute_of(now) - guard::WINDOW_MINUTES;
        let project = record.project_id.clone().unwrap_or_default();
        let scopes = [
            (ScopeType::Company, record.company_id.clone()),
            (ScopeType::Agent, record.agent_id.clone()),
            (ScopeType::Project, project),
        ];
        for (kind, id) in scopes {
            let key = |n: i64| (record.company_id.clone(), kind, id.clone(), n);
            let sum = self.day_deltas.entry(key(day.number())).or_default();
            *sum = sum.checked_add(cost).map_err(overflow)?;
            let scope = match kind {
                ScopeType::Company => self.companies.get_mut(&id),
                ScopeType::Agent => self.agents.get_mut(&id),
                ScopeType::Project => self.projects.get_mut(&id),
            };
            let Some(scope) = scope else { continue };
            if in_window {
                scope.window_spend = scope.window_spend.checked_add(cost).map_err(overflow)?;
            }
            if scope.max_hourly.get() > 0 && recent {
                let sum = self.minute_deltas.entry(key(minute)).or_default();
                *sum = sum.checked_add(cost).map_err(overflow)?;
                if guard::counts(at, now, scope.armed_at) {
                    scope.hour_spend = scope.hour_spend.checked_add(cost).map_err(overflow)?;
                }
            }
        }
        Ok(())
    }
}
