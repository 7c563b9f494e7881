//! The budget rules, each in one place. Ingest, budget changes, repricing and the month
//! rollover all decide through [`settle`]; the dashboard draws its marks from the same
//! constants and [`BudgetLevel`].
//!
//! - 80% of a monthly budget: one soft alert per scope and month.
//! - 100%: one hard alert, and the scope pauses (`pause_reason: budget`). A company's hard
//!   stop also pauses its agents: an agent is blocked by its own budget or its company's.
//!   Projects answer only to their own budget.
//! - A scope paused for budget resumes as soon as nothing blocks it any more (a budget
//!   raised or removed, a new month). A manual pause is only lifted by hand, and lifting it
//!   by hand while still blocked is refused.
//! - A budget of 0 means no budget: no alerts, no stop.
//! - A month extension adds room to a budget for one month only: every rule above reads
//!   the effective budget ([`effective_budget`]); on the 1st the plain budget applies again.
//! - From the 5th, a scope whose month-end projection (`domain::forecast`) reaches 100% while
//!   its spend is under 80% raises one forecast alert per month. It pauses nothing.
//! - The runaway guard (`domain::guard`): when the trailing hour's spend reaches
//!   `max_hourly`, an active scope pauses (`pause_reason: rate`) with one rate alert, budget
//!   or no budget. Only a manager lifts it (and re-arms the guard). A company paused by its
//!   guard blocks its agents as its hard stop does.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    forecast::{self, Forecast},
    guard,
    money::{Cents, MicroCents},
    scope::{PauseReason, Scope, ScopeType, Status, words},
    time::{Day, Month},
};

/// The soft alert, in percent of the budget.
pub const SOFT_PERCENT: i64 = 80;
/// The hard stop, in percent of the budget.
pub const HARD_PERCENT: i64 = 100;

/// The budget a month's rules apply: `budget` plus that month's `extension`. A scope without
/// a budget has none to extend (an extension alone never makes one).
pub fn effective_budget(budget: Cents, extension: Cents) -> Cents {
    if budget.get() <= 0 {
        return budget;
    }
    Cents::new(budget.get().saturating_add(extension.get().max(0)))
}

/// Where a scope stands against its monthly budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BudgetLevel {
    Ok,
    Warning,
    HardStop,
}

impl BudgetLevel {
    /// Soft alert at [`SOFT_PERCENT`] of the budget, hard stop at [`HARD_PERCENT`]; exact
    /// integer comparison. A budget of 0 means none.
    pub fn of(spend: MicroCents, budget: Cents) -> Self {
        if budget.get() <= 0 {
            return Self::Ok;
        }
        let spend = i128::from(spend.get()) * 100;
        let budget = budget.wide_micros();
        if spend >= budget * i128::from(HARD_PERCENT) {
            Self::HardStop
        } else if spend >= budget * i128::from(SOFT_PERCENT) {
            Self::Warning
        } else {
            Self::Ok
        }
    }

    /// The level of a utilization already computed as a percentage (for display).
    pub fn of_percent(percent: f64) -> Self {
        if percent >= HARD_PERCENT as f64 {
            Self::HardStop
        } else if percent >= SOFT_PERCENT as f64 {
            Self::Warning
        } else {
            Self::Ok
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::HardStop => "hard_stop",
        }
    }
}

words!(
    /// Which mark an alert is about.
    Threshold { Soft = "soft", Hard = "hard", Forecast = "forecast", Rate = "rate" }
);

impl Threshold {
    /// The alerts raised once per month; a rate alert is raised once per hour.
    pub const MONTHLY: &'static [Self] = &[Self::Soft, Self::Hard, Self::Forecast];

