//! Unit tests of [`super`]: the rules on fixed values.

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

/// Found by Schemathesis: a model name whose first character is more than one byte long
/// and as long as a date form panicked slicing at byte 1 (a 500 on ingest).
#[test]
fn model_names_of_any_characters_are_no_snapshot_and_do_not_panic() {
    for model in ["êùª", "Ôx\u{4101b}", "ééééé"] {
        assert_eq!(snapshot_base(model), None, "{model}");
        assert_eq!(names_matching(model), vec![model.to_owned()]);
    }
    assert_eq!(snapshot_base("é-1231"), Some("é"));
    assert_eq!(snapshot_base("日本-12-31"), Some("日本"));
}
