//! Where a scope stands once holds are counted, and the one rule built on it: whether an
//! agent may run, and whether a hold is granted. Budget-status and the hold route both ask
//! here.
//!
//! - Room in a scope with a budget: `budget - spent - held`.
//! - A hold is granted when every scope with a budget has room for it and none is paused.
//! - An agent may run when none of its scopes is paused and none with a budget has less
//!   than one cent of room.

use std::collections::HashMap;

use super::{
    budget::BudgetLevel,
    money::{Cents, MicroCents, percent_of},
    scope::{Scope, ScopeType, Status},
};

/// What a company's counting holds reserve: in all, per agent, per project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub company: Cents,
    /// Held without a project.
    pub unassigned: Cents,
    agents: HashMap<String, Cents>,
    projects: HashMap<String, Cents>,
}

impl Held {
    /// Sums of `(agent, project, amount)` rows of one company's counting holds. Sums
    /// saturate: counting more as held only leaves less room.
    pub fn of(rows: impl IntoIterator<Item = (String, Option<String>, Cents)>) -> Self {
        let add = |a: Cents, b: Cents| Cents::new(a.get().saturating_add(b.get()));
        let mut held = Self::default();
        for (agent, project, amount) in rows {
            held.company = add(held.company, amount);
            let a = held.agents.entry(agent).or_default();
            *a = add(*a, amount);
            match project {
                Some(project) => {
                    let p = held.projects.entry(project).or_default();
                    *p = add(*p, amount);
                }
                None => held.unassigned = add(held.unassigned, amount),
            }
        }
        held
    }

    pub fn agent(&self, id: &str) -> Cents {
        self.agents.get(id).copied().unwrap_or_default()
    }

    pub fn project(&self, id: &str) -> Cents {
        self.projects.get(id).copied().unwrap_or_default()
    }

    /// What `scope` has held.
    pub fn of_scope(&self, scope: &Scope) -> Cents {
        match scope.kind {
            ScopeType::Company => self.company,
            ScopeType::Agent => self.agent(&scope.id),
            ScopeType::Project => self.project(&scope.id),
        }
    }
}

/// Where one scope stands: its budget, spend this month, what holds reserve, its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub kind: ScopeType,
    pub id: String,
    pub status: Status,
    pub budget: Cents,
    pub spent: MicroCents,
    pub held: Cents,
}

impl Standing {
    pub fn of(scope: &Scope, held: &Held) -> Self {
        Self {
            kind: scope.kind,
            id: scope.id.clone(),
            status: scope.status,
            budget: scope.effective_budget(),
            spent: scope.spend,
            held: held.of_scope(scope),
        }
    }

    /// Micro-cents left, exactly (may be negative); `None` without a budget.
    fn room(&self) -> Option<i128> {
        (self.budget.get() > 0).then(|| {
            self.budget.wide_micros() - i128::from(self.spent.get()) - self.held.wide_micros()
        })
    }

    /// `budget - spent - held` in whole cents, rounded down and floored at 0; `None`
    /// without a budget. Exactly what one more hold may still take.
    pub fn remaining(&self) -> Option<Cents> {
        self.room().map(|micros| {
            let cents = micros.max(0) / i128::from(MicroCents::PER_CENT);
            Cents::new(i64::try_from(cents).unwrap_or(i64::MAX))
        })
    }

    /// The level of the spend alone (holds are not spend).
    pub fn level(&self) -> BudgetLevel {
        BudgetLevel::of(self.spent, self.budget)
    }

    pub fn utilization(&self) -> f64 {
        percent_of(self.spent, self.budget)
    }

    /// Paused (or terminated), or nothing left to spend.
    pub fn blocks(&self) -> bool {
        self.status != Status::Active || self.remaining() == Some(Cents::ZERO)
    }
}

/// May an agent run, given where its agent, company and project stand?
pub fn may_run(scopes: &[Standing]) -> bool {
    !scopes.iter().any(Standing::blocks)
}

/// A scope without room for a hold (or paused), and what it has left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub kind: ScopeType,
    pub id: String,
    pub remaining: Option<Cents>,
}

