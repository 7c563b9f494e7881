//! LiteLLM's price map (`model_prices_and_context_window.json`, shipped in the `litellm`
//! package), read and compared with the price book, pure.
//!
//! Each entry of the map is keyed by model and gives dollars per token as JSON floats; they
//! become micro-cents per million tokens exactly (1 $/token = 10^14 micro-cents per million
//! tokens): the shortest decimal that reads back as the same float, scaled, rounded half up
//! to a whole micro-cent. `scripts/refresh-prices.py` does the same to write the seed.
//!
//! Rules: only entries priced per token (modes chat, completion, responses, embedding) of
//! the chosen providers are taken; a missing cache-read or cache-write price is the input
//! price (no cache discount or surcharge); one `..._above_<N>k_tokens` tier becomes the
//! long-context price (see `read_tier` for its missing rates). Each undated model also
//! prices its dated snapshots (`gpt-5.1` gives `gpt-5.1-*`, which matches
//! `gpt-5.1-2025-11-13` and nothing else). A bad price or name refuses the whole file,
//! naming the entry; anything Costline cannot price is skipped with the reason.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    clean_text,
    money::{MicroCents, Tokens},
    pricing::{MAX_PRICE, Price, PriceBook, Rates, Tier, snapshot_base},
};

/// LiteLLM's provider names that adapters spell otherwise, and Costline's spelling.
const PROVIDER_NAMES: [(&str, &str); 1] = [("gemini", "google")];

/// The providers an import covers unless told otherwise: those of the shipped seed.
pub const DEFAULT_PROVIDERS: [&str; 3] = ["anthropic", "openai", "google"];

/// The modes whose entries are priced per token.
const TOKEN_MODES: [&str; 4] = ["chat", "completion", "responses", "embedding"];

/// The most refused entries named at once.
const MAX_ERRORS: usize = 20;

/// Names the whole file in an [`EntryError`] (it is not JSON, or not an object).
pub const WHOLE_FILE: &str = "file";

/// Costline's name for a LiteLLM provider.
pub fn costline_provider(litellm: &str) -> &str {
    PROVIDER_NAMES
        .iter()
        .find(|(from, _)| *from == litellm)
        .map_or(litellm, |(_, to)| to)
}

/// A price the map gives for one provider and model (or snapshot pattern).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The key of the map's entry it came from.
    pub entry: String,
    pub provider: String,
    pub model: String,
    pub rates: Rates,
    pub long_context: Option<Tier>,
}

/// An entry of a chosen provider that Costline cannot price, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub entry: String,
    pub reason: String,
}

/// A map, read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parsed {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    /// Entries of providers not chosen.
    pub other_providers: usize,
}

/// Why a file is refused: an entry (or [`WHOLE_FILE`]) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub entry: String,
    pub message: String,
}

/// Reads a map, keeping the entries of `providers` (Costline's names).
pub fn parse(text: &str, providers: &BTreeSet<String>) -> Result<Parsed, Vec<EntryError>> {
    let whole = |message: String| {
        vec![EntryError {
            entry: WHOLE_FILE.into(),
            message,
        }]
    };
    let map = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(whole("must be a JSON object of model entries".into())),
        Err(e) => return Err(whole(format!("is not valid JSON: {e}"))),
    };
    let mut parsed = Parsed::default();
    let mut errors = Vec::new();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        let Some(entry) = map.get(key).and_then(Value::as_object) else {
            parsed.other_providers += 1;
            continue;
        };
        let Some(litellm) = entry.get("litellm_provider").and_then(Value::as_str) else {
            parsed.other_providers += 1;
            continue;
        };
        let provider = costline_provider(litellm);
        if !providers.contains(provider) {
            parsed.other_providers += 1;
            continue;
        }
        match read_entry(key, litellm, provider, entry) {
            Ok(Ok(candidate)) => parsed.candidates.push(candidate),
            Ok(Err(reason)) => parsed.skipped.push(Skipped {
                entry: key.clone(),
                reason,
            }),
            Err(message) => errors.push(EntryError {
                entry: key.clone(),
                message,
            }),
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    add_snapshot_patterns(&mut parsed.candidates);
    dedupe(&mut parsed);
    Ok(parsed)
}

