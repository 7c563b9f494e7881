//! The price book: what a model costs per million tokens, and the cost of an event that was
//! reported without one. Prices are integers in micro-cents per million tokens; a computed
//! cost is rounded once, to the nearest micro-cent, and to cents only where cents are shown.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Service, budgets::CompanyState};
use crate::{
    domain::{
        event::RecordedEvent,
        money::{MicroCents, Tokens as TokenCount},
        rollup::{EventPlace, Metrics, RollupKey, keys_of},
        scope::ScopeType,
        time::{Day, Month, Window, from_ms, parse_instant},
    },
    model::{FieldError, ModelPrice, RepriceReport},
    server::{
        error::{AppError, AppResult},
        store::{
            Conn, events,
            pace::{self, Buckets},
            prices::{self, PriceRow},
            rollups,
        },
    },
};

/// Largest price accepted: $100,000 per million tokens.
const MAX_PRICE_MICROS: i64 = 100_000 * 100 * MicroCents::PER_CENT;

/// Token counts of one event, as the price book charges them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Every input token, cached reads and cache writes included.
    pub input: i64,
    pub cached_input: i64,
    pub cache_write: i64,
    pub output: i64,
}

/// The cost of `tokens` at `price`, in micro-cents: uncached input at the input rate, cache
/// reads at the cached rate, cache writes at the write rate (no token counted twice), output
/// at the output rate; rounded half up to a whole micro-cent, once.
pub fn cost_micros(price: &PriceRow, t: Tokens) -> i64 {
    let uncached = (t.input - t.cached_input - t.cache_write).max(0);
    let total = i128::from(uncached) * i128::from(price.input_micros_per_mtok)
        + i128::from(t.cached_input) * i128::from(price.cached_input_micros_per_mtok)
        + i128::from(t.cache_write) * i128::from(price.cache_write_micros_per_mtok)
        + i128::from(t.output) * i128::from(price.output_micros_per_mtok);
    let micros = (total + 500_000) / 1_000_000;
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// The whole price book, for lookups.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    prices: Vec<PriceRow>,
}

/// How closely a price-book model matches a model name: `None` if not at all; an exact
/// name beats any pattern, a longer pattern beats a shorter one.
fn specificity(entry: &str, model: &str) -> Option<(bool, usize)> {
    if let Some(prefix) = entry.strip_suffix('*') {
        model
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase())
            .then_some((false, prefix.len()))
    } else {
        entry
            .eq_ignore_ascii_case(model)
            .then_some((true, entry.len()))
    }
}

impl PriceBook {
    pub fn new(prices: Vec<PriceRow>) -> Self {
        Self { prices }
    }

    pub async fn load(conn: &mut Conn) -> Result<Self, sqlx::Error> {
        prices::list(conn).await.map(Self::new)
    }

    /// The price in force for `provider`/`model` at `at_ms`: of the most specific matching
    /// entry that has a price by then, the one with the latest effective date.
    pub fn find(&self, provider: &str, model: &str, at_ms: i64) -> Option<&PriceRow> {
        self.prices
            .iter()
            .filter(|p| p.provider.eq_ignore_ascii_case(provider) && p.effective_from <= at_ms)
            .filter_map(|p| Some((specificity(&p.model, model)?, p.effective_from, p)))
            .max_by_key(|(spec, from, _)| (*spec, *from))
            .map(|(_, _, p)| p)
    }
}

/// A price as an operator submits it.
#[derive(Debug, Clone, Default)]
pub struct PriceInput {
    pub provider: String,
    pub model: String,
    /// `YYYY-MM-DD` or RFC 3339.
    pub effective_from: String,
    pub input: Option<i64>,
    pub cached_input: Option<i64>,
    pub cache_write: Option<i64>,
    pub output: Option<i64>,
    pub source: Option<String>,
}

fn price_model(p: PriceRow) -> ModelPrice {
    ModelPrice {
        id: p.id,
        provider: p.provider,
        model: p.model,
        effective_from: from_ms(p.effective_from),
        input_micro_cents_per_m_tok: p.input_micros_per_mtok,
        cached_input_micro_cents_per_m_tok: p.cached_input_micros_per_mtok,
        cache_write_micro_cents_per_m_tok: p.cache_write_micros_per_mtok,
        output_micro_cents_per_m_tok: p.output_micros_per_mtok,
        source: p.source,
    }
}

