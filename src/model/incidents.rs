//! Incidents and override requests, as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    audit::Target,
    budget::Threshold,
    incident::{Actor, ApproveMode, IncidentStatus, RequestStatus, Resolution},
    scope::ScopeType,
};

/// An alert a manager acts on: open until resolved or dismissed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: String,
    pub company_id: String,
    pub scope_type: ScopeType,
    pub scope_id: String,
    pub scope_name: String,
    pub kind: Threshold,
    pub status: IncidentStatus,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub window_start: DateTime<Utc>,
    pub budget_cents: i64,
    pub observed_cents: i64,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub opened_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(default, deserialize_with = "crate::domain::time_text::de_opt_instant")
    )]
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<Resolution>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Actor>,
}

/// An agent's request for more room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BudgetRequest {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub amount_cents: i64,
    pub reason: String,
    pub status: RequestStatus,
    pub requested_by: Actor,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(default, deserialize_with = "crate::domain::time_text::de_opt_instant")
    )]
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_mode: Option<ApproveMode>,
    /// The extension added (`extend_month`) or the new monthly budget (`raise_budget`).
    pub decided_cents: Option<i64>,
    pub decision_note: Option<String>,
    pub decided_by: Option<Actor>,
}

/// One change in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    pub id: String,
    /// `None` for what belongs to no company (the price book).
    pub company_id: Option<String>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub target: Target,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A page of the audit trail, newest first; `nextCursor` asks for older ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub items: Vec<ActivityEntry>,
    pub next_cursor: Option<String>,
}

/// What the overview's "Needs attention" list is sent: each open incident and pending
/// request as the list shows it (the whole records are the REST API's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attention {
    pub incidents: Vec<IncidentNotice>,
    pub requests: Vec<RequestNotice>,
}

impl Attention {
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty() && self.requests.is_empty()
    }
}

/// An open incident in the "Needs attention" list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentNotice {
    pub id: String,
    pub scope_type: ScopeType,
    pub scope_id: String,
    pub scope_name: String,
    pub kind: Threshold,
    pub budget_cents: i64,
    pub observed_cents: i64,
}

impl From<Incident> for IncidentNotice {
    fn from(i: Incident) -> Self {
        Self {
            id: i.id,
            scope_type: i.scope_type,
            scope_id: i.scope_id,
            scope_name: i.scope_name,
            kind: i.kind,
            budget_cents: i.budget_cents,
            observed_cents: i.observed_cents,
        }
    }
}

/// A pending budget request in the "Needs attention" list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestNotice {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub amount_cents: i64,
    pub reason: String,
}

impl From<BudgetRequest> for RequestNotice {
    fn from(r: BudgetRequest) -> Self {
        Self {
            id: r.id,
            agent_id: r.agent_id,
            agent_name: r.agent_name,
            amount_cents: r.amount_cents,
            reason: r.reason,
        }
    }
}