/// `Ok(Ok(candidate))`, `Ok(Err(reason to skip))`, or `Err(why the file is refused)`.
fn read_entry(
    key: &str,
    litellm: &str,
    provider: &str,
    entry: &Map<String, Value>,
) -> Result<Result<Candidate, String>, String> {
    let provider = clean_text(provider).map_err(|m| format!("`litellm_provider` {m}"))?;
    let model = key.strip_prefix(&format!("{litellm}/")).unwrap_or(key);
    let model = clean_text(model).map_err(|m| format!("the model name {m}"))?;
    if model.contains('*') {
        return Err("the model name must not contain `*`".into());
    }
    let mode = entry.get("mode").and_then(Value::as_str);
    if let Some(mode) = mode.filter(|m| !TOKEN_MODES.contains(m)) {
        return Ok(Err(format!("mode `{mode}` is not priced per token")));
    }
    let rate = |name: &str| -> Result<Option<MicroCents>, String> {
        match entry.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .ok_or("is not a number")
                .and_then(per_token_to_per_mtok)
                .map(Some)
                .map_err(|m| format!("`{name}` {m}")),
            Some(_) => Err(format!("`{name}` must be a number (dollars per token)")),
        }
    };
    let Some(input) = rate("input_cost_per_token")? else {
        return Ok(Err("no price per input token".into()));
    };
    let output = match rate("output_cost_per_token")? {
        Some(output) => output,
        None if mode == Some("embedding") => MicroCents::ZERO,
        None => return Ok(Err("no price per output token".into())),
    };
    let cached = rate("cache_read_input_token_cost")?;
    let write = rate("cache_creation_input_token_cost")?;
    let rates = Rates {
        input,
        cached_input: cached.unwrap_or(input),
        cache_write: write.unwrap_or(input),
        output,
    };
    let given = Given {
        cached,
        write,
        output,
    };
    let long_context = match read_tier(entry, &given, &rate)? {
        Ok(tier) => tier,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(Ok(Candidate {
        entry: key.to_owned(),
        provider,
        model,
        rates,
        long_context,
    }))
}

/// The base rates an entry states itself (not defaulted to the input price).
struct Given {
    cached: Option<MicroCents>,
    write: Option<MicroCents>,
    output: MicroCents,
}

/// The one long-context tier of an entry, if it has one. A rate the tier does not state is
/// the entry's own rate of that kind, else (no cache price at all) the tier's input rate:
/// what LiteLLM charges.
fn read_tier(
    entry: &Map<String, Value>,
    base: &Given,
    rate: &dyn Fn(&str) -> Result<Option<MicroCents>, String>,
) -> Result<Result<Option<Tier>, String>, String> {
    const KINDS: [&str; 4] = [
        "input_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
        "output_cost_per_token",
    ];
    // Thousands of tokens -> the rates of that tier, in the order of KINDS.
    let mut tiers: BTreeMap<u64, [Option<MicroCents>; 4]> = BTreeMap::new();
    for key in entry.keys() {
        for (i, kind) in KINDS.iter().enumerate() {
            let Some(thousands) = key
                .strip_prefix(kind)
                .and_then(|r| r.strip_prefix("_above_"))
                .and_then(|r| r.strip_suffix("k_tokens"))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let thousands: u64 = thousands
                .parse()
                .map_err(|_| format!("`{key}` names a threshold that is too large"))?;
            tiers.entry(thousands).or_default()[i] = rate(key)?;
        }
    }
    let mut tiers = tiers.into_iter();
    let Some((thousands, [input, cached, write, output])) = tiers.next() else {
        return Ok(Ok(None));
    };
    if let Some((other, _)) = tiers.next() {
        return Ok(Err(format!(
            "several long-context tiers (above {thousands}k and {other}k tokens); \
             Costline keeps one per price"
        )));
    }
    let Some(input) = input else {
        return Ok(Err(format!(
            "its tier above {thousands}k tokens has no input price"
        )));
    };
    let above = thousands
        .checked_mul(1_000)
        .and_then(|t| i64::try_from(t).ok())
        .ok_or_else(|| format!("the threshold {thousands}k tokens is too large"))?;
    Ok(Ok(Some(Tier {
        above: Tokens::new(above),
        rates: Rates {
            input,
            cached_input: cached.or(base.cached).unwrap_or(input),
            cache_write: write.or(base.write).unwrap_or(input),
            output: output.unwrap_or(base.output),
        },
    })))
}

