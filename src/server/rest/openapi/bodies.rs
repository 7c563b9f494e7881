//! The request bodies, as schemas. Handlers read bodies field by field (`extract::Fields`)
//! so that one answer names every bad field at once; these types exist for the document
//! only, next to the handlers' annotations that name them.
#![allow(dead_code)] // schemas only: never built, read by `utoipa` at compile time

use utoipa::ToSchema;

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NewScope {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// 0 (no budget, the default) to 1,000,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub budget_monthly_cents: Option<i64>,
}

/// The states a scope may be set to by hand.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum SetStatus {
    Active,
    Paused,
}

/// Only the fields given change.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ScopePatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub budget_monthly_cents: Option<i64>,
    /// The runaway guard: the most the trailing 60 minutes may spend; 0 turns it off.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub max_hourly_cents: Option<i64>,
    pub status: Option<SetStatus>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BudgetOnly {
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub budget_monthly_cents: i64,
}

/// One cost event as an adapter reports it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NewCostEvent {
    #[schema(min_length = 1, max_length = 200)]
    pub agent_id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub provider: String,
    #[schema(min_length = 1, max_length = 200)]
    pub model: String,
    /// Every input token, cached ones included.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub input_tokens: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub cached_input_tokens: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub cache_write_tokens: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub output_tokens: Option<i64>,
    /// What the call cost, if the adapter knows; otherwise the price book prices it.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub cost_cents: Option<i64>,
    #[schema(min_length = 1, max_length = 200)]
    pub project_id: Option<String>,
    /// RFC 3339; at most 5 minutes ahead of the server's clock.
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The idempotency key, if not sent as the `Idempotency-Key` header.
    #[schema(min_length = 1, max_length = 200)]
    pub event_key: Option<String>,
    /// A budget hold this event settles.
    pub hold_id: Option<String>,
}

#[derive(ToSchema)]
pub struct CostEventBatch {
    #[schema(max_items = 1000)]
    pub events: Vec<NewCostEvent>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NewHold {
    #[schema(min_length = 1, max_length = 200)]
    pub agent_id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub project_id: Option<String>,
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub amount_cents: i64,
    /// The hold lapses after this; default 600.
    #[schema(minimum = 1, maximum = 3600)]
    pub ttl_seconds: Option<i64>,
    /// Makes the call idempotent, per agent.
    #[schema(min_length = 1, max_length = 200)]
    pub hold_key: Option<String>,
}

/// A price of the book, in micro-cents per million tokens.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PriceInput {
    #[schema(min_length = 1, max_length = 200)]
    pub provider: String,
    /// An exact model name, or a snapshot pattern ending in `*`.
    #[schema(min_length = 1, max_length = 200)]
    pub model: String,
    /// RFC 3339 or `YYYY-MM-DD`: from when the price applies.
    pub effective_from: String,
    #[schema(minimum = 0)]
    pub input_micro_cents_per_m_tok: i64,
    #[schema(minimum = 0)]
    pub output_micro_cents_per_m_tok: i64,
    #[schema(minimum = 0)]
    pub cached_input_micro_cents_per_m_tok: Option<i64>,
    #[schema(minimum = 0)]
    pub cache_write_micro_cents_per_m_tok: Option<i64>,
    pub long_context: Option<LongContextInput>,
    #[schema(min_length = 1, max_length = 200)]
    pub source: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LongContextInput {
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub above_input_tokens: i64,
    #[schema(minimum = 0)]
    pub input_micro_cents_per_m_tok: i64,
    #[schema(minimum = 0)]
    pub output_micro_cents_per_m_tok: Option<i64>,
    #[schema(minimum = 0)]
    pub cached_input_micro_cents_per_m_tok: Option<i64>,
    #[schema(minimum = 0)]
    pub cache_write_micro_cents_per_m_tok: Option<i64>,
}

#[derive(ToSchema)]
pub struct NewWebhook {
    /// Where deliveries go: https, or a host the server's allow list names.
    pub url: String,
    /// The event types to deliver (`budget.soft_alert`, ...).
    pub events: Vec<String>,
    /// `json` (the default) or `slack`.
    pub format: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(ToSchema)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub format: Option<String>,
    pub enabled: Option<bool>,
}

/// A test event queued for one endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct TestQueued {
    pub event_id: String,
}

/// `GET /healthz`, `GET /readyz`.
#[derive(ToSchema)]
pub struct Health {
    pub status: String,
    pub error: Option<String>,
}

/// What a manager decides about an incident.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum IncidentAction {
    RaiseBudget,
    ExtendMonth,
    Resume,
    Dismiss,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ResolveIncident {
    pub action: IncidentAction,
    /// `raise_budget`: the new monthly budget, above the spend seen; `extend_month`: the
    /// room added for this month only.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount_cents: Option<i64>,
    #[schema(max_length = 1000)]
    pub decision_note: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NewBudgetRequest {
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount_cents: i64,
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// How an approved request gives room.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ApproveMode {
    ExtendMonth,
    RaiseBudget,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ApproveRequest {
    pub mode: ApproveMode,
    /// Default: the amount asked.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount_cents: Option<i64>,
    #[schema(max_length = 1000)]
    pub decision_note: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DenyRequest {
    #[schema(max_length = 1000)]
    pub decision_note: Option<String>,
}
