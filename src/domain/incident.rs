//! Incidents and override requests: the words for their states and decisions, and who
//! decided ([`Actor`], also the actor of the audit trail). An incident is opened by every
//! alert (`budget::Threshold` is its kind); a manager resolves it. An agent may ask for more
//! room; the board approves or denies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::audit::{Actor, ActorType};
use super::{
    budget::Threshold,
    money::{Cents, MicroCents},
    scope::{ScopeType, words},
};

words!(
    /// Where an incident stands.
    IncidentStatus { Open = "open", Resolved = "resolved", Dismissed = "dismissed" }
);
words!(
    /// How a manager resolves an incident.
    Resolution {
        RaiseBudget = "raise_budget",
        ExtendMonth = "extend_month",
        Resume = "resume",
        Dismiss = "dismiss",
    }
);
words!(
    /// Where an override request stands.
    RequestStatus { Pending = "pending", Approved = "approved", Denied = "denied" }
);
words!(
    /// How an approved request gives room: this month only, or a higher monthly budget.
    ApproveMode { ExtendMonth = "extend_month", RaiseBudget = "raise_budget" }
);
impl Resolution {
    /// The status an incident has once resolved this way.
    pub fn status(self) -> IncidentStatus {
        match self {
            Self::Dismiss => IncidentStatus::Dismissed,
            _ => IncidentStatus::Resolved,
        }
    }
}

/// An incident as stored, with the name of its scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub company_id: String,
    pub scope_type: ScopeType,
    pub scope_id: String,
    pub scope_name: String,
    pub kind: Threshold,
    pub status: IncidentStatus,
    pub window_start: DateTime<Utc>,
    pub budget: Cents,
    pub observed: MicroCents,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<Resolution>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Actor>,
}

/// An agent's request for more room, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetRequest {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub amount: Cents,
    pub reason: String,
    pub status: RequestStatus,
    pub requested_by: Actor,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_mode: Option<ApproveMode>,
    /// What the decision gave: the extension added or the new monthly budget.
    pub decided: Option<Cents>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Actor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dismissing_is_the_only_resolution_that_is_not_resolved() {
        for r in Resolution::ALL {
            let want = if *r == Resolution::Dismiss {
                IncidentStatus::Dismissed
            } else {
                IncidentStatus::Resolved
            };
            assert_eq!(r.status(), want, "{r}");
        }
    }
}