    /// The start of the window in which an alert of this kind is raised once.
    pub fn window_start(self, month: Month, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Rate => guard::hour_start(now),
            _ => month.start(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Pause,
    Resume,
}

/// An alert the rules raise: `scope` reached `threshold` with `observed` spent. For a
/// forecast alert `observed` is the projected month-end spend; for a rate alert `budget`
/// is the hourly limit and `observed` the trailing hour's spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub scope_type: ScopeType,
    pub scope_id: String,
    pub company_id: String,
    pub threshold: Threshold,
    pub budget: Cents,
    pub observed: MicroCents,
}

/// The alerts already raised this month, so each is raised once.
pub type Raised = HashSet<(ScopeType, String, Threshold)>;

/// What [`settle`] decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settlement {
    pub alerts: Vec<Alert>,
    /// The scopes whose state changed, with how.
    pub changes: Vec<(ScopeType, String, Transition)>,
    /// The company's own change. When it paused or resumed, every agent of the company
    /// must be settled: the caller passes the ones it did not pass yet.
    pub company: Option<Transition>,
}

impl Settlement {
    /// Adds what another settlement decided.
    pub fn merge(&mut self, other: Settlement) {
        self.alerts.extend(other.alerts);
        self.changes.extend(other.changes);
        self.company = self.company.or(other.company);
    }
}

/// Does the company stop its agents: over its budget, or paused by its runaway guard?
pub fn company_blocks(company: &Scope) -> bool {
    company.over() || company.rate_paused()
}

/// Is this scope blocked by a budget? An agent is blocked by its own or its company's
/// (`company_over`: [`company_blocks`]).
fn blocked(scope: &Scope, company_over: bool) -> bool {
    scope.over() || (scope.kind == ScopeType::Agent && company_over)
}

/// The budget transition a scope owes in its current state, if any. Idempotent.
fn owed(scope: &Scope, company_over: bool) -> Option<Transition> {
    let blocked = blocked(scope, company_over);
    match (scope.status, scope.pause_reason) {
        (Status::Active, _) if blocked => Some(Transition::Pause),
        (Status::Paused, Some(PauseReason::Budget)) if !blocked => Some(Transition::Resume),
        _ => None,
    }
}

/// The alerts a scope has reached, in the order they are crossed.
fn reached(scope: &Scope) -> &'static [Threshold] {
    match scope.level() {
        BudgetLevel::Ok => &[],
        BudgetLevel::Warning => &[Threshold::Soft],
        BudgetLevel::HardStop => &[Threshold::Soft, Threshold::Hard],
    }
}

fn alert(scope: &Scope, threshold: Threshold, budget: Cents, observed: MicroCents) -> Alert {
    Alert {
        scope_type: scope.kind,
        scope_id: scope.id.clone(),
        company_id: scope.company_id.clone(),
        threshold,
        budget,
        observed,
    }
}

/// The forecast alert a scope has reached on `now`'s day, with its projection.
fn forecast_reached(scope: &Scope, now: DateTime<Utc>) -> Option<MicroCents> {
    let today = Day::of(now);
    if today.day_of_month() < forecast::ALERT_FROM_DAY || scope.level() != BudgetLevel::Ok {
        return None;
    }
    let budget = scope.effective_budget();
    let f = Forecast::of(today, scope.spend, scope.window_spend, budget);
    f.reaches(budget).then_some(f.projected_month_end)
}

/// The runaway guard, then alerts, then the owed budget transition, for one scope.
fn settle_one(
    scope: &mut Scope,
    company_over: bool,
    raised: &mut Raised,
    now: DateTime<Utc>,
) -> Settlement {
    let mut out = Settlement::default();
    if scope.status == Status::Active && guard::trips(scope.max_hourly, scope.hour_spend) {
        scope.pause(PauseReason::Rate, now);
        out.changes
            .push((scope.kind, scope.id.clone(), Transition::Pause));
        if raised.insert((scope.kind, scope.id.clone(), Threshold::Rate)) {
            let a = alert(scope, Threshold::Rate, scope.max_hourly, scope.hour_spend);
            out.alerts.push(a);
        }
    }
    for &threshold in reached(scope) {
        if raised.insert((scope.kind, scope.id.clone(), threshold)) {
            out.alerts.push(alert(
                scope,
                threshold,
                scope.effective_budget(),
                scope.spend,
            ));
        }
    }
    if let Some(projected) = forecast_reached(scope, now)
        && raised.insert((scope.kind, scope.id.clone(), Threshold::Forecast))
    {
        out.alerts.push(alert(
            scope,
            Threshold::Forecast,
            scope.effective_budget(),
            projected,
        ));
    }
    if let Some(transition) = owed(scope, company_over) {
        match transition {
            Transition::Pause => scope.pause(PauseReason::Budget, now),
            Transition::Resume => scope.resume(now),
        }
        out.changes.push((scope.kind, scope.id.clone(), transition));
    }
    out
}

