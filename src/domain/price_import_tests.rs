//! The importer on a small map in LiteLLM's format (`tests/fixtures/litellm-prices-small.json`):
//! list prices of the models the issue names, as the `litellm` 1.110.2 map has them, plus
//! `claude-opus-4-1`, which that map no longer lists, at its list price from earlier maps
//! ($15 / $75), and entries that must be skipped or refused.

use super::*;
use crate::domain::pricing::{Usage, cost};

const SMALL: &str = include_str!("../../tests/fixtures/litellm-prices-small.json");

fn providers(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn parsed() -> Parsed {
    parse(SMALL, &providers(&DEFAULT_PROVIDERS)).expect("the fixture reads")
}

fn find<'a>(p: &'a Parsed, provider: &str, model: &str) -> &'a Candidate {
    p.candidates
        .iter()
        .find(|c| c.provider == provider && c.model == model)
        .unwrap_or_else(|| panic!("no candidate {provider}/{model}"))
}

fn m(v: i64) -> MicroCents {
    MicroCents::new(v)
}

fn rates(input: i64, cached: i64, write: i64, output: i64) -> Rates {
    Rates {
        input: m(input),
        cached_input: m(cached),
        cache_write: m(write),
        output: m(output),
    }
}

#[test]
fn dollars_per_token_become_exact_micro_cents_per_million() {
    let p = |d: f64| per_token_to_per_mtok(d);
    assert_eq!(p(3e-06), Ok(m(300_000_000)));
    assert_eq!(p(1.25e-07), Ok(m(12_500_000)));
    assert_eq!(p(7.5e-08), Ok(m(7_500_000)));
    assert_eq!(p(5e-09), Ok(m(500_000)));
    assert_eq!(p(0.0), Ok(MicroCents::ZERO));
    assert_eq!(p(-0.0), Ok(MicroCents::ZERO));
    // Float noise is rounded away; a 15th decimal of 5 or more rounds up.
    assert_eq!(p(2.9999900000000002e-06), Ok(m(299_999_000)));
    assert_eq!(p(1.5e-14), Ok(m(2)));
    assert_eq!(p(1.4e-14), Ok(m(1)));
    // $0.1 per token is $100,000 per million: the most a price may be.
    assert_eq!(p(0.1), Ok(m(10_000_000_000_000)));
    assert!(p(0.100_000_1).is_err());
    assert!(p(2.0).is_err());
    assert!(p(1e300).is_err());
    assert_eq!(p(-1e-06), Err("must be 0 or more"));
    assert!(p(f64::NAN).is_err());
}

#[test]
fn the_named_models_get_the_maps_list_prices() {
    let p = parsed();
    let opus41 = find(&p, "anthropic", "claude-opus-4-1");
    assert_eq!(
        opus41.rates,
        rates(1_500_000_000, 150_000_000, 1_875_000_000, 7_500_000_000)
    );
    let opus45 = rates(500_000_000, 50_000_000, 625_000_000, 2_500_000_000);
    for model in [
        "claude-opus-4-5",
        "claude-opus-4-5-20251101",
        "claude-opus-4-6",
        "claude-opus-4-7",
        "claude-opus-5",
    ] {
        assert_eq!(find(&p, "anthropic", model).rates, opus45, "{model}");
    }
    assert_eq!(
        find(&p, "anthropic", "claude-haiku-4-5").rates,
        rates(100_000_000, 10_000_000, 125_000_000, 500_000_000)
    );
    assert_eq!(
        find(&p, "anthropic", "claude-sonnet-5").rates,
        rates(200_000_000, 20_000_000, 250_000_000, 1_000_000_000)
    );
    // OpenAI and Google charge no cache-write surcharge: the input price.
    assert_eq!(
        find(&p, "openai", "gpt-5.1").rates,
        rates(125_000_000, 12_500_000, 125_000_000, 1_000_000_000)
    );
    assert_eq!(
        find(&p, "openai", "gpt-5.2").rates,
        rates(175_000_000, 17_500_000, 175_000_000, 1_400_000_000)
    );
    // Gemini under Costline's name for the provider, without LiteLLM's prefix; the cached
    // prices the old seed had wrong.
    let cached = |model| find(&p, "google", model).rates.cached_input;
    assert_eq!(cached("gemini-2.5-pro"), m(12_500_000));
    assert_eq!(cached("gemini-2.5-flash"), m(3_000_000));
    assert_eq!(cached("gemini-2.5-flash-lite"), m(1_000_000));
    // Embeddings have no output price.
    assert_eq!(
        find(&p, "openai", "text-embedding-3-small").rates,
        rates(2_000_000, 2_000_000, 2_000_000, 0)
    );
    assert_eq!(
        find(&p, "openai", "noisy-float-model").rates,
        rates(299_999_000, 299_999_000, 299_999_000, 1_500_002_000)
    );
}

