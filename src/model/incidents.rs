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
    pub window_start: DateTime<Utc>,
    pub budget_cents: i64,
    pub observed_cents: i64,
    pub opened_at: DateTime<Utc>,
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
    pub created_at: DateTime<Utc>,
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
