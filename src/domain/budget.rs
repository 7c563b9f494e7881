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

/// Where a scope stands against its monthly budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    let f = Forecast::of(today, scope.spend, scope.window_spend, scope.budget);
    f.reaches(scope.budget).then_some(f.projected_month_end)
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
            out.alerts
                .push(alert(scope, threshold, scope.budget, scope.spend));
        }
    }
    if let Some(projected) = forecast_reached(scope, now)
        && raised.insert((scope.kind, scope.id.clone(), Threshold::Forecast))
    {
        out.alerts
            .push(alert(scope, Threshold::Forecast, scope.budget, projected));
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

#[cfg(test)]
mod tests {
    use super::*;

    const C: i64 = MicroCents::PER_CENT;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn scope(kind: ScopeType, id: &str, budget: i64, spend_cents: i64) -> Scope {
        let mut s = Scope::new(
            kind,
            id.into(),
            "c".into(),
            id.into(),
            Cents::new(budget),
            now(),
        );
        s.spend = MicroCents::new(spend_cents * C);
        s
    }

    #[test]
    fn levels_at_the_exact_thresholds() {
        let level =
            |spend: i64, budget: i64| BudgetLevel::of(MicroCents::new(spend), Cents::new(budget));
        assert_eq!(level(79 * C, 100), BudgetLevel::Ok);
        assert_eq!(level(80 * C - 1, 100), BudgetLevel::Ok);
        assert_eq!(level(80 * C, 100), BudgetLevel::Warning);
        assert_eq!(level(100 * C - 1, 100), BudgetLevel::Warning);
        assert_eq!(level(100 * C, 100), BudgetLevel::HardStop);
        assert_eq!(level(i64::MAX, 0), BudgetLevel::Ok);
        assert_eq!(level(i64::MAX, i64::MAX), BudgetLevel::Ok);
        assert_eq!(BudgetLevel::of_percent(80.0), BudgetLevel::Warning);
        assert_eq!(BudgetLevel::of_percent(99.99), BudgetLevel::Warning);
        assert_eq!(BudgetLevel::of_percent(100.0), BudgetLevel::HardStop);
    }

    #[test]
    fn an_agent_pauses_at_100_percent_once_and_resumes_when_raised() {
        let mut company = scope(ScopeType::Company, "c", 0, 0);
        let mut agent = scope(ScopeType::Agent, "a", 100, 99);
        let mut raised = Raised::new();
        let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
        assert_eq!(out.alerts.len(), 1, "99% is past 80%: the soft alert");
        assert!(out.changes.is_empty());
        agent.spend = MicroCents::new(100 * C);
        let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
        assert_eq!(
            out.alerts.iter().map(|a| a.threshold).collect::<Vec<_>>(),
            [Threshold::Hard]
        );
        assert_eq!(out.alerts[0].observed, MicroCents::new(100 * C));
        assert_eq!(
            out.changes,
            [(ScopeType::Agent, "a".into(), Transition::Pause)]
        );
        assert_eq!(
            (agent.status, agent.pause_reason),
            (Status::Paused, Some(PauseReason::Budget))
        );
        let again = settle(&mut company, &mut [&mut agent], &mut raised, now());
        assert_eq!(
            again,
            Settlement::default(),
            "settling twice changes nothing"
        );
        agent.budget = Cents::new(101);
        let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
        assert_eq!(
            out.changes,
            [(ScopeType::Agent, "a".into(), Transition::Resume)]
        );
        assert_eq!(agent.status, Status::Active);
    }

    #[test]
    fn a_company_stop_pauses_its_agents_but_not_its_projects() {
        let mut company = scope(ScopeType::Company, "c", 100, 100);
        let mut agent = scope(ScopeType::Agent, "a", 0, 5);
        let mut project = scope(ScopeType::Project, "p", 0, 5);
        let out = settle(
            &mut company,
            &mut [&mut agent, &mut project],
            &mut Raised::new(),
            now(),
        );
        assert_eq!(out.company, Some(Transition::Pause));
        assert_eq!(agent.status, Status::Paused);
        assert_eq!(project.status, Status::Active);
        // The company's budget raised: it and its agent resume.
        company.budget = Cents::new(1_000);
        let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert_eq!(out.company, Some(Transition::Resume));
        assert_eq!(agent.status, Status::Active);
    }

    #[test]
    fn an_agent_over_its_own_budget_stays_paused_when_the_company_resumes() {
        let mut company = scope(ScopeType::Company, "c", 100, 100);
        let mut agent = scope(ScopeType::Agent, "a", 10, 50);
        settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        company.budget = Cents::new(1_000);
        settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert_eq!(
            (company.status, agent.status),
            (Status::Active, Status::Paused)
        );
    }

    #[test]
    fn a_manual_pause_is_never_lifted_by_a_budget() {
        let mut company = scope(ScopeType::Company, "c", 0, 0);
        let mut agent = scope(ScopeType::Agent, "a", 100, 10);
        set_status_by_hand(&mut agent, Status::Paused, false, now()).expect("pause");
        assert_eq!(agent.pause_reason, Some(PauseReason::Manual));
        let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert!(out.changes.is_empty());
        assert_eq!(agent.status, Status::Paused);
    }

    #[test]
    fn resuming_by_hand_while_over_is_refused() {
        let mut agent = scope(ScopeType::Agent, "a", 100, 150);
        settle_members(
            &scope(ScopeType::Company, "c", 0, 0),
            &mut [&mut agent],
            &mut Raised::new(),
            now(),
        );
        assert_eq!(
            set_status_by_hand(&mut agent, Status::Active, false, now()),
            Err(StatusRefusal::OverBudget)
        );
        let mut other = scope(ScopeType::Agent, "b", 0, 150);
        other.pause(PauseReason::Budget, now());
        assert_eq!(
            set_status_by_hand(&mut other, Status::Active, true, now()),
            Err(StatusRefusal::CompanyOverBudget)
        );
        set_status_by_hand(&mut other, Status::Active, false, now()).expect("resumes");
        let mut gone = scope(ScopeType::Agent, "g", 0, 0);
        gone.status = Status::Terminated;
        assert_eq!(
            set_status_by_hand(&mut gone, Status::Active, false, now()),
            Err(StatusRefusal::Terminated)
        );
    }

    #[test]
    fn no_budget_means_no_alerts_and_no_stop() {
        let mut company = scope(ScopeType::Company, "c", 0, 1_000_000);
        let mut agent = scope(ScopeType::Agent, "a", 0, 1_000_000);
        let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert_eq!(out, Settlement::default());
    }

    #[test]
    fn the_runaway_guard_pauses_without_a_budget_and_only_a_hand_lifts_it() {
        let mut company = scope(ScopeType::Company, "c", 0, 0);
        let mut agent = scope(ScopeType::Agent, "a", 0, 0);
        agent.max_hourly = Cents::new(100);
        agent.hour_spend = MicroCents::new(100 * C - 1);
        let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert_eq!(out, Settlement::default());
        agent.hour_spend = MicroCents::new(100 * C);
        let mut raised = Raised::new();
        let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
        assert_eq!(
            out.alerts.iter().map(|a| a.threshold).collect::<Vec<_>>(),
            [Threshold::Rate]
        );
        assert_eq!(agent.pause_reason, Some(PauseReason::Rate));
        // No budget reason to resume: settling (as the rollover does) keeps it paused.
        agent.hour_spend = MicroCents::ZERO;
        let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
        assert_eq!(out, Settlement::default());
        assert_eq!(agent.status, Status::Paused);
        agent.hour_spend = MicroCents::new(500 * C);
        set_status_by_hand(&mut agent, Status::Active, false, now()).expect("resumes");
        assert_eq!(
            (agent.status, agent.hour_spend),
            (Status::Active, MicroCents::ZERO),
            "re-armed"
        );
    }

    #[test]
    fn a_company_guard_pauses_its_agents_until_the_company_is_resumed() {
        let mut company = scope(ScopeType::Company, "c", 0, 0);
        company.max_hourly = Cents::new(10);
        company.hour_spend = MicroCents::new(10 * C);
        let mut agent = scope(ScopeType::Agent, "a", 0, 0);
        let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert_eq!(out.company, Some(Transition::Pause));
        assert_eq!(company.pause_reason, Some(PauseReason::Rate));
        assert_eq!(agent.status, Status::Paused);
        assert_eq!(
            set_status_by_hand(&mut agent, Status::Active, company_blocks(&company), now()),
            Err(StatusRefusal::CompanyOverBudget)
        );
        set_status_by_hand(&mut company, Status::Active, false, now()).expect("resumes");
        let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
        assert_eq!(agent.status, Status::Active);
        assert_eq!(
            out.changes,
            [(ScopeType::Agent, "a".into(), Transition::Resume)]
        );
    }

    #[test]
    fn the_forecast_alert_from_the_5th_under_80_percent_once() {
        let on = |d: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-03-{d:02}T12:00:00Z"))
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let mut company = scope(ScopeType::Company, "c", 0, 0);
        // 400 of 1000 on the 5th at 100 a day: 400 + 26 * 100 projected.
        let mut agent = scope(ScopeType::Agent, "a", 1_000, 400);
        agent.window_spend = MicroCents::new(400 * C);
        let mut raised = Raised::new();
        let out = settle(&mut company, &mut [&mut agent], &mut raised, on(4));
        assert!(out.alerts.is_empty(), "not before the 5th");
        let out = settle(&mut company, &mut [&mut agent], &mut raised, on(5));
        assert_eq!(out.alerts.len(), 1);
        assert_eq!(out.alerts[0].threshold, Threshold::Forecast);
        assert_eq!(out.alerts[0].observed, MicroCents::new(3_000 * C));
        assert!(out.changes.is_empty(), "a forecast pauses nothing");
        let out = settle(&mut company, &mut [&mut agent], &mut raised, on(6));
        assert!(out.alerts.is_empty(), "once");
        // Already at 80%: the soft alert, not a forecast.
        let mut late = scope(ScopeType::Agent, "b", 1_000, 800);
        late.window_spend = MicroCents::new(700 * C);
        let out = settle(&mut company, &mut [&mut late], &mut Raised::new(), on(10));
        assert_eq!(
            out.alerts.iter().map(|a| a.threshold).collect::<Vec<_>>(),
            [Threshold::Soft]
        );
    }
}
