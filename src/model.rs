//! The types Costline speaks: what the REST API answers, what server functions return and
//! what the dashboard renders. Shared by the server and the browser, so they carry no
//! server-only code.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One cent is this many internal money units. Costs are kept exactly in micro-cents so
/// computed (sub-cent) prices add up without rounding; cents appear only at the edge.
pub const MICROS_PER_CENT: i64 = 1_000_000;

/// Rounds micro-cents to whole cents, half away from zero (costs are never negative).
pub fn micros_to_cents(micros: i64) -> i64 {
    (micros + MICROS_PER_CENT / 2).div_euclid(MICROS_PER_CENT)
}

/// `spend / budget * 100`, rounded to 2 decimals; 0 when there is no budget.
pub fn utilization_percent(spend_micros: i64, budget_cents: i64) -> f64 {
    if budget_cents <= 0 {
        return 0.0;
    }
    // Integer basis points first, so the rounding is exact and never depends on floats.
    let budget_micros = i128::from(budget_cents) * i128::from(MICROS_PER_CENT);
    let scaled = i128::from(spend_micros) * 10_000;
    let basis_points = (scaled * 2 + budget_micros) / (budget_micros * 2);
    basis_points as f64 / 100.0
}

/// Where a scope stands against its monthly budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLevel {
    Ok,
    Warning,
    HardStop,
}

impl BudgetLevel {
    /// Soft alert at 80% of the budget, hard stop at 100%. A budget of 0 means none.
    pub fn of(spend_micros: i64, budget_cents: i64) -> Self {
        if budget_cents <= 0 {
            return Self::Ok;
        }
        let spend = i128::from(spend_micros);
        let budget = i128::from(budget_cents) * i128::from(MICROS_PER_CENT);
        if spend >= budget {
            Self::HardStop
        } else if spend * 100 >= budget * 80 {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Paused,
    Terminated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Terminated => "terminated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            "terminated" => Some(Self::Terminated),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PauseReason {
    Manual,
    Budget,
}

impl PauseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Budget => "budget",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "manual" => Some(Self::Manual),
            "budget" => Some(Self::Budget),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeType {
    Company,
    Agent,
    Project,
}

impl ScopeType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Agent => "agent",
            Self::Project => "project",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "company" => Some(Self::Company),
            "agent" => Some(Self::Agent),
            "project" => Some(Self::Project),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Threshold {
    Soft,
    Hard,
}

impl Threshold {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Soft => "soft",
            Self::Hard => "hard",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "soft" => Some(Self::Soft),
            "hard" => Some(Self::Hard),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CostSource {
    Reported,
    Computed,
    Unpriced,
}

impl CostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Computed => "computed",
            Self::Unpriced => "unpriced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reported" => Some(Self::Reported),
            "computed" => Some(Self::Computed),
            "unpriced" => Some(Self::Unpriced),
            _ => None,
        }
    }
}

/// A company, an agent or a project: the three things that carry a monthly budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub budget_monthly_cents: i64,
    pub spent_monthly_cents: i64,
    pub utilization_percent: f64,
    pub pause_reason: Option<PauseReason>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub status: Status,
    pub budget_monthly_cents: i64,
    pub spent_monthly_cents: i64,
    pub utilization_percent: f64,
    pub pause_reason: Option<PauseReason>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub status: Status,
    pub budget_monthly_cents: i64,
    pub spent_monthly_cents: i64,
    pub utilization_percent: f64,
    pub pause_reason: Option<PauseReason>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub event_key: Option<String>,
}

/// What an adapter learns from posting an event: may its agent keep working?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[serde(rename_all = "camelCase")]
pub struct IngestedEvent {
    #[serde(flatten)]
    pub event: CostEvent,
    pub enforcement: Enforcement,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub items: Vec<CostEvent>,
    pub next_cursor: Option<String>,
}