#[test]
fn the_200k_tier_becomes_the_long_context_price() {
    let p = parsed();
    let pro = find(&p, "google", "gemini-2.5-pro");
    // No cache-write price in the map: above the threshold it is the tier's input price.
    assert_eq!(
        pro.long_context,
        Some(Tier {
            above: Tokens::new(200_000),
            rates: rates(250_000_000, 25_000_000, 250_000_000, 1_500_000_000),
        })
    );
    assert_eq!(find(&p, "google", "gemini-2.5-flash").long_context, None);
}

#[test]
fn undated_models_price_their_snapshots_and_nothing_else() {
    let p = parsed();
    let pattern = find(&p, "anthropic", "claude-opus-4-5-*");
    assert_eq!(pattern.entry, "claude-opus-4-5");
    assert!(p.candidates.iter().all(|c| c.model != "claude-opus-4-*"));
    // Dated entries give no pattern of their own.
    assert!(
        p.candidates
            .iter()
            .all(|c| c.model != "claude-opus-4-1-20250805-*")
    );
    assert_eq!(p.candidates.len(), 30, "16 models and 14 snapshot patterns");
}

#[test]
fn what_cannot_be_priced_is_skipped_with_a_reason() {
    let p = parsed();
    let reason = |entry: &str| -> Vec<String> {
        p.skipped
            .iter()
            .filter(|s| s.entry == entry)
            .map(|s| s.reason.clone())
            .collect()
    };
    assert_eq!(
        reason("dall-e-3"),
        vec!["mode `image_generation` is not priced per token"]
    );
    assert_eq!(reason("openai/container"), vec!["no price per input token"]);
    assert!(reason("two-tier-model")[0].contains("several long-context tiers"));
    // Two entries name the same model: the same price collapses, different prices skip both.
    assert_eq!(
        reason("gemini/gemini-2.5-flash-lite").len(),
        2,
        "model and its pattern"
    );
    assert!(reason("gemini-exp-1206")[0].contains("priced differently"));
    assert!(reason("gemini/gemini-exp-1206")[0].contains("priced differently"));
    assert!(
        p.candidates
            .iter()
            .all(|c| !c.model.starts_with("gemini-exp"))
    );
    assert_eq!(p.skipped.len(), 7);
    // sample_spec, mistral and Vertex's Anthropic models: not the chosen providers.
    assert_eq!(p.other_providers, 3);
    let mistral = parse(SMALL, &providers(&["mistral"])).expect("reads");
    assert_eq!(mistral.candidates[0].model, "mistral-large-latest");
}