impl PriceInput {
    fn validate(self, now: DateTime<Utc>) -> AppResult<PriceRow> {
        let mut errors = Vec::new();
        let provider = self.provider.trim().to_owned();
        let model = self.model.trim().to_owned();
        if provider.is_empty() {
            errors.push(FieldError::new("provider", "must not be empty"));
        }
        if model.is_empty() || model == "*" {
            errors.push(FieldError::new(
                "model",
                "must be a model name or a prefix pattern like claude-sonnet-4-*",
            ));
        } else if model.trim_end_matches('*').contains('*') {
            errors.push(FieldError::new("model", "may contain `*` only at the end"));
        }
        for (field, value) in [(&provider, "provider"), (&model, "model")] {
            if field.chars().count() > 200 {
                errors.push(FieldError::new(value, "must be at most 200 characters"));
            }
        }
        let effective_from = match parse_instant(&self.effective_from) {
            Some(t) => t.timestamp_millis(),
            None => {
                errors.push(FieldError::new(
                    "effectiveFrom",
                    "must be an RFC 3339 timestamp or a YYYY-MM-DD date",
                ));
                0
            }
        };
        let mut price = |field: &str, value: Option<i64>| match value {
            None => {
                errors.push(FieldError::new(field, "is required"));
                0
            }
            Some(v) if !(0..=MAX_PRICE_MICROS).contains(&v) => {
                errors.push(FieldError::new(
                    field,
                    "must be 0 or more micro-cents per million tokens, at most $100,000",
                ));
                0
            }
            Some(v) => v,
        };
        let input = price("inputMicroCentsPerMTok", self.input);
        let output = price("outputMicroCentsPerMTok", self.output);
        // Without a cache price, cached tokens cost what uncached ones do.
        let cached_input = price(
            "cachedInputMicroCentsPerMTok",
            self.cached_input.or(Some(input)),
        );
        let cache_write = price(
            "cacheWriteMicroCentsPerMTok",
            self.cache_write.or(Some(input)),
        );
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        Ok(PriceRow {
            id: Uuid::now_v7().to_string(),
            provider,
            model,
            effective_from,
            input_micros_per_mtok: input,
            cached_input_micros_per_mtok: cached_input,
            cache_write_micros_per_mtok: cache_write,
            output_micros_per_mtok: output,
            source: self
                .source
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "set by an operator".into()),
            created_at: now.timestamp_millis(),
        })
    }
}

impl Service {
    pub async fn list_prices(&self) -> AppResult<Vec<ModelPrice>> {
        let mut conn = self.db.read_conn().await?;
        Ok(prices::list(&mut conn)
            .await?
            .into_iter()
            .map(price_model)
            .collect())
    }

    /// Adds a price, or replaces the one with the same provider, model and effective date.
    /// Answers the price and whether it was new.
    pub async fn put_price(&self, input: PriceInput) -> AppResult<(ModelPrice, bool)> {
        let row = input.validate(self.now())?;
        let mut tx = self.db.begin_write().await?;
        let replaced = prices::upsert(&mut tx, &row).await?;
        let stored = prices::get(&mut tx, &row.provider, &row.model, row.effective_from)
            .await?
            .ok_or_else(|| AppError::internal("price vanished after upsert"))?;
        tx.commit().await?;
        Ok((price_model(stored), !replaced))
    }

    /// Prices the unpriced events of a window with today's price book. A dry run (the
    /// default) changes nothing and answers what would change; `apply` changes exactly that,
    /// with the rollups, and runs the budget rules, in one transaction.
    pub async fn reprice(
        &self,
        company_id: &str,
        q: &super::reports::WindowQuery,
        apply: bool,
    ) -> AppResult<RepriceReport> {
        let now = self.now();
        let window = Window::resolve(q.month.as_deref(), q.from.as_deref(), q.to.as_deref(), now)?;
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        let Some(_) = CompanyState::load(&mut tx, self.db.dialect, company_id, now).await? else {
            return Err(AppError::NotFound("company not found".into()));
        };
        let unpriced = events::unpriced_in(
            &mut tx,
            company_id,
            window.start,
            window.end,
            None,
            i64::MAX,
        )
        .await?;
        let book = PriceBook::load(&mut tx).await?;
        let mut deltas: BTreeMap<RollupKey, Metrics> = BTreeMap::new();
        let mut day_deltas = Buckets::new();
        let mut repriced = 0i64;
        let mut added = 0i64;
        for e in &unpriced {
            let Some(price) = book.find(&e.provider, &e.model, e.occurred_at.timestamp_millis())
            else {
                continue;
            };
            let cost = cost_micros(price, tokens_of(e));
            repriced += 1;
            added += cost;
            if apply {
                events::set_computed_cost(&mut tx, &e.id, MicroCents::new(cost), &price.id).await?;
                let delta = Metrics {
                    cost: MicroCents::new(cost),
                    unpriced_count: -1,
                    unpriced_tokens: TokenCount::new(
                        -(e.tokens.input.get() + e.tokens.output.get()),
                    ),
                    ..Metrics::default()
                };
                let place = EventPlace {
                    company_id: &e.company_id,
                    agent_id: &e.agent_id,
                    project_id: e.project_id.as_deref(),
                    provider: &e.provider,
                    model: &e.model,
                    month: Month::of(e.occurred_at),
                    day: Day::of(e.occurred_at),
                };
                for key in keys_of(&place) {
                    let sum = deltas.entry(key).or_default();
                    *sum = sum
                        .checked_add(&delta)
                        .map_err(|_| AppError::internal("overflow"))?;
                }
                // The forecast's day buckets follow; the guard's minutes count what ingest saw.
                let day = Day::of(e.occurred_at).number();
                let scopes = [
                    (ScopeType::Company, e.company_id.clone()),
                    (ScopeType::Agent, e.agent_id.clone()),
                    (ScopeType::Project, e.project_id.clone().unwrap_or_default()),
                ];
                for (kind, id) in scopes {
                    let sum = day_deltas
                        .entry((e.company_id.clone(), kind, id, day))
                        .or_default();
                    *sum = sum
                        .checked_add(MicroCents::new(cost))
                        .map_err(|_| AppError::internal("overflow"))?;
                }
            }
        }
        if apply {
            rollups::add(&mut tx, &deltas).await?;
            pace::add(&mut tx, &day_deltas, &Buckets::new()).await?;
            // The costs may push a scope over a budget this month: the rules run now.
            let mut state = CompanyState::load(&mut tx, self.db.dialect, company_id, now)
                .await?
                .ok_or_else(|| AppError::NotFound("company not found".into()))?;
            let settlement = state.settle(now);
            state.save(&mut tx, &settlement, month, now).await?;
            tx.commit().await?;
        }
        Ok(RepriceReport {
            company_id: company_id.to_owned(),
            window_start: window.start,
            window_end: window.end,
            applied: apply,
            unpriced_events: unpriced.len() as i64,
            repriced_events: repriced,
            still_unpriced_events: unpriced.len() as i64 - repriced,
            added_cents: MicroCents::new(added).to_cents().get(),
            added_micro_cents: added,
        })
    }
}

