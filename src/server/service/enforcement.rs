//! The budget rules, as pure functions over a scope's state. Ingest, budget changes and the
//! month rollover all decide through these, so each rule exists once.
//!
//! - 80% of a monthly budget: one soft alert per scope and month.
//! - 100%: one hard alert, and the scope pauses (`pause_reason: "budget"`). A company's hard
//!   stop also pauses its agents: an agent is blocked by its own budget or its company's.
//! - A scope paused for budget resumes as soon as nothing blocks it any more (a budget
//!   raised or removed, a new month). A manual pause is only lifted by hand, and lifting it
//!   by hand while still blocked is refused.

use crate::{
    model::{BudgetLevel, PauseReason, ScopeType, Status, Threshold, utilization_percent},
    server::{error::AppError, store::entities::ScopeRow},
};

/// A company, agent or project with its spend in the current month.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub kind: ScopeType,
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub status: Status,
    pub budget_cents: i64,
    pub spend_micros: i64,
    pub pause_reason: Option<PauseReason>,
    pub paused_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Scope {
    pub fn from_row(kind: ScopeType, row: ScopeRow) -> Result<Self, AppError> {
        let status = Status::parse(&row.status).ok_or_else(|| {
            AppError::internal(format!("bad status {:?} in {}", row.status, row.id))
        })?;
        let pause_reason = match row.pause_reason.as_deref() {
            None => None,
            Some(r) => Some(
                PauseReason::parse(r)
                    .ok_or_else(|| AppError::internal(format!("bad pause reason {r:?}")))?,
            ),
        };
        Ok(Self {
            kind,
            id: row.id,
            company_id: row.company_id,
            name: row.name,
            status,
            budget_cents: row.budget_monthly_cents,
            spend_micros: row.spend_micros,
            pause_reason,
            paused_at: row.paused_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    pub fn to_row(&self) -> ScopeRow {
        ScopeRow {
            id: self.id.clone(),
            company_id: self.company_id.clone(),
            name: self.name.clone(),
            status: self.status.as_str().to_owned(),
            budget_monthly_cents: self.budget_cents,
            pause_reason: self.pause_reason.map(|r| r.as_str().to_owned()),
            paused_at: self.paused_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            spend_micros: self.spend_micros,
        }
    }

    pub fn level(&self) -> BudgetLevel {
        BudgetLevel::of(self.spend_micros, self.budget_cents)
    }

    /// At or past 100% of a budget that is set.
    pub fn over(&self) -> bool {
        self.level() == BudgetLevel::HardStop
    }

    pub fn utilization(&self) -> f64 {
        utilization_percent(self.spend_micros, self.budget_cents)
    }

    pub fn pause(&mut self, reason: PauseReason, now_ms: i64) {
        self.status = Status::Paused;
        self.pause_reason = Some(reason);
        self.paused_at = Some(now_ms);
        self.updated_at = now_ms;
    }

    pub fn resume(&mut self, now_ms: i64) {
        self.status = Status::Active;
        self.pause_reason = None;
        self.paused_at = None;
        self.updated_at = now_ms;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Pause,
    Resume,
}

/// Is this scope blocked by a budget? An agent is blocked by its own or its company's.
pub fn blocked(scope: &Scope, company_over: bool) -> bool {
    scope.over() || (scope.kind == ScopeType::Agent && company_over)
}

/// The budget transition a scope owes in its current state, if any. Idempotent: a scope
/// that is already where the rules want it owes nothing.
pub fn settle(scope: &Scope, company_over: bool) -> Option<Transition> {
    let blocked = blocked(scope, company_over);
    match (scope.status, scope.pause_reason) {
        (Status::Active, _) if blocked => Some(Transition::Pause),
        (Status::Paused, Some(PauseReason::Budget)) if !blocked => Some(Transition::Resume),
        _ => None,
    }
}

/// Applies [`settle`]'s verdict; answers what changed.
pub fn apply_settle(scope: &mut Scope, company_over: bool, now_ms: i64) -> Option<Transition> {
    let transition = settle(scope, company_over)?;
    match transition {
        Transition::Pause => scope.pause(PauseReason::Budget, now_ms),
        Transition::Resume => scope.resume(now_ms),
    }
    Some(transition)
}

/// The alert thresholds a scope has reached, in the order they are crossed.
pub fn reached_thresholds(scope: &Scope) -> &'static [Threshold] {
    match scope.level() {
        BudgetLevel::Ok => &[],
        BudgetLevel::Warning => &[Threshold::Soft],
        BudgetLevel::HardStop => &[Threshold::Soft, Threshold::Hard],
    }
}

/// A manager sets a scope's status by hand. Pausing always works (and makes the pause
/// manual); resuming is refused while a budget still blocks the scope.
pub fn set_status_by_hand(
    scope: &mut Scope,
    wanted: Status,
    company_over: bool,
    now_ms: i64,
) -> Result<(), AppError> {
    match (scope.status, wanted) {
        (Status::Terminated, _) => Err(AppError::Conflict(format!(
            "{} {} is terminated and cannot change status",
            scope.kind.as_str(),
            scope.id
        ))),
        (_, Status::Terminated) => Err(AppError::invalid_fields(vec![
            crate::model::FieldError::new("status", "must be \"active\" or \"paused\""),
        ])),
        (_, Status::Paused) => {
            if scope.status != Status::Paused || scope.pause_reason != Some(PauseReason::Manual) {
                scope.pause(PauseReason::Manual, now_ms);
            }
            Ok(())
        }
        (Status::Active, Status::Active) => Ok(()),
        (Status::Paused, Status::Active) => {
            if scope.over() {
                return Err(AppError::Conflict(format!(
                    "{} is still over its monthly budget; raise the budget to resume it",
                    scope.kind.as_str()
                )));
            }
            if blocked(scope, company_over) {
                return Err(AppError::Conflict(
                    "the company is still over its monthly budget; raise the company budget to \
                     resume this agent"
                        .to_owned(),
                ));
            }
            scope.resume(now_ms);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MICROS_PER_CENT;

    fn agent(budget: i64, spend_cents: i64) -> Scope {
        Scope {
            kind: ScopeType::Agent,
            id: "a".into(),
            company_id: "c".into(),
            name: "a".into(),
            status: Status::Active,
            budget_cents: budget,
            spend_micros: spend_cents * MICROS_PER_CENT,
            pause_reason: None,
            paused_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn pause_at_100_percent_and_resume_when_raised() {
        let mut a = agent(100, 99);
        assert_eq!(apply_settle(&mut a, false, 1), None);
        a.spend_micros = 100 * MICROS_PER_CENT;
        assert_eq!(apply_settle(&mut a, false, 2), Some(Transition::Pause));
        assert_eq!(
            (a.status, a.pause_reason),
            (Status::Paused, Some(PauseReason::Budget))
        );
        assert_eq!(
            apply_settle(&mut a, false, 3),
            None,
            "settling twice changes nothing"
        );
        a.budget_cents = 101;
        assert_eq!(apply_settle(&mut a, false, 4), Some(Transition::Resume));
        assert_eq!(a.status, Status::Active);
    }

    #[test]
    fn company_over_blocks_agents_but_not_projects() {
        let mut a = agent(0, 5);
        assert_eq!(settle(&a, true), Some(Transition::Pause));
        a.kind = ScopeType::Project;
        assert_eq!(settle(&a, true), None);
    }

    #[test]
    fn manual_pause_is_never_lifted_by_budget() {
        let mut a = agent(100, 10);
        set_status_by_hand(&mut a, Status::Paused, false, 1).expect("pause");
        assert_eq!(a.pause_reason, Some(PauseReason::Manual));
        assert_eq!(settle(&a, false), None);
    }

    #[test]
    fn resuming_by_hand_while_over_is_a_conflict() {
        let mut a = agent(100, 150);
        apply_settle(&mut a, false, 1);
        let err = set_status_by_hand(&mut a, Status::Active, false, 2).expect_err("409");
        assert_eq!(err.status_code(), axum::http::StatusCode::CONFLICT);
        let mut b = agent(0, 150);
        b.pause(PauseReason::Budget, 1);
        let err = set_status_by_hand(&mut b, Status::Active, true, 2).expect_err("409");
        assert!(err.to_string().contains("company"));
        set_status_by_hand(&mut b, Status::Active, false, 3).expect("resumes");
    }

    #[test]
    fn thresholds_reached() {
        assert!(reached_thresholds(&agent(100, 79)).is_empty());
        assert_eq!(reached_thresholds(&agent(100, 80)), &[Threshold::Soft]);
        assert_eq!(
            reached_thresholds(&agent(100, 100)),
            &[Threshold::Soft, Threshold::Hard]
        );
        assert!(reached_thresholds(&agent(0, 1_000)).is_empty());
    }
}