#[test]
fn a_bad_price_or_name_refuses_the_file_naming_the_entry() {
    let refused = |text: &str| parse(text, &providers(&DEFAULT_PROVIDERS)).expect_err("refused");
    let e = refused(r#"{"m": {"litellm_provider": "openai", "input_cost_per_token": -1e-6}}"#);
    assert_eq!(e[0].entry, "m");
    assert_eq!(e[0].message, "`input_cost_per_token` must be 0 or more");
    let e = refused(r#"{"m": {"litellm_provider": "openai", "input_cost_per_token": "0.1"}}"#);
    assert!(e[0].message.contains("must be a number"));
    let e = refused(
        r#"{"a*": {"litellm_provider": "openai", "input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}}"#,
    );
    assert_eq!(e[0].entry, "a*");
    let e = refused("{\"a\\u0000b\": {\"litellm_provider\": \"openai\"}}");
    assert!(e[0].message.contains("control characters"));
    let e = refused(r#"{"ok": "#);
    assert_eq!(e[0].entry, WHOLE_FILE);
    assert!(e[0].message.starts_with("is not valid JSON"));
    assert_eq!(refused("[1, 2]")[0].entry, WHOLE_FILE);
    // A bad entry of a provider not chosen is not read at all.
    let other = r#"{"x": {"litellm_provider": "mistral", "input_cost_per_token": -1}}"#;
    assert_eq!(
        parse(other, &providers(&DEFAULT_PROVIDERS)).map(|p| p.other_providers),
        Ok(1)
    );
}

fn book_of(p: &Parsed, from: DateTime<Utc>) -> PriceBook {
    PriceBook::new(
        p.candidates
            .iter()
            .enumerate()
            .map(|(i, c)| Price {
                id: i.to_string(),
                provider: c.provider.clone(),
                model: c.model.clone(),
                effective_from: from,
                rates: c.rates,
                long_context: c.long_context,
                source: "test".into(),
            })
            .collect(),
    )
}

fn day(s: &str) -> DateTime<Utc> {
    crate::domain::time::parse_instant(s).expect("a date")
}

#[test]
fn a_second_import_finds_everything_unchanged_and_a_new_price_is_a_change() {
    let p = parsed();
    let first = diff(&p.candidates, &PriceBook::default(), day("2026-11-15"));
    assert_eq!((first.new.len(), first.to_add().count()), (30, 30));
    let mut book = book_of(&p, day("2026-11-15"));
    let again = diff(&p.candidates, &book, day("2026-11-16"));
    assert_eq!(
        (again.new.len(), again.changed.len(), again.unchanged.len()),
        (0, 0, 30)
    );
    // Before the book's prices start, everything is new.
    assert_eq!(diff(&p.candidates, &book, day("2026-11-14")).new.len(), 30);
    let mut prices = book.prices().to_vec();
    let old = prices
        .iter_mut()
        .find(|x| x.model == "gpt-5.1")
        .expect("in the book");
    old.rates.cached_input = m(31_000_000);
    book = PriceBook::new(prices);
    let later = diff(&p.candidates, &book, day("2026-12-01"));
    assert_eq!(later.changed.len(), 1);
    assert_eq!(later.changed[0].0.rates.cached_input, m(31_000_000));
    assert_eq!(later.changed[0].1.rates.cached_input, m(12_500_000));
    // From the very date the book's price starts, it would be rewritten: refused.
    let same_day = diff(&p.candidates, &book, day("2026-11-15"));
    assert_eq!((same_day.changed.len(), same_day.conflicts.len()), (0, 1));
    assert_eq!(same_day.conflicts[0].entry, "gpt-5.1");
}

#[test]
fn with_the_maps_prices_opus_4_5_costs_a_third_of_opus_4_1() {
    let p = parsed();
    let book = book_of(&p, day("2025-01-01"));
    let usage = Usage {
        input: Tokens::new(120_000),
        cached_input: Tokens::new(80_000),
        cache_write: Tokens::new(10_000),
        output: Tokens::new(4_000),
    };
    let at = day("2026-11-15");
    let cost_of = |model: &str| {
        let price = book.find("anthropic", model, at).expect("priced");
        cost(price, &usage).expect("in range").get()
    };
    // 30,000 x $15 + 80,000 x $1.50 + 10,000 x $18.75 + 4,000 x $75 per million tokens.
    assert_eq!(cost_of("claude-opus-4-1-20250805"), 105_750_000);
    for model in [
        "claude-opus-4-5",
        "claude-opus-4-5-20251101",
        "claude-opus-4-7",
    ] {
        assert_eq!(cost_of(model) * 3, 105_750_000, "{model}");
    }
    // Nothing in the map names these: unpriced, not guessed.
    for unknown in ["claude-opus-4-8", "claude-opus-4-20250514", "gpt-5.3"] {
        let found = book
            .find("anthropic", unknown, at)
            .or(book.find("openai", unknown, at));
        assert_eq!(found, None, "{unknown}");
    }
}
