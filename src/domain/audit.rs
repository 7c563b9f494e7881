//! The audit trail's values: who made a change ([`Actor`]), what it changed ([`Target`])
//! and the state before and after, as small JSON documents. Every change of a budget, a
//! guard, a status, a price, a key, a webhook, an incident or a request is recorded with
//! the change, in its transaction (`server::store::audit`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scope::{PauseReason, Scope, Status, words};

words!(
    /// Who made a change.
    ActorType {
        BoardUser = "board_user",
        BoardToken = "board_token",
        AgentKey = "agent_key",
        Local = "local",
        System = "system",
    }
);

/// Who made a change, as the edges know it: a board user (id, email), a board token (id),
/// an agent key (key id, agent id), local mode, or the system (the rollover, the guard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorType,
    pub id: String,
    pub label: String,
}

impl Actor {
    pub fn new(kind: ActorType, id: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
            label: label.into(),
        }
    }

    /// The system itself, doing `what` (`rollover`, `guard`).
    pub fn system(what: &str) -> Self {
        Self::new(ActorType::System, what, what)
    }
}

/// What a change is about: `company`, `agent`, `project`, `price`, `agent_key`,
/// `webhook`, `incident`, `budget_request`; its id and a readable name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

impl Target {
    pub fn new(kind: &str, id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            id: id.into(),
            name: name.into(),
        }
    }

    pub fn scope(scope: &Scope) -> Self {
        Self::new(scope.kind.as_str(), &scope.id, &scope.name)
    }
}

/// One change: `action` (`agent.updated`, `price.created`, ...), its target, and the state
/// before and after (`None`: it did not exist, or does not any more).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub action: String,
    pub target: Target,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn new(action: impl Into<String>, target: Target) -> Self {
        Self {
            action: action.into(),
            target,
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, state: impl Serialize) -> Self {
        self.before = serde_json::to_value(state).ok();
        self
    }

    pub fn after(mut self, state: impl Serialize) -> Self {
        self.after = serde_json::to_value(state).ok();
        self
    }
}

/// A change as the trail holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub company_id: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: Actor,
    pub change: Change,
}

/// What the trail keeps of a scope: what a manager or the rules may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeState {
    pub name: String,
    pub status: Status,
    pub pause_reason: Option<PauseReason>,
    pub budget_monthly_cents: i64,
    pub extension_cents: i64,
    pub max_hourly_cents: i64,
}

impl ScopeState {
    pub fn of(scope: &Scope) -> Self {
        Self {
            name: scope.name.clone(),
            status: scope.status,
            pause_reason: scope.pause_reason,
            budget_monthly_cents: scope.budget.get(),
            extension_cents: scope.extension.get(),
            max_hourly_cents: scope.max_hourly.get(),
        }
    }
}

/// A scope's change of state by a manager or by the rules, if anything the trail keeps
/// changed: `{kind}.updated`.
pub fn scope_change(before: &Scope, after: &Scope) -> Option<Change> {
    let (b, a) = (ScopeState::of(before), ScopeState::of(after));
    (b != a).then(|| {
        Change::new(format!("{}.updated", after.kind), Target::scope(after))
            .before(b)
            .after(a)
    })
}

/// A pause or resume the rules made on their own (on ingest: the budget's hard stop, the
/// runaway guard): `{kind}.paused` or `{kind}.resumed`, `scope` as it is after. The rules
/// only pause an active scope and only resume one paused for budget, so that is the before.
pub fn rule_transition(scope: &Scope) -> Change {
    let mut before = ScopeState::of(scope);
    let verb = if scope.status == Status::Paused {
        before.status = Status::Active;
        before.pause_reason = None;
        "paused"
    } else {
        before.status = Status::Paused;
        before.pause_reason = Some(PauseReason::Budget);
        "resumed"
    };
    Change::new(format!("{}.{verb}", scope.kind), Target::scope(scope))
        .before(before)
        .after(ScopeState::of(scope))
}

/// Who the rules are when they act alone: the runaway guard for its pauses, else the budget.
pub fn rules_actor(scope: &Scope) -> Actor {
    Actor::system(if scope.rate_paused() {
        "guard"
    } else {
        "budget"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{money::Cents, scope::ScopeType};

    #[test]
    fn a_scope_change_names_what_changed_and_nothing_is_no_change() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let before = Scope::new(
            ScopeType::Agent,
            "a1".into(),
            "c1".into(),
            "writer".into(),
            Cents::new(100),
            now,
        );
        assert_eq!(scope_change(&before, &before.clone()), None);
        let mut after = before.clone();
        after.budget = Cents::new(200);
        let change = scope_change(&before, &after).expect("a change");
        assert_eq!(change.action, "agent.updated");
        assert_eq!(change.target, Target::new("agent", "a1", "writer"));
        assert_eq!(change.before.expect("before")["budgetMonthlyCents"], 100);
        assert_eq!(change.after.expect("after")["budgetMonthlyCents"], 200);
        let json = serde_json::to_value(Actor::system("rollover")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"type": "system", "id": "rollover", "label": "rollover"})
        );
    }
}
