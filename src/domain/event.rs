//! A cost event as an adapter reports it, and the checks it must pass before it is queued:
//! text fields, token counts and their limits, the reported cost, the time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Field, Invalid, Problems, clean_text,
    money::{Cents, MicroCents, Tokens},
};

/// Largest cost one event may have, reported or computed: one million dollars. With
/// [`MAX_TOKENS`] it keeps a single event far inside 64 bits.
pub const MAX_EVENT_COST: Cents = Cents::new(100_000_000);
/// Largest count of each kind of token in one event.
pub const MAX_TOKENS: Tokens = Tokens::new(1_000_000_000_000);
/// How far in the future `occurredAt` may be (clock skew between adapter and server).
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(5);

/// Where an event's cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CostSource {
    /// The adapter said what it cost.
    Reported,
    /// The price book priced its tokens.
    Computed,
    /// Nothing priced it: stored at 0 and counted as unpriced.
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

/// The token counts of one event. `cached_input` (cache reads) and `cache_write` are parts
/// of `input`, never in addition to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub input: Tokens,
    pub cached_input: Tokens,
    pub cache_write: Tokens,
    pub output: Tokens,
}

/// A cost event as reported (types checked by the edge, values not yet).
#[derive(Debug, Clone, Default)]
pub struct NewCostEvent {
    pub agent_id: String,
    pub project_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub input_tokens: Option<i64>,
    pub cached_input_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_cents: Option<i64>,
    pub occurred_at: Option<DateTime<Utc>>,
    /// From the `eventKey` field or the `Idempotency-Key` header.
    pub event_key: Option<String>,
    /// A budget hold this event settles.
    pub hold_id: Option<String>,
}

/// An event that passed every check of its own; whether its agent and project exist in its
/// company is for the committer to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEvent {
    pub company_id: String,
    pub agent_id: String,
    pub project_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub tokens: TokenCounts,
    pub cost: Option<Cents>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub event_key: Option<String>,
    pub hold_id: Option<String>,
}

impl NewCostEvent {
    /// Checks every field at once; `now` bounds `occurredAt`.
    pub fn validate(self, company_id: &str, now: DateTime<Utc>) -> Result<ValidEvent, Invalid> {
        let mut problems = Problems::default();
        let mut text = |field: Field, value: &str, required: bool| -> Option<String> {
            if value.trim().is_empty() && !required {
                return None;
            }
            clean_text(value)
                .map_err(|message| problems.add(field, message))
                .ok()
        };
        let agent_id = text(Field::Agent, &self.agent_id, true).unwrap_or_default();
        let provider = text(Field::Provider, &self.provider, true).unwrap_or_default();
        let model = text(Field::Model, &self.model, true).unwrap_or_default();
        let project_id = self
            .project_id
            .as_deref()
            .and_then(|p| text(Field::Project, p, false));
        let event_key = self
            .event_key
            .as_deref()
            .and_then(|k| text(Field::EventKey, k, false));
        let hold_id = self
            .hold_id
            .as_deref()
            .and_then(|h| text(Field::Hold, h, false));

        let mut count = |field: Field, value: Option<i64>, max: i64| -> i64 {
            let v = value.unwrap_or(0);
            if v < 0 {
                problems.add(field, "must be 0 or more");
            } else if v > max {
                problems.add(field, format!("must be at most {max}"));
            }
            v.clamp(0, max)
        };
        let max_tokens = MAX_TOKENS.get();
        let tokens = TokenCounts {
            input: Tokens::new(count(Field::InputTokens, self.input_tokens, max_tokens)),
            cached_input: Tokens::new(count(
                Field::CachedInputTokens,
                self.cached_input_tokens,
                max_tokens,
            )),
            cache_write: Tokens::new(count(
                Field::CacheWriteTokens,
                self.cache_write_tokens,
                max_tokens,
            )),
            output: Tokens::new(count(Field::OutputTokens, self.output_tokens, max_tokens)),
        };
        let cost = self
            .cost_cents
            .map(|c| Cents::new(count(Field::Cost, Some(c), MAX_EVENT_COST.get())));
        // Cached reads and writes are parts of the input, so no token is priced twice.
        if tokens.cached_input.get() + tokens.cache_write.get() > tokens.input.get() {
            problems.add(
                Field::CachedInputTokens,
                "cached and cache-write tokens are part of inputTokens: their sum may not exceed it",
            );
        }
        if let Some(at) = self.occurred_at
            && at > now + FUTURE_TOLERANCE
        {
            problems.add(
                Field::OccurredAt,
                "must not be more than 5 minutes in the future",
            );
        }
        problems.finish(ValidEvent {
            company_id: company_id.to_owned(),
            agent_id,
            project_id,
            provider,
            model,
            tokens,
            cost,
            occurred_at: self.occurred_at,
            event_key,
            hold_id,
        })
    }
}

