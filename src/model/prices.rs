//! The price book as the API shows it: prices, long-context tiers, imports and repricing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A price-book entry: prices per million tokens, in micro-cents (1 cent = 1,000,000),
/// from `effectiveFrom` on. `model` is an exact name or a prefix pattern ending in `*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ModelPrice {
    pub id: String,
    pub provider: String,
    pub model: String,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub effective_from: DateTime<Utc>,
    pub input_micro_cents_per_m_tok: i64,
    pub cached_input_micro_cents_per_m_tok: i64,
    pub cache_write_micro_cents_per_m_tok: i64,
    pub output_micro_cents_per_m_tok: i64,
    pub source: String,
    /// The long-context price, if the model has one (absent in older answers).
    #[serde(default)]
    pub long_context: Option<LongContextPrice>,
}

/// A long-context price: an event with more than `aboveInputTokens` input tokens (cache
/// reads and writes included) is priced entirely at these rates, output too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LongContextPrice {
    pub above_input_tokens: i64,
    pub input_micro_cents_per_m_tok: i64,
    pub cached_input_micro_cents_per_m_tok: i64,
    pub cache_write_micro_cents_per_m_tok: i64,
    pub output_micro_cents_per_m_tok: i64,
}

/// A price as a price map gives it, before it is in the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImportedPrice {
    /// The map's entry it comes from.
    pub entry: String,
    pub provider: String,
    pub model: String,
    pub input_micro_cents_per_m_tok: i64,
    pub cached_input_micro_cents_per_m_tok: i64,
    pub cache_write_micro_cents_per_m_tok: i64,
    pub output_micro_cents_per_m_tok: i64,
    pub long_context: Option<LongContextPrice>,
}

/// A price the map changes: the book's price in force, and the map's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PriceChange {
    pub before: ModelPrice,
    pub after: ImportedPrice,
}

/// An entry of the map that is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SkippedEntry {
    pub entry: String,
    pub reason: String,
}

/// An import of a price map: what it adds to the book from `effectiveFrom` on (a dry run),
/// or added (`applied`). Existing prices are never changed; a changed price is a new row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PriceImportReport {
    /// The dashboard's staged import this is the diff of, if any.
    pub draft_id: Option<String>,
    pub file_name: String,
    pub source: String,
    pub providers: Vec<String>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub effective_from: DateTime<Utc>,
    pub applied: bool,
    pub new: Vec<ImportedPrice>,
    pub changed: Vec<PriceChange>,
    pub unchanged: Vec<ImportedPrice>,
    pub skipped: Vec<SkippedEntry>,
    /// Entries of providers not imported.
    pub other_providers: i64,
}

/// A model that events named this month and the price book did not price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnpricedModel {
    pub provider: String,
    pub model: String,
    pub events: i64,
    /// Input and output tokens of those events.
    pub tokens: i64,
}

/// What pricing the unpriced events of a window with today's price book changes (a dry
/// run), or changed (`applied`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RepriceReport {
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
    pub applied: bool,
    pub unpriced_events: i64,
    pub repriced_events: i64,
    pub still_unpriced_events: i64,
    pub added_cents: i64,
    pub added_micro_cents: i64,
}
