//! The types Costline speaks: what the REST API answers, what server functions return and
//! what the dashboard renders. Shared by the server and the browser, so they carry no
//! server-only code.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod dashboard;
mod incidents;
mod prices;
mod reports;
mod webhooks;

pub use dashboard::*;
pub use incidents::*;
pub use prices::*;
pub use reports::*;
pub use webhooks::*;

pub use crate::domain::{
    budget::{BudgetLevel, Threshold},
    event::CostSource,
    hold::{HoldOutcome, HoldState},
    scope::{PauseReason, ScopeType, Status},
};

/// A company, an agent or a project: the three things that carry a monthly budget, in one
/// shape. For a company, `companyId` is its own id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScopeView {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub status: Status,
    pub budget_monthly_cents: i64,
    /// Extra room for the current month only, on top of the budget.
    #[serde(default)]
    pub extension_cents: i64,
    /// The runaway guard: the most the trailing 60 minutes may spend; 0: no guard.
    #[serde(default)]
    pub max_hourly_cents: i64,
    /// This month's spend (UTC), always computed from the ledger.
    pub spent_monthly_cents: i64,
    pub utilization_percent: f64,
    pub pause_reason: Option<PauseReason>,
    #[cfg_attr(
        feature = "hydrate",
        serde(default, deserialize_with = "crate::domain::time_text::de_opt_instant")
    )]
    pub paused_at: Option<DateTime<Utc>>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub updated_at: DateTime<Utc>,
}

pub type Company = ScopeView;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CostEvent {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub project_id: Option<String>,
    pub provider: String,
    pub model: String,
    /// Every input token, cached ones included.
    pub input_tokens: i64,
    /// The part of `input_tokens` read from a prompt cache.
    pub cached_input_tokens: i64,
    /// The part of `input_tokens` written to a prompt cache.
    pub cache_write_tokens: i64,
    pub output_tokens: i64,
    pub cost_cents: i64,
    /// The exact cost in millionths of a cent; `costCents` is this rounded.
    pub cost_micro_cents: i64,
    pub cost_source: CostSource,
    /// The price-book entry that computed the cost (`costSource: "computed"`).
    pub price_id: Option<String>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub occurred_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
    pub event_key: Option<String>,
}

/// What an adapter learns from posting an event: may its agent keep working?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Enforcement {
    pub agent_status: Status,
    pub agent_utilization_percent: f64,
    pub company_status: Status,
    pub company_utilization_percent: f64,
    pub project_status: Option<Status>,
    pub project_utilization_percent: Option<f64>,
    /// Some scope of this event is at 80% of its budget or more: focus on critical work.
    pub soft_alert: bool,
    /// Some scope of this event is at 100% of its budget or the agent is paused: stop.
    pub hard_stop: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IngestedEvent {
    #[serde(flatten)]
    pub event: CostEvent,
    pub enforcement: Enforcement,
    /// What the event's `holdId` came to; absent when it carried none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<HoldOutcome>,
}

/// Where one scope of an agent stands, for an adapter deciding whether to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScopeStanding {
    pub scope_type: ScopeType,
    pub scope_id: String,
    /// 0: no budget.
    pub budget_cents: i64,
    /// This month's spend (UTC).
    pub spent_cents: i64,
    /// What active holds reserve.
    pub held_cents: i64,
    /// Budget - spent - held, rounded down, at least 0; `None` without a budget.
    pub remaining_cents: Option<i64>,
    pub utilization_percent: f64,
    pub level: BudgetLevel,
}

/// `GET /api/agents/{agentId}/budget-status`: may this agent run, and why (not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BudgetStatus {
    pub agent_id: String,
    pub status: Status,
    pub pause_reason: Option<PauseReason>,
    /// False when the agent, its company or the project is paused or has nothing left.
    pub may_run: bool,
    /// When the monthly windows reset: the 1st of next month, 00:00 UTC.
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub resets_at: DateTime<Utc>,
    /// The agent, its company, and the project when asked for.
    pub scopes: Vec<ScopeStanding>,
    /// The agent's override request waiting for a manager, if any.
    pub pending_request: Option<BudgetRequest>,
}