/// Token and event totals shared by every report row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostSummary {
    pub company_id: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub spend_cents: i64,
    pub budget_cents: i64,
    pub utilization_percent: f64,
    pub status: BudgetLevel,
    pub event_count: i64,
    pub unpriced_event_count: i64,
    pub unpriced_tokens: i64,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentCostRow {
    pub agent_id: String,
    pub agent_name: String,
    pub agent_status: Status,
    pub pause_reason: Option<PauseReason>,
    #[serde(flatten)]
    pub totals: Totals,
    pub budget_cents: i64,
    pub utilization_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectCostRow {
    /// `None` is the "Unassigned" row: spend reported without a project.
    pub project_id: Option<String>,
    pub project_name: String,
    pub project_status: Option<Status>,
    pub pause_reason: Option<PauseReason>,
    #[serde(flatten)]
    pub totals: Totals,
    pub budget_cents: i64,
    pub utilization_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelCostRow {
    pub provider: String,
    pub model: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyCost {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub cost_cents: i64,
    pub event_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetAlert {
    pub id: String,
    pub company_id: String,
    pub scope_type: ScopeType,
    pub scope_id: String,
    pub scope_name: String,
    pub threshold: Threshold,
    pub window_start: DateTime<Utc>,
    pub budget_cents: i64,
    pub observed_cents: i64,
    pub created_at: DateTime<Utc>,
}

/// A price-book entry: prices per million tokens, in micro-cents (1 cent = 1,000,000),
/// from `effectiveFrom` on. `model` is an exact name or a prefix pattern ending in `*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPrice {
    pub id: String,
    pub provider: String,
    pub model: String,
    pub effective_from: DateTime<Utc>,
    pub input_micro_cents_per_m_tok: i64,
    pub cached_input_micro_cents_per_m_tok: i64,
    pub cache_write_micro_cents_per_m_tok: i64,
    pub output_micro_cents_per_m_tok: i64,
    pub source: String,
}

/// What pricing the unpriced events of a window with today's price book changes (a dry
/// run), or changed (`applied`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepriceReport {
    pub company_id: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub applied: bool,
    pub unpriced_events: i64,
    pub repriced_events: i64,
    pub still_unpriced_events: i64,
    pub added_cents: i64,
    pub added_micro_cents: i64,
}

/// Micro-cents per million tokens as dollars per million tokens, exactly: `$0.075`.
pub fn format_price_per_mtok(micros: i64) -> String {
    // 1 dollar = 100 cents = 100,000,000 micro-cents.
    let whole = micros / 100_000_000;
    let frac = format!("{:08}", micros % 100_000_000);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_owned()
    };
    format!("${whole}.{frac}")
}

/// Parses dollars per million tokens (`3`, `0.075`) into micro-cents per million tokens,
/// exactly (up to 8 decimals).
pub fn parse_price_per_mtok(input: &str) -> Result<i64, String> {
    let s = input.trim().trim_start_matches('$');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if s.is_empty() || (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err("must be dollars per million tokens, like 3 or 0.075".into());
    }
    if frac.len() > 8 {
        return Err("must have at most 8 decimals".into());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "is too large".to_string())?
    };
    let frac: i64 = format!("{frac:0<8}").parse().unwrap_or(0);
    whole
        .checked_mul(100_000_000)
        .and_then(|m| m.checked_add(frac))
        .ok_or_else(|| "is too large".into())
}

/// One invalid field of a request, named the way the client spelled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Parses a dollar amount as typed in a form (`1234`, `1,234.50`, `$12.5`) into cents,
/// exactly: no floating point touches money.
pub fn parse_dollars(input: &str) -> Result<i64, String> {
    let s: String = input
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    if s.is_empty() {
        return Ok(0);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) {
        return Err("must be an amount in dollars, like 250 or 1,250.50".into());
    }
    if frac.len() > 2 {
        return Err("must have at most two decimals (cents)".into());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "is too large".to_string())?
    };
    let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(frac))
        .ok_or_else(|| "is too large".into())
}

/// Cents as dollars for display: `$1,234.56`.
pub fn format_dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// Cents as a plain dollar amount for a form field: `1234.5` -> `"1234.50"`, 0 -> `""`.
pub fn dollars_input(cents: i64) -> String {
    if cents == 0 {
        String::new()
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// The company list with the server's idea of "this month", for the dashboard's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    pub companies: Vec<Company>,
    /// `YYYY-MM` of the current UTC month.
    pub current_month: String,
}

/// Everything the overview page shows for one company and month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub company: Company,
    /// `YYYY-MM` shown.
    pub month: String,
    /// Days of the month elapsed (today included) when it is the current month, else all.
    pub days_elapsed: u32,
    pub summary: CostSummary,
    pub agents: Vec<AgentCostRow>,
    pub projects: Vec<ProjectCostRow>,
    pub models: Vec<ModelCostRow>,
    pub daily: Vec<DailyCost>,
    pub paused_agents: i64,
}

