//! The price book, pure: what a model costs per million tokens, which price applies to an
//! event, and what the event costs. Prices are [`MicroCents`] per million tokens, so list
//! prices like $0.075 are exact; a computed cost is rounded once, to the nearest micro-cent.
//!
//! Matching: a book entry names one model exactly, or is a pattern ending in `*` that stands
//! for the dated snapshots of one release and nothing else. `claude-opus-4-1-*` prices
//! `claude-opus-4-1-20250805`; `claude-opus-4-*` prices `claude-opus-4-20250514` but never
//! `claude-opus-4-5`, a later release with its own price. A model that nothing matches stays
//! unpriced: unpriced beats wrong.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Field, event,
    money::{MicroCents, Tokens},
};

/// The largest price per million tokens: $100,000.
pub const MAX_PRICE: MicroCents = MicroCents::new(100_000 * 100 * MicroCents::PER_CENT);

/// The most one event may cost, reported or computed ([`event::MAX_EVENT_COST`], $1,000,000),
/// in micro-cents.
pub const MAX_EVENT_COST: MicroCents =
    MicroCents::new(event::MAX_EVENT_COST.get() * MicroCents::PER_CENT);

/// What each kind of token costs, per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// Input tokens read neither from nor into a prompt cache.
    pub input: MicroCents,
    /// Input tokens read from a prompt cache.
    pub cached_input: MicroCents,
    /// Input tokens written to a prompt cache.
    pub cache_write: MicroCents,
    pub output: MicroCents,
}

/// A long-context price: an event with more than `above` input tokens (cache reads and
/// writes included) is priced entirely at `rates`, output too. Anthropic and Google charge
/// the whole request at the higher rate once the prompt passes the threshold, and LiteLLM's
/// `..._above_200k_tokens` fields mean the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub above: Tokens,
    pub rates: Rates,
}

/// One entry of the price book, in force from `effective_from` until a later entry of the
/// same provider and model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub id: String,
    pub provider: String,
    /// An exact model name, or a snapshot pattern ending in `*`.
    pub model: String,
    pub effective_from: DateTime<Utc>,
    pub rates: Rates,
    pub long_context: Option<Tier>,
    pub source: String,
}

impl Price {
    /// The rates an event with `usage` pays.
    pub fn rates_for(&self, usage: &Usage) -> &Rates {
        match &self.long_context {
            Some(tier) if usage.input > tier.above => &tier.rates,
            _ => &self.rates,
        }
    }

    /// Whether `other` charges exactly what this price charges.
    pub fn same_charges(&self, rates: &Rates, long_context: &Option<Tier>) -> bool {
        self.rates == *rates && self.long_context == *long_context
    }
}

/// The token counts of one event, as the book charges them (every input token in `input`,
/// cache reads and cache writes included).
pub type Usage = event::TokenCounts;

/// A computed cost the rules refuse: more than [`MAX_EVENT_COST`], or past 128 bits on the
/// way. `field` is the token count that contributes most to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostRefused {
    pub field: Field,
}

impl CostRefused {
    pub const MESSAGE: &'static str = "at the price in force, this event would cost more than \
        $1,000,000, the most one event may cost; nothing was stored";
}

/// The cost of `usage` at `price`: uncached input at the input rate, cache reads at the
/// cached rate, cache writes at the write rate (no token counted twice), output at the
/// output rate, all at the long-context rates when the event is above the threshold;
/// rounded half up to a whole micro-cent, once. Checked all the way.
pub fn cost(price: &Price, usage: &Usage) -> Result<MicroCents, CostRefused> {
    let rates = price.rates_for(usage);
    let wide = |t: Tokens| i128::from(t.get());
    let uncached = (wide(usage.input) - wide(usage.cached_input) - wide(usage.cache_write)).max(0);
    let parts = [
        (Field::InputTokens, uncached, rates.input),
        (
            Field::CachedInputTokens,
            wide(usage.cached_input),
            rates.cached_input,
        ),
        (
            Field::CacheWriteTokens,
            wide(usage.cache_write),
            rates.cache_write,
        ),
        (Field::OutputTokens, wide(usage.output), rates.output),
    ];
    // The field to name if the cost is refused: the largest part (by tokens when a product
    // itself would not fit).
    let biggest = parts
        .iter()
        .max_by_key(|(_, tokens, rate)| {
            tokens
                .checked_mul(i128::from(rate.get()))
                .unwrap_or(i128::MAX)
        })
        .map_or(Field::InputTokens, |(field, _, _)| *field);
    let refused = CostRefused { field: biggest };
    let mut total: i128 = 0;
    for (_, tokens, rate) in parts {
        let part = tokens.checked_mul(i128::from(rate.get())).ok_or(refused)?;
        total = total.checked_add(part).ok_or(refused)?;
    }
    // Rates are per million tokens: one division, rounding half up.
    let micros = total.checked_add(500_000).ok_or(refused)? / 1_000_000;
    match i64::try_from(micros) {
        Ok(m) if m <= MAX_EVENT_COST.get() => Ok(MicroCents::new(m)),
        _ => Err(refused),
    }
}