/// A budget hold: money reserved for a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BudgetHold {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub project_id: Option<String>,
    pub amount_cents: i64,
    pub status: HoldState,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub expires_at: DateTime<Utc>,
    pub hold_key: Option<String>,
    /// The cost event that settled it.
    pub event_id: Option<String>,
}

/// A scope that had no room for a hold (the `details` of its 409).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HoldShortfall {
    pub scope_type: ScopeType,
    pub scope_id: String,
    /// `None`: no budget (the scope is paused).
    pub remaining_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub items: Vec<CostEvent>,
    pub next_cursor: Option<String>,
}

/// One invalid field of a request, named the way the client spelled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error as a server function reports it to the dashboard: the status it maps to, one
/// readable sentence, the fields at fault, and which row it concerns (so a table of forms
/// shows it next to the right one, with or without JavaScript).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    #[serde(default)]
    pub details: Vec<FieldError>,
    #[serde(default)]
    pub target: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: Vec::new(),
            target: None,
        }
    }

    pub fn for_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The message about one field, if the error names it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|d| d.field == name)
            .map(|d| d.message.as_str())
    }
}

impl server_fn::error::FromServerFnError for ApiError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(_) | E::Response(_) => Self::new(
                503,
                "Costline could not be reached; check the connection and retry.",
            ),
            E::Args(m) | E::MissingArg(m) => Self::new(400, format!("bad form input: {m}")),
            other => Self::new(500, other.to_string()),
        }
    }
}

/// The company list with the server's idea of "this month", for the dashboard's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    pub companies: Vec<Company>,
    /// `YYYY-MM` of the current UTC month.
    pub current_month: String,
    /// `YYYY-MM-DD` of the server's UTC day, for the date presets (the server's clock, so
    /// the page and its hydration agree).
    pub today: String,
}

/// Everything the overview page shows for one company and window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub company: Company,
    /// `YYYY-MM` of the window's start.
    pub month: String,
    /// Days of the window elapsed (today included): all of them for a past window.
    pub days_elapsed: u32,
    pub summary: CostSummary,
    pub agents: Vec<AgentCostRow>,
    pub projects: Vec<ProjectCostRow>,
    pub models: Vec<ModelCostRow>,
    pub daily: Vec<DailyCost>,
    pub paused_agents: i64,
    /// The page's charts of these figures, added by the dashboard's server functions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub charts: Option<OverviewCharts>,
}

/// An API key of an agent, as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentKey {
    pub id: String,
    pub agent_id: String,
    pub company_id: String,
    /// The public start of the key (`cla_` and 12 hex digits), to tell keys apart.
    pub prefix: String,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(default, deserialize_with = "crate::domain::time_text::de_opt_instant")
    )]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key just created: the only answer that ever carries the whole `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewAgentKey {
    #[serde(flatten)]
    pub info: AgentKey,
    /// Send as `Authorization: Bearer <key>`. Only its hash is stored.
    pub key: String,
}

/// Who is looking at the dashboard, for its header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    /// No sign-in: the server listens on loopback and has no board credential.
    pub local_mode: bool,
    /// The signed-in board user, when signed in with a session.
    pub email: Option<String>,
}

/// Why a sign-in failed: the server names it in `/signin?error=`, the page explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInError {
    Invalid,
    Throttled,
    /// The server could not check (the database, or too many checks at once).
    Unavailable,
}

impl SignInError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Throttled => "throttled",
            Self::Unavailable => "unavailable",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Invalid, Self::Throttled, Self::Unavailable]
            .into_iter()
            .find(|e| e.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "That email and password do not match a board user.",
            Self::Throttled => {
                "Too many failed attempts from your address; wait a minute and retry."
            }
            Self::Unavailable => "Signing in failed on the server; retry in a moment.",
        }
    }
}

/// One agent's or project's month for its dashboard page: the member as the API shows it,
/// and its month in the overview's shape (summary, daily spend, by model, and by project
/// for an agent or by agent for a project), so the overview's charts draw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberMonth {
    pub member: ScopeView,
    pub month: Overview,
}
