//! Report rows: a month's totals, its spend by agent, project, model and day, its alerts,
//! and the forecast beside them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BudgetLevel, PauseReason, ScopeType, Status, Threshold};
use crate::domain::time::Window;

/// Token and event totals shared by every report row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub cost_cents: i64,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
    pub event_count: i64,
    pub unpriced_event_count: i64,
    /// Input and output tokens of the unpriced events: what silently cost 0.
    pub unpriced_tokens: i64,
}

/// Where a scope's current month is heading (`domain::forecast`): absent for other months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ForecastView {
    pub projected_month_end_cents: i64,
    /// `YYYY-MM-DD`, UTC: the first day the projection reaches the budget, if it does.
    pub projected_exhaustion_date: Option<String>,
    pub daily_rate_cents: i64,
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CostSummary {
    pub company_id: String,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub window_start: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub window_end: DateTime<Utc>,
    pub spend_cents: i64,
    /// What active holds reserve now (0 for a window that does not hold now).
    pub held_cents: i64,
    pub budget_cents: i64,
    /// Extra room for this month only (`extend_month`); utilization counts it.
    #[serde(default)]
    pub extension_cents: i64,
    pub utilization_percent: f64,
    pub status: BudgetLevel,
    pub event_count: i64,
    pub unpriced_event_count: i64,
    pub unpriced_tokens: i64,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<ForecastView>,
}

impl CostSummary {
    pub fn window(&self) -> Window {
        Window {
            start: self.window_start,
            end: self.window_end,
        }
    }

    /// Whether the window is one calendar month, so that its spend compares with the
    /// (monthly) budgets: the utilization and levels of any other window mean nothing.
    pub fn is_budget_month(&self) -> bool {
        self.window().calendar_month().is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentCostRow {
    pub agent_id: String,
    pub agent_name: String,
    pub agent_status: Status,
    pub pause_reason: Option<PauseReason>,
    #[serde(flatten)]
    pub totals: Totals,
    /// What active holds reserve now (0 for a window that does not hold now).
    pub held_cents: i64,
    pub budget_cents: i64,
    #[serde(default)]
    pub extension_cents: i64,
    /// The runaway guard's hourly limit; 0: none.
    #[serde(default)]
    pub max_hourly_cents: i64,
    pub utilization_percent: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<ForecastView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectCostRow {
    /// `None` is the "Unassigned" row: spend reported without a project.
    pub project_id: Option<String>,
    pub project_name: String,
    pub project_status: Option<Status>,
    pub pause_reason: Option<PauseReason>,
    #[serde(flatten)]
    pub totals: Totals,
    /// What active holds reserve now (0 for a window that does not hold now).
    pub held_cents: i64,
    pub budget_cents: i64,
    #[serde(default)]
    pub extension_cents: i64,
    /// The runaway guard's hourly limit; 0: none.
    #[serde(default)]
    pub max_hourly_cents: i64,
    pub utilization_percent: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<ForecastView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ModelCostRow {
    pub provider: String,
    pub model: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DailyCost {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub cost_cents: i64,
    pub event_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BudgetAlert {
    pub id: String,
    pub company_id: String,
    pub scope_type: ScopeType,
    pub scope_id: String,
    pub scope_name: String,
    pub threshold: Threshold,
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
    pub created_at: DateTime<Utc>,
}

/// Spend per month over a span of whole months (`costs/monthly`), from the monthly rollups:
/// one entry per month in every list, months without spend included as 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MonthlyCosts {
    /// `YYYY-MM`, oldest first.
    pub months: Vec<String>,
    /// One per agent, project or model with spend in the span, biggest total first.
    pub series: Vec<MonthlySeries>,
    /// The company's (or the member's) whole spend per month.
    pub total_cents: Vec<i64>,
    /// The monthly budget as it stands now, repeated per month (0: none).
    pub budget_cents: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MonthlySeries {
    /// The agent's or project's id (`""` for spend without a project), or `provider/model`.
    pub key: String,
    pub name: String,
    pub cost_cents: Vec<i64>,
}