/// An API key of an agent, as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentKey {
    pub id: String,
    pub agent_id: String,
    pub company_id: String,
    /// The public start of the key (`cla_` and 12 hex digits), to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key just created: the only answer that ever carries the whole `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAgentKey {
    #[serde(flatten)]
    pub info: AgentKey,
    /// Send as `Authorization: Bearer <key>`. Only its hash is stored.
    pub key: String,
}

/// Who is looking at the dashboard, for its header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    /// No sign-in: the server listens on loopback and has no board credential.
    pub local_mode: bool,
    /// The signed-in board user, when signed in with a session.
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_parse_exactly() {
        assert_eq!(parse_dollars("250"), Ok(25_000));
        assert_eq!(parse_dollars(" $1,250.5 "), Ok(125_050));
        assert_eq!(parse_dollars("0.07"), Ok(7));
        assert_eq!(parse_dollars(".5"), Ok(50));
        assert_eq!(parse_dollars(""), Ok(0));
        assert!(parse_dollars("12.345").is_err());
        assert!(parse_dollars("-5").is_err());
        assert!(parse_dollars("1e3").is_err());
        assert!(parse_dollars(".").is_err());
        assert!(parse_dollars("99999999999999999999").is_err());
        assert_eq!(format_dollars(123_456_789), "$1,234,567.89");
        assert_eq!(format_dollars(5), "$0.05");
        assert_eq!(dollars_input(125_050), "1250.50");
    }

    #[test]
    fn prices_parse_and_print_exactly() {
        assert_eq!(parse_price_per_mtok("3"), Ok(300_000_000));
        assert_eq!(parse_price_per_mtok("$0.075"), Ok(7_500_000));
        assert_eq!(parse_price_per_mtok("0.00000001"), Ok(1));
        assert!(parse_price_per_mtok("0.000000001").is_err());
        assert!(parse_price_per_mtok("-1").is_err());
        assert!(parse_price_per_mtok("").is_err());
        assert_eq!(format_price_per_mtok(7_500_000), "$0.075");
        assert_eq!(format_price_per_mtok(300_000_000), "$3.00");
        assert_eq!(format_price_per_mtok(1_875_000_000), "$18.75");
    }

    #[test]
    fn cents_round_half_up() {
        assert_eq!(micros_to_cents(0), 0);
        assert_eq!(micros_to_cents(499_999), 0);
        assert_eq!(micros_to_cents(500_000), 1);
        assert_eq!(micros_to_cents(12 * MICROS_PER_CENT), 12);
    }

    #[test]
    fn utilization_rounds_to_two_decimals() {
        assert_eq!(utilization_percent(0, 0), 0.0);
        assert_eq!(utilization_percent(50 * MICROS_PER_CENT, 0), 0.0);
        assert_eq!(utilization_percent(80 * MICROS_PER_CENT, 100), 80.0);
        assert_eq!(utilization_percent(MICROS_PER_CENT, 3), 33.33);
        assert_eq!(utilization_percent(2 * MICROS_PER_CENT, 3), 66.67);
        assert_eq!(utilization_percent(150 * MICROS_PER_CENT, 100), 150.0);
    }

    #[test]
    fn levels_at_the_exact_thresholds() {
        let c = MICROS_PER_CENT;
        assert_eq!(BudgetLevel::of(79 * c, 100), BudgetLevel::Ok);
        assert_eq!(BudgetLevel::of(80 * c - 1, 100), BudgetLevel::Ok);
        assert_eq!(BudgetLevel::of(80 * c, 100), BudgetLevel::Warning);
        assert_eq!(BudgetLevel::of(100 * c - 1, 100), BudgetLevel::Warning);
        assert_eq!(BudgetLevel::of(100 * c, 100), BudgetLevel::HardStop);
        assert_eq!(BudgetLevel::of(i64::MAX, 0), BudgetLevel::Ok);
    }
}