/// How an entry's model name matches an event's model: any exact name beats any pattern, a
/// longer pattern a shorter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    Pattern(usize),
    Exact,
}

fn matches(entry: &str, model: &str) -> Option<Match> {
    let Some(prefix) = entry.strip_suffix('*') else {
        return entry.eq_ignore_ascii_case(model).then_some(Match::Exact);
    };
    // The pattern must cover the whole release name: only the date may vary.
    let base = snapshot_base(model)?;
    let starts = model.len() >= prefix.len()
        && model.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes());
    (starts && prefix.len() >= base.len()).then_some(Match::Pattern(prefix.len()))
}

/// The release a dated snapshot belongs to: `claude-opus-4-1-20250805` -> `claude-opus-4-1`,
/// `gpt-4o-2024-08-06` -> `gpt-4o`, `claude-3-5-haiku@20241022` -> `claude-3-5-haiku`,
/// `gpt-4-0613` -> `gpt-4`. `None` when the name does not end in a date after `-` or `@`.
pub fn snapshot_base(model: &str) -> Option<&str> {
    // Longest form first, so `gpt-4o-2024-08-06` is `gpt-4o` and not `gpt-4o-2024`.
    const FORMS: [&str; 4] = ["YYYY-MM-DD", "YYYYMMDD", "MM-DD", "MMDD"];
    FORMS.iter().find_map(|form| {
        let cut = model.len().checked_sub(form.len() + 1)?;
        let (base, rest) = (model.get(..cut)?, model.get(cut..)?);
        // Not `split_at`: the name may start with a character of several bytes.
        let (sep, tail) = rest.split_at_checked(1)?;
        (matches!(sep, "-" | "@") && !base.is_empty() && is_date(tail, form)).then_some(base)
    })
}

/// Whether `tail` is a calendar date written as `form` (digits where the form has letters).
fn is_date(tail: &str, form: &str) -> bool {
    if tail.len() != form.len() {
        return false;
    }
    let mut month = 0;
    let mut day = 0;
    for (c, f) in tail.bytes().zip(form.bytes()) {
        match f {
            b'-' if c == b'-' => {}
            b'Y' | b'M' | b'D' if c.is_ascii_digit() => {
                let d = u32::from(c - b'0');
                match f {
                    b'M' => month = month * 10 + d,
                    b'D' => day = day * 10 + d,
                    _ => {}
                }
            }
            _ => return false,
        }
    }
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Every entry name, exact or pattern, that can price `model`: the name itself and, for a
/// dated snapshot, a pattern for each prefix that covers its whole release. A book of
/// only these entries answers [`PriceBook::find`] for `model` as the whole book does.
pub fn names_matching(model: &str) -> Vec<String> {
    let mut names = vec![model.to_owned()];
    if let Some(base) = snapshot_base(model) {
        names.extend(
            (base.len()..=model.len()).filter_map(|end| Some(format!("{}*", model.get(..end)?))),
        );
    }
    names
}

/// The whole price book, for lookups.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    prices: Vec<Price>,
}

impl PriceBook {
    pub fn new(prices: Vec<Price>) -> Self {
        Self { prices }
    }

    pub fn prices(&self) -> &[Price] {
        &self.prices
    }

    /// The price in force for `provider`/`model` at `at`: of the most specific matching
    /// entry that has a price by then, the one with the latest effective date.
    pub fn find(&self, provider: &str, model: &str, at: DateTime<Utc>) -> Option<&Price> {
        self.prices
            .iter()
            .filter(|p| p.provider.eq_ignore_ascii_case(provider) && p.effective_from <= at)
            .filter_map(|p| Some((matches(&p.model, model)?, p.effective_from, p)))
            .max_by_key(|(how, from, _)| (*how, *from))
            .map(|(_, _, p)| p)
    }

    /// The entry for exactly this provider and model name (a pattern stays a pattern) in
    /// force at `at`: what an import would change.
    pub fn entry_at(&self, provider: &str, model: &str, at: DateTime<Utc>) -> Option<&Price> {
        self.prices
            .iter()
            .filter(|p| {
                p.provider.eq_ignore_ascii_case(provider)
                    && p.model.eq_ignore_ascii_case(model)
                    && p.effective_from <= at
            })
            .max_by_key(|p| p.effective_from)
    }
}

#[cfg(test)]
#[path = "pricing_tests.rs"]
mod tests;