/// An event as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub project_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub tokens: TokenCounts,
    pub cost: MicroCents,
    pub source: CostSource,
    /// The price-book entry that computed the cost (`Computed` only).
    pub price_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub event_key: Option<String>,
    /// The hash of [`ValidEvent::canonical`], kept for keyed events only (only they can be
    /// replayed).
    pub fingerprint: Option<String>,
}

impl ValidEvent {
    /// What makes two requests "the same event": every field as sent, instants normalised
    /// to epoch milliseconds, so a retry matches and a different body under the same key
    /// does not. The text is hashed and stored with keyed events; it must never change, or
    /// retries of events stored before the change would be refused.
    pub fn canonical(&self) -> String {
        let mut fields = serde_json::json!([
            self.agent_id,
            self.project_id,
            self.provider,
            self.model,
            self.tokens.input.get(),
            self.tokens.cached_input.get(),
            self.tokens.cache_write.get(),
            self.tokens.output.get(),
            self.cost.map(Cents::get),
            self.occurred_at.map(|t| t.timestamp_millis()),
        ]);
        // Appended only when present, so events stored before holds keep their fingerprint.
        if let (Some(hold), Some(list)) = (&self.hold_id, fields.as_array_mut()) {
            list.push(hold.as_str().into());
        }
        fields.to_string()
    }

    /// The reported cost in micro-cents (at most [`MAX_EVENT_COST`], so it fits).
    pub fn reported_cost(&self) -> Option<MicroCents> {
        self.cost.and_then(|c| c.to_micros().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-15T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn event() -> NewCostEvent {
        NewCostEvent {
            agent_id: "a".into(),
            provider: "anthropic".into(),
            model: "claude-sonnet-4".into(),
            input_tokens: Some(15_000),
            output_tokens: Some(3_000),
            cost_cents: Some(12),
            ..NewCostEvent::default()
        }
    }

    fn fields(e: NewCostEvent) -> Vec<Field> {
        e.validate("c", now())
            .expect_err("refused")
            .problems
            .iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn a_good_event_passes_and_keeps_its_canonical_form() {
        let valid = event().validate("c", now()).expect("valid");
        assert_eq!(valid.reported_cost(), Some(MicroCents::new(12_000_000)));
        // The stored fingerprints depend on this exact text.
        assert_eq!(
            valid.canonical(),
            r#"["a",null,"anthropic","claude-sonnet-4",15000,0,0,3000,12,null]"#
        );
        let held = NewCostEvent {
            hold_id: Some("h1".into()),
            ..event()
        };
        assert_eq!(
            held.validate("c", now()).expect("valid").canonical(),
            r#"["a",null,"anthropic","claude-sonnet-4",15000,0,0,3000,12,null,"h1"]"#
        );
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = NewCostEvent {
            agent_id: " ".into(),
            provider: "a\u{0}".into(),
            model: "x".repeat(201),
            input_tokens: Some(-1),
            output_tokens: Some(MAX_TOKENS.get() + 1),
            cost_cents: Some(MAX_EVENT_COST.get() + 1),
            occurred_at: Some(now() + Duration::minutes(6)),
            ..NewCostEvent::default()
        };
        assert_eq!(
            fields(bad),
            [
                Field::Agent,
                Field::Provider,
                Field::Model,
                Field::InputTokens,
                Field::OutputTokens,
                Field::Cost,
                Field::OccurredAt
            ]
        );
        let cached = NewCostEvent {
            input_tokens: Some(10),
            cached_input_tokens: Some(6),
            cache_write_tokens: Some(5),
            ..event()
        };
        assert_eq!(fields(cached), [Field::CachedInputTokens]);
        let soon = NewCostEvent {
            occurred_at: Some(now() + Duration::minutes(5)),
            ..event()
        };
        assert!(
            soon.validate("c", now()).is_ok(),
            "5 minutes of skew is fine"
        );
    }
}