/// Dollars per token, as the map writes them, to micro-cents per million tokens: exactly,
/// rounded half up to a whole micro-cent, within [`MAX_PRICE`].
pub fn per_token_to_per_mtok(dollars: f64) -> Result<MicroCents, &'static str> {
    if !dollars.is_finite() {
        return Err("is not a number");
    }
    if dollars < 0.0 {
        return Err("must be 0 or more");
    }
    if dollars == 0.0 {
        return Ok(MicroCents::ZERO);
    }
    // Display writes the shortest decimal that reads back as this float, never with an
    // exponent: the digits the map's author wrote.
    let text = format!("{dollars}");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    const TOO_LARGE: &str = "is more than $100,000 per million tokens";
    if whole != "0" {
        return Err(TOO_LARGE);
    }
    // 1 $/token is 10^14 micro-cents per million tokens: the first 14 decimals.
    let kept: String = frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(14)
        .collect();
    let mut micros: i64 = kept.parse().map_err(|_| "is not a number")?;
    if frac.as_bytes().get(14).is_some_and(|d| *d >= b'5') {
        micros += 1;
    }
    let micros = MicroCents::new(micros);
    if micros > MAX_PRICE {
        return Err(TOO_LARGE);
    }
    Ok(micros)
}

/// For each undated model, a pattern for its dated snapshots at the same price.
fn add_snapshot_patterns(candidates: &mut Vec<Candidate>) {
    let patterns: Vec<Candidate> = candidates
        .iter()
        .filter(|c| snapshot_base(&c.model).is_none())
        .filter_map(|c| {
            let model = clean_text(&format!("{}-*", c.model)).ok()?;
            Some(Candidate { model, ..c.clone() })
        })
        .collect();
    candidates.extend(patterns);
}

/// One candidate per provider and model: entries that give the same model the same price
/// collapse into the first; entries that disagree are all skipped (unpriced beats wrong).
fn dedupe(parsed: &mut Parsed) {
    let mut groups: BTreeMap<(String, String), Vec<Candidate>> = BTreeMap::new();
    for c in parsed.candidates.drain(..) {
        let key = (
            c.provider.to_ascii_lowercase(),
            c.model.to_ascii_lowercase(),
        );
        groups.entry(key).or_default().push(c);
    }
    for (_, group) in groups {
        let first = &group[0];
        let agree = group
            .iter()
            .all(|c| c.rates == first.rates && c.long_context == first.long_context);
        if agree {
            for c in &group[1..] {
                parsed.skipped.push(Skipped {
                    entry: c.entry.clone(),
                    reason: format!("`{}` has the same price as `{}`", c.model, first.entry),
                });
            }
            parsed.candidates.push(first.clone());
        } else {
            let names: Vec<&str> = group.iter().map(|c| c.entry.as_str()).collect();
            for c in &group {
                parsed.skipped.push(Skipped {
                    entry: c.entry.clone(),
                    reason: format!(
                        "`{}` is priced differently by {}",
                        c.model,
                        names.join(" and ")
                    ),
                });
            }
        }
    }
}

/// What an import from `from` on would do to the book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub new: Vec<Candidate>,
    /// The price in force at `from`, and the map's.
    pub changed: Vec<(Price, Candidate)>,
    pub unchanged: Vec<Candidate>,
    /// Changes the book cannot take from this date: it already has another price from it.
    pub conflicts: Vec<Skipped>,
}

impl Diff {
    /// The prices to add: the new and the changed.
    pub fn to_add(&self) -> impl Iterator<Item = &Candidate> {
        self.new.iter().chain(self.changed.iter().map(|(_, c)| c))
    }
}

/// Compares `candidates` with the prices of `book` in force at `from`. Adding the new and
/// changed ones from `from` on never touches an existing price, and a second import of the
/// same map finds everything unchanged.
pub fn diff(candidates: &[Candidate], book: &PriceBook, from: DateTime<Utc>) -> Diff {
    let mut diff = Diff::default();
    for c in candidates {
        match book.entry_at(&c.provider, &c.model, from) {
            None => diff.new.push(c.clone()),
            Some(p) if p.same_charges(&c.rates, &c.long_context) => {
                diff.unchanged.push(c.clone());
            }
            Some(p) if p.effective_from == from => diff.conflicts.push(Skipped {
                entry: c.entry.clone(),
                reason: format!(
                    "the book already has another price for `{}` from this date; \
                     import from a later date",
                    c.model
                ),
            }),
            Some(p) => diff.changed.push((p.clone(), c.clone())),
        }
    }
    diff
}

#[cfg(test)]
#[path = "price_import_tests.rs"]
mod tests;
