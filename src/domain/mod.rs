//! The rules of Costline, pure: money, time windows, budgets, prices. No database, no HTTP,
//! no clock, no I/O; everything here is unit-tested on plain values. Compiled into the
//! server and the browser alike, so the dashboard draws levels and projections with the
//! very functions the server enforces with.
//!
//! The one dependency direction: `domain` <- `server::store` <- `server::service` <-
//! `server::rest` / `api` / `app`. Nothing here imports from any of them.

pub mod audit;
pub mod budget;
pub mod event;
pub mod forecast;
pub mod guard;
pub mod history;
pub mod hold;
pub mod incident;
pub mod ledger;
pub mod money;
pub mod notify;
pub mod price_import;
pub mod pricing;
pub mod retention;
pub mod rollup;
pub mod scope;
pub mod standing;
pub mod time;
pub mod time_text;

use std::fmt;

/// A field of a command, named by the rules. Each edge spells it its own way: the REST API
/// as its JSON field (`budgetMonthlyCents`), a dashboard form as its input (`budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    MonthlyBudget,
    Status,
    Agent,
    Project,
    Provider,
    Model,
    InputTokens,
    CachedInputTokens,
    CacheWriteTokens,
    OutputTokens,
    Cost,
    OccurredAt,
    EventKey,
    Events,
    Month,
    From,
    To,
    Limit,
    Cursor,
    EffectiveFrom,
    InputPrice,
    CachedInputPrice,
    CacheWritePrice,
    OutputPrice,
    Source,
    Amount,
    Ttl,
    HoldKey,
    Hold,
    /// Applying a change (a reprice, an import) as a whole.
    Apply,
    Url,
    Format,
    Enabled,
    MaxHourly,
    /// A decision's note (incidents, override requests).
    Note,
    /// Why an agent asks for more room.
    Reason,
    /// Filters of the audit trail.
    ActorType,
    TargetType,
    /// What a report's series are (the monthly history).
    GroupBy,
}

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

/// A command the rules refuse as it stands: what is wrong with which fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub problems: Vec<Problem>,
}

impl Invalid {
    pub fn one(field: Field, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                field,
                message: message.into(),
            }],
        }
    }

    fn instant(field: Field) -> Self {
        Self::one(field, "must be an RFC 3339 timestamp or a YYYY-MM-DD date")
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{:?} {}", one.field, one.message),
            many => write!(f, "{} fields are invalid", many.len()),
        }
    }
}

impl std::error::Error for Invalid {}

/// Collects problems while a command is checked, then answers all of them at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.push(Problem {
            field,
            message: message.into(),
        });
    }

    /// `Ok(value)` when nothing was wrong.
    pub fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Invalid { problems: self.0 })
        }
    }
}

/// Most characters a name, provider, model or key may have.
pub const MAX_TEXT_CHARS: usize = 200;

/// A short piece of text from outside (a name, a provider, a model, a key): trimmed,
/// non-empty, at most [`MAX_TEXT_CHARS`] characters, and free of control characters (a NUL
/// is refused by PostgreSQL, a newline or escape breaks logs and CSV). The one check every
/// such field goes through.
pub fn clean_text(raw: &str) -> Result<String, &'static str> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("must not be empty");
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err("must be at most 200 characters");
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(text.to_owned())
}

/// What a URL query value or path keeps unescaped: the unreserved characters and `/`.
const URL_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes `s` for a query value (`next=`, `cursor=`, filters): everything but the
/// unreserved characters and `/`, as UTF-8 bytes.
pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        assert_eq!(
            clean_text("  claude-sonnet-4 "),
            Ok("claude-sonnet-4".into())
        );
        assert!(clean_text("   ").is_err());
        assert!(clean_text("a\u{0}b").is_err());
        assert!(clean_text("a\nb").is_err());
        assert!(clean_text("a\u{1b}[31mb").is_err());
        assert!(clean_text("a\u{7f}").is_err());
        assert!(clean_text(&"x".repeat(201)).is_err());
        assert_eq!(
            clean_text(&"é".repeat(200)).map(|s| s.chars().count()),
            Ok(200)
        );
    }
}