/// The one rule for a company, its agents and its projects: raises the alerts each has
/// reached (and that `raised` does not hold yet), pauses what a budget blocks, resumes what
/// a budget no longer blocks, the company first. `members` are the agents and projects of
/// this company whose inputs may have changed; when the company itself pauses or resumes,
/// [`Settlement::company`] says so and every agent must be settled (the caller passes the
/// others to [`settle_members`]). Idempotent: settling twice changes nothing.
pub fn settle(
    company: &mut Scope,
    members: &mut [&mut Scope],
    raised: &mut Raised,
    now: DateTime<Utc>,
) -> Settlement {
    let mut out = settle_one(company, false, raised, now);
    out.company = out
        .changes
        .iter()
        .find(|(kind, _, _)| *kind == ScopeType::Company)
        .map(|(_, _, t)| *t);
    out.merge(settle_members(company, members, raised, now));
    out
}

/// The agents and projects of `company` against their own budgets and (agents) the
/// company's, as it stands.
pub fn settle_members(
    company: &Scope,
    members: &mut [&mut Scope],
    raised: &mut Raised,
    now: DateTime<Utc>,
) -> Settlement {
    let company_over = company_blocks(company);
    let mut out = Settlement::default();
    for member in members.iter_mut() {
        out.merge(settle_one(member, company_over, raised, now));
    }
    out
}

/// Why a manager's status change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRefusal {
    /// A terminated agent never changes again.
    Terminated,
    /// Only `active` and `paused` can be set by hand.
    NotSettable,
    /// The scope is still over its own budget: raise the budget to resume it.
    OverBudget,
    /// The agent's company is over its budget or paused by its runaway guard.
    CompanyOverBudget,
}

/// A manager sets a scope's status by hand. Pausing always works (and makes the pause
/// manual); resuming is refused while a budget still blocks the scope, and re-arms the
/// runaway guard (`company_over`: [`company_blocks`]).
pub fn set_status_by_hand(
    scope: &mut Scope,
    wanted: Status,
    company_over: bool,
    now: DateTime<Utc>,
) -> Result<(), StatusRefusal> {
    match (scope.status, wanted) {
        (Status::Terminated, _) => Err(StatusRefusal::Terminated),
        (_, Status::Terminated) => Err(StatusRefusal::NotSettable),
        (_, Status::Paused) => {
            if scope.status != Status::Paused || scope.pause_reason != Some(PauseReason::Manual) {
                scope.pause(PauseReason::Manual, now);
            }
            Ok(())
        }
        (Status::Active, Status::Active) => Ok(()),
        (Status::Paused, Status::Active) => {
            if scope.over() {
                return Err(StatusRefusal::OverBudget);
            }
            if blocked(scope, company_over) {
                return Err(StatusRefusal::CompanyOverBudget);
            }
            scope.resume(now);
            scope.rearm(now);
            Ok(())
        }
    }
}

/// A manager terminates an agent: final, whatever its budget; it never runs or spends
/// again. Only agents end this way, and only once.
pub fn terminate(scope: &mut Scope, now: DateTime<Utc>) -> Result<(), StatusRefusal> {
    match (scope.kind, scope.status) {
        (_, Status::Terminated) => Err(StatusRefusal::Terminated),
        (ScopeType::Agent, _) => {
            scope.status = Status::Terminated;
            scope.pause_reason = None;
            scope.paused_at = None;
            scope.updated_at = now;
            Ok(())
        }
        _ => Err(StatusRefusal::NotSettable),
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