/// Grants `amount` when every scope with a budget has room for it after spend and the
/// other counting holds, and none is paused; else names each scope in the way.
pub fn grant(scopes: &[Standing], amount: Cents) -> Result<(), Vec<Shortfall>> {
    let short: Vec<Shortfall> = scopes
        .iter()
        .filter(|s| {
            s.status != Status::Active || s.room().is_some_and(|r| r < amount.wide_micros())
        })
        .map(|s| Shortfall {
            kind: s.kind,
            id: s.id.clone(),
            remaining: s.remaining(),
        })
        .collect();
    if short.is_empty() { Ok(()) } else { Err(short) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: i64 = MicroCents::PER_CENT;

    fn standing(kind: ScopeType, budget: i64, spent_micros: i64, held: i64) -> Standing {
        Standing {
            kind,
            id: kind.as_str().into(),
            status: Status::Active,
            budget: Cents::new(budget),
            spent: MicroCents::new(spent_micros),
            held: Cents::new(held),
        }
    }

    #[test]
    fn remaining_is_budget_less_spend_and_holds_rounded_down_and_floored() {
        assert_eq!(
            standing(ScopeType::Agent, 100, 60 * C, 0).remaining(),
            Some(Cents::new(40))
        );
        assert_eq!(
            standing(ScopeType::Agent, 100, 60 * C + 1, 10).remaining(),
            Some(Cents::new(29)),
            "a part of a cent spent leaves one whole cent less"
        );
        assert_eq!(
            standing(ScopeType::Agent, 100, 150 * C, 0).remaining(),
            Some(Cents::ZERO)
        );
        assert_eq!(standing(ScopeType::Agent, 0, 150 * C, 7).remaining(), None);
    }

    #[test]
    fn a_hold_is_granted_exactly_up_to_the_room_left() {
        // 40 cents left: 40 holds of 1 cent fit, the 41st does not.
        let mut agent = standing(ScopeType::Agent, 100, 60 * C, 0);
        let company = standing(ScopeType::Company, 0, 0, 0);
        for _ in 0..40 {
            let scopes = [agent.clone(), company.clone()];
            assert_eq!(grant(&scopes, Cents::new(1)), Ok(()));
            agent.held = Cents::new(agent.held.get() + 1);
        }
        let refused = grant(&[agent.clone(), company], Cents::new(1)).expect_err("full");
        assert_eq!(
            refused,
            [Shortfall {
                kind: ScopeType::Agent,
                id: "agent".into(),
                remaining: Some(Cents::ZERO)
            }]
        );
        assert!(!may_run(&[agent]));
    }

    #[test]
    fn every_scope_without_room_or_paused_is_named() {
        let agent = standing(ScopeType::Agent, 100, 0, 0);
        let company = standing(ScopeType::Company, 50, 45 * C, 0);
        let mut project = standing(ScopeType::Project, 0, 0, 0);
        project.status = Status::Paused;
        let refused =
            grant(&[agent.clone(), company, project.clone()], Cents::new(10)).expect_err("no room");
        assert_eq!(
            refused
                .iter()
                .map(|s| (s.kind, s.remaining))
                .collect::<Vec<_>>(),
            [
                (ScopeType::Company, Some(Cents::new(5))),
                (ScopeType::Project, None)
            ]
        );
        assert!(may_run(std::slice::from_ref(&agent)));
        assert!(!may_run(&[agent, project]), "a paused project blocks");
    }

    #[test]
    fn holds_sum_per_scope() {
        let held = Held::of([
            ("a".into(), Some("p".into()), Cents::new(3)),
            ("a".into(), None, Cents::new(4)),
            ("b".into(), Some("p".into()), Cents::new(i64::MAX)),
        ]);
        assert_eq!(held.agent("a"), Cents::new(7));
        assert_eq!(held.project("p"), Cents::new(i64::MAX), "saturates");
        assert_eq!(held.company, Cents::new(i64::MAX));
        assert_eq!(held.agent("zzz"), Cents::ZERO);
        assert_eq!(held.unassigned, Cents::new(4));
    }
}