pub fn tokens_of(e: &RecordedEvent) -> Tokens {
    Tokens {
        input: e.tokens.input.get(),
        cached_input: e.tokens.cached_input.get(),
        cache_write: e.tokens.cache_write.get(),
        output: e.tokens.output.get(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(model: &str, from: i64, input: i64) -> PriceRow {
        PriceRow {
            id: format!("{model}@{from}"),
            provider: "anthropic".into(),
            model: model.into(),
            effective_from: from,
            input_micros_per_mtok: input,
            cached_input_micros_per_mtok: input / 10,
            cache_write_micros_per_mtok: input * 5 / 4,
            output_micros_per_mtok: input * 5,
            source: "test".into(),
            created_at: 0,
        }
    }

    #[test]
    fn exact_cents_from_tokens() {
        // Sonnet at $3 in / $15 out per million: the seed example's 15,000 + 3,000 tokens.
        let sonnet = price("claude-sonnet-4", 0, 300_000_000);
        let t = Tokens {
            input: 15_000,
            output: 3_000,
            ..Tokens::default()
        };
        assert_eq!(cost_micros(&sonnet, t), 9 * MicroCents::PER_CENT);
    }

    #[test]
    fn cached_tokens_are_charged_at_the_cached_rate_and_never_twice() {
        let sonnet = price("claude-sonnet-4", 0, 300_000_000);
        // 10,000 input of which 8,000 cache reads and 1,000 cache writes.
        let t = Tokens {
            input: 10_000,
            cached_input: 8_000,
            cache_write: 1_000,
            output: 0,
        };
        // 1,000 x 300 + 8,000 x 30 + 1,000 x 375 micro-cents.
        assert_eq!(cost_micros(&sonnet, t), 300_000 + 240_000 + 375_000);
    }

    #[test]
    fn sub_cent_costs_round_once_to_the_micro_cent() {
        // $0.075 per million tokens: 7.5 micro-cents a token.
        let cheap = price("cheap", 0, 7_500_000);
        let one = Tokens {
            input: 1,
            ..Tokens::default()
        };
        assert_eq!(cost_micros(&cheap, one), 8, "7.5 rounds half up");
        let t = Tokens {
            input: 1_001,
            ..Tokens::default()
        };
        assert_eq!(cost_micros(&cheap, t), 7_508);
    }

    #[test]
    fn exact_names_beat_patterns_and_dates_pick_the_price_in_force() {
        let book = PriceBook::new(vec![
            price("claude-sonnet-4-*", 1_000, 1),
            price("claude-*", 0, 9),
            price("claude-sonnet-4-20250514", 2_000, 2),
            price("claude-sonnet-4-20250514", 3_000, 3),
        ]);
        let id = |model: &str, at: i64| book.find("Anthropic", model, at).map(|p| p.id.clone());
        assert_eq!(
            id("claude-sonnet-4-20250514", 3_000).as_deref(),
            Some("claude-sonnet-4-20250514@3000")
        );
        assert_eq!(
            id("claude-sonnet-4-20250514", 2_999).as_deref(),
            Some("claude-sonnet-4-20250514@2000")
        );
        // Before the exact name has a price, the pattern applies.
        assert_eq!(
            id("claude-sonnet-4-20250514", 1_500).as_deref(),
            Some("claude-sonnet-4-*@1000")
        );
        // The longer pattern wins over the shorter one; before it exists, the shorter does.
        assert_eq!(
            id("claude-sonnet-4-99999999", 1_000).as_deref(),
            Some("claude-sonnet-4-*@1000")
        );
        assert_eq!(
            id("claude-sonnet-4-99999999", 999).as_deref(),
            Some("claude-*@0")
        );
        assert_eq!(id("gpt-5", 5_000), None);
        assert_eq!(
            book.find("openai", "claude-sonnet-4-20250514", 5_000)
                .map(|p| p.id.clone()),
            None
        );
    }
}
