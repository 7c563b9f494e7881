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
        let (sep, tail) = rest.split_at(1);
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
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).expect("in range")
    }

    fn rates(input: i64) -> Rates {
        Rates {
            input: MicroCents::new(input),
            cached_input: MicroCents::new(input / 10),
            cache_write: MicroCents::new(input * 5 / 4),
            output: MicroCents::new(input * 5),
        }
    }

    fn price(model: &str, from: i64, input: i64) -> Price {
        Price {
            id: format!("{model}@{from}"),
            provider: "anthropic".into(),
            model: model.into(),
            effective_from: at(from),
            rates: rates(input),
            long_context: None,
            source: "test".into(),
        }
    }

    fn usage(input: i64, cached: i64, write: i64, output: i64) -> Usage {
        Usage {
            input: Tokens::new(input),
            cached_input: Tokens::new(cached),
            cache_write: Tokens::new(write),
            output: Tokens::new(output),
        }
    }

    fn micros(p: &Price, u: Usage) -> i64 {
        cost(p, &u).map(MicroCents::get).expect("priced")
    }

    #[test]
    fn exact_cents_from_tokens() {
        // Sonnet at $3 in / $15 out per million: 15,000 + 3,000 tokens are 9 cents.
        let sonnet = price("claude-sonnet-4-5", 0, 300_000_000);
        assert_eq!(micros(&sonnet, usage(15_000, 0, 0, 3_000)), 9_000_000);
    }

    #[test]
    fn cached_tokens_are_charged_at_their_rates_and_never_twice() {
        let sonnet = price("claude-sonnet-4-5", 0, 300_000_000);
        // 10,000 input of which 8,000 cache reads and 1,000 cache writes:
        // 1,000 x 300 + 8,000 x 30 + 1,000 x 375 micro-cents.
        assert_eq!(
            micros(&sonnet, usage(10_000, 8_000, 1_000, 0)),
            300_000 + 240_000 + 375_000
        );
    }

    #[test]
    fn sub_cent_costs_round_once_to_the_micro_cent() {
        // $0.075 per million tokens: 7.5 micro-cents a token.
        let cheap = price("cheap", 0, 7_500_000);
        assert_eq!(micros(&cheap, usage(1, 0, 0, 0)), 8, "7.5 rounds half up");
        assert_eq!(micros(&cheap, usage(1_001, 0, 0, 0)), 7_508);
    }

    #[test]
    fn above_the_threshold_the_whole_event_pays_the_long_context_rates() {
        let mut pro = price("gemini-2.5-pro", 0, 125_000_000);
        pro.long_context = Some(Tier {
            above: Tokens::new(200_000),
            rates: rates(250_000_000),
        });
        // At the threshold: base rates ($1.25 in, $6.25 out here).
        assert_eq!(
            micros(&pro, usage(200_000, 0, 0, 1_000)),
            200_000 * 125 + 1_000 * 625
        );
        // One token more, cache reads included in the count: every token at the tier's rates.
        assert_eq!(
            micros(&pro, usage(200_001, 100_000, 0, 1_000)),
            100_001 * 250 + 100_000 * 25 + 1_000 * 1_250
        );
    }

    #[test]
    fn a_cost_past_a_million_dollars_or_128_bits_is_refused_naming_its_biggest_part() {
        // $15 per million output tokens x 7e10 tokens = $1.05M.
        let opus = price("claude-opus-4-1", 0, 300_000_000);
        let refused = cost(&opus, &usage(1_000, 0, 0, 70_000_000_000));
        assert_eq!(
            refused,
            Err(CostRefused {
                field: Field::OutputTokens
            })
        );
        // Exactly $1,000,000 is allowed: a trillion tokens at $1 per million.
        let one = price("one", 0, 100_000_000);
        assert_eq!(
            cost(&one, &usage(1_000_000_000_000, 0, 0, 0)),
            Ok(MAX_EVENT_COST)
        );
        // Past 128 bits on the way: refused, not wrapped or saturated.
        let mut huge = price("huge", 0, 0);
        huge.rates.cached_input = MicroCents::MAX;
        huge.rates.cache_write = MicroCents::MAX;
        huge.rates.output = MicroCents::MAX;
        let max = i64::MAX;
        assert_eq!(
            cost(&huge, &usage(max, max, max, max)),
            Err(CostRefused {
                field: Field::OutputTokens
            })
        );
    }

    #[test]
    fn snapshots_are_dates_at_the_end() {
        let base = |m| snapshot_base(m);
        assert_eq!(base("claude-opus-4-1-20250805"), Some("claude-opus-4-1"));
        assert_eq!(base("claude-opus-4-20250514"), Some("claude-opus-4"));
        assert_eq!(base("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(base("claude-3-5-haiku@20241022"), Some("claude-3-5-haiku"));
        assert_eq!(base("gpt-4-0613"), Some("gpt-4"));
        assert_eq!(
            base("gemini-2.5-flash-preview-05-20"),
            Some("gemini-2.5-flash-preview")
        );
        for undated in [
            "claude-opus-4-5",
            "claude-opus-4",
            "gpt-5.1",
            "gpt-4-1106-preview",
            "model-20251340",
            "20250805",
            "o3-mini",
        ] {
            assert_eq!(base(undated), None, "{undated}");
        }
    }

    #[test]
    fn a_pattern_never_covers_a_later_release() {
        let book = PriceBook::new(vec![
            price("claude-opus-4-*", 0, 1_500_000_000),
            price("claude-opus-4-1", 0, 1_500_000_000),
            price("claude-opus-4-1-*", 0, 1_500_000_000),
            price("claude-opus-4-5", 0, 500_000_000),
            price("gpt-4o-2024-*", 0, 250_000_000),
        ]);
        let id = |model: &str| book.find("anthropic", model, at(1)).map(|p| p.id.clone());
        assert_eq!(
            id("claude-opus-4-20250514").as_deref(),
            Some("claude-opus-4-*@0")
        );
        assert_eq!(
            id("claude-opus-4-1-20250805").as_deref(),
            Some("claude-opus-4-1-*@0")
        );
        assert_eq!(id("claude-opus-4-5").as_deref(), Some("claude-opus-4-5@0"));
        // No entry for these releases: unpriced, not Opus 4's price.
        for later in [
            "claude-opus-4-5-20251101",
            "claude-opus-4-6",
            "claude-opus-4-7",
        ] {
            assert_eq!(id(later), None, "{later}");
        }
        assert_eq!(id("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o-2024-*@0"));
        assert_eq!(id("gpt-4o-2025-01-01"), None);
    }

    #[test]
    fn the_names_matching_a_model_are_all_a_lookup_needs() {
        assert_eq!(
            names_matching("gpt-4o-2024-08-06"),
            [
                "gpt-4o-2024-08-06",
                "gpt-4o*",
                "gpt-4o-*",
                "gpt-4o-2*",
                "gpt-4o-20*",
                "gpt-4o-202*",
                "gpt-4o-2024*",
                "gpt-4o-2024-*",
                "gpt-4o-2024-0*",
                "gpt-4o-2024-08*",
                "gpt-4o-2024-08-*",
                "gpt-4o-2024-08-0*",
                "gpt-4o-2024-08-06*",
            ]
        );
        assert_eq!(names_matching("claude-opus-4-5"), ["claude-opus-4-5"]);
        let book = PriceBook::new(vec![
            price("claude-opus-4-*", 0, 1),
            price("claude-opus-4-1-*", 0, 2),
            price("CLAUDE-OPUS-4-1-2025*", 0, 3),
            price("claude-opus-4-1", 0, 4),
            price("claude-opus-4-5", 0, 5),
            price("claude-*", 0, 6),
            price("gpt-4o-2024-*", 0, 7),
        ]);
        for model in [
            "claude-opus-4-20250514",
            "claude-opus-4-1-20250805",
            "Claude-Opus-4-1",
            "claude-opus-4-5",
            "claude-opus-4-5-20251101",
            "gpt-4o-2024-08-06",
        ] {
            let names = names_matching(model);
            let part = PriceBook::new(
                book.prices()
                    .iter()
                    .filter(|p| names.iter().any(|n| n.eq_ignore_ascii_case(&p.model)))
                    .cloned()
                    .collect(),
            );
            assert_eq!(
                part.find("anthropic", model, at(1)).map(|p| &p.id),
                book.find("anthropic", model, at(1)).map(|p| &p.id),
                "{model}"
            );
        }
    }

    #[test]
    fn exact_names_beat_patterns_and_dates_pick_the_price_in_force() {
        let book = PriceBook::new(vec![
            price("claude-sonnet-4-2*", 1_000, 1),
            price("claude-sonnet-4-*", 0, 9),
            price("claude-sonnet-4-20250514", 2_000, 2),
            price("claude-sonnet-4-20250514", 3_000, 3),
        ]);
        let id = |model: &str, t: i64| book.find("Anthropic", model, at(t)).map(|p| p.id.clone());
        assert_eq!(
            id("claude-sonnet-4-20250514", 3_000).as_deref(),
            Some("claude-sonnet-4-20250514@3000")
        );
        assert_eq!(
            id("claude-sonnet-4-20250514", 2_999).as_deref(),
            Some("claude-sonnet-4-20250514@2000")
        );
        // Before the exact name has a price, the longer pattern applies; before that, the
        // shorter one.
        assert_eq!(
            id("claude-sonnet-4-20250514", 1_500).as_deref(),
            Some("claude-sonnet-4-2*@1000")
        );
        assert_eq!(
            id("claude-sonnet-4-20250514", 999).as_deref(),
            Some("claude-sonnet-4-*@0")
        );
        assert_eq!(id("gpt-5", 5_000), None);
        assert_eq!(
            book.find("openai", "claude-sonnet-4-20250514", at(5_000)),
            None
        );
        assert_eq!(
            book.entry_at("anthropic", "claude-sonnet-4-20250514", at(2_500))
                .map(|p| p.id.as_str()),
            Some("claude-sonnet-4-20250514@2000")
        );
    }
}
