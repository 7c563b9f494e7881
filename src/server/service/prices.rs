//! The price book as the service keeps it: listing it, adding or changing a price, and the
//! models events named this month that it did not price. The rules (matching, cost math)
//! are `domain::pricing`; here are the conversions between its types, the rows and the
//! wire.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Service;
use crate::{
    domain::{
        audit::{Actor, Change, Target},
        clean_text,
        event::MAX_TOKENS,
        money::{MicroCents, Tokens},
        pricing::{MAX_PRICE, Price, PriceBook, Rates, Tier, names_matching},
        time::{Month, from_ms, parse_instant},
    },
    model::{FieldError, LongContextPrice, ModelPrice, UnpricedModel},
    server::{
        error::{AppError, AppResult},
        store::{
            Conn, audit,
            prices::{self, PriceRow},
        },
    },
};

/// Largest token threshold of a long-context price: the most tokens one event may have.
const MAX_THRESHOLD: i64 = MAX_TOKENS.get();

/// The whole book, for lookups.
pub async fn load_book(conn: &mut Conn) -> AppResult<PriceBook> {
    let rows = prices::list(conn).await?;
    rows.iter()
        .map(price_of)
        .collect::<AppResult<Vec<_>>>()
        .map(PriceBook::new)
}

/// The part of the book that can price these (provider, model) pairs: for them, the same
/// answers as the whole book, without reading every price on ingest's hot path.
pub async fn load_book_for<'a>(
    conn: &mut Conn,
    wanted: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> AppResult<PriceBook> {
    let mut providers = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (provider, model) in wanted {
        providers.insert(provider);
        names.extend(names_matching(model));
    }
    if providers.is_empty() {
        return Ok(PriceBook::default());
    }
    let providers: Vec<&str> = providers.into_iter().collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let rows = prices::for_names(conn, &providers, &names).await?;
    rows.iter()
        .map(price_of)
        .collect::<AppResult<Vec<_>>>()
        .map(PriceBook::new)
}

pub(super) fn price_of(row: &PriceRow) -> AppResult<Price> {
    let rates = |input, cached_input, cache_write, output| Rates {
        input: MicroCents::new(input),
        cached_input: MicroCents::new(cached_input),
        cache_write: MicroCents::new(cache_write),
        output: MicroCents::new(output),
    };
    let long_context = match (
        row.tier_above_tokens,
        row.tier_input_micros_per_mtok,
        row.tier_cached_input_micros_per_mtok,
        row.tier_cache_write_micros_per_mtok,
        row.tier_output_micros_per_mtok,
    ) {
        (None, None, None, None, None) => None,
        (Some(above), Some(input), Some(cached), Some(write), Some(output)) => Some(Tier {
            above: Tokens::new(above),
            rates: rates(input, cached, write, output),
        }),
        _ => {
            return Err(AppError::internal(format!(
                "price {} has part of a long-context tier",
                row.id
            )));
        }
    };
    Ok(Price {
        id: row.id.clone(),
        provider: row.provider.clone(),
        model: row.model.clone(),
        effective_from: from_ms(row.effective_from),
        rates: rates(
            row.input_micros_per_mtok,
            row.cached_input_micros_per_mtok,
            row.cache_write_micros_per_mtok,
            row.output_micros_per_mtok,
        ),
        long_context,
        source: row.source.clone(),
    })
}

pub(super) fn row_of(price: &Price, created_at: DateTime<Utc>) -> PriceRow {
    let tier = price.long_context.as_ref();
    let rate = |f: fn(&Rates) -> MicroCents| tier.map(|t| f(&t.rates).get());
    PriceRow {
        id: price.id.clone(),
        provider: price.provider.clone(),
        model: price.model.clone(),
        effective_from: price.effective_from.timestamp_millis(),
        input_micros_per_mtok: price.rates.input.get(),
        cached_input_micros_per_mtok: price.rates.cached_input.get(),
        cache_write_micros_per_mtok: price.rates.cache_write.get(),
        output_micros_per_mtok: price.rates.output.get(),
        source: price.source.clone(),
        created_at: created_at.timestamp_millis(),
        tier_above_tokens: tier.map(|t| t.above.get()),
        tier_input_micros_per_mtok: rate(|r| r.input),
        tier_cached_input_micros_per_mtok: rate(|r| r.cached_input),
        tier_cache_write_micros_per_mtok: rate(|r| r.cache_write),
        tier_output_micros_per_mtok: rate(|r| r.output),
    }
}

pub(super) fn long_context_model(tier: &Option<Tier>) -> Option<LongContextPrice> {
    tier.as_ref().map(|t| LongContextPrice {
        above_input_tokens: t.above.get(),
        input_micro_cents_per_m_tok: t.rates.input.get(),
        cached_input_micro_cents_per_m_tok: t.rates.cached_input.get(),
        cache_write_micro_cents_per_m_tok: t.rates.cache_write.get(),
        output_micro_cents_per_m_tok: t.rates.output.get(),
    })
}

pub(super) fn price_model(p: &Price) -> ModelPrice {
    ModelPrice {
        id: p.id.clone(),
        provider: p.provider.clone(),
        model: p.model.clone(),
        effective_from: p.effective_from,
        input_micro_cents_per_m_tok: p.rates.input.get(),
        cached_input_micro_cents_per_m_tok: p.rates.cached_input.get(),
        cache_write_micro_cents_per_m_tok: p.rates.cache_write.get(),
        output_micro_cents_per_m_tok: p.rates.output.get(),
        source: p.source.clone(),
        long_context: long_context_model(&p.long_context),
    }
}

/// A price as an operator submits it; amounts in micro-cents per million tokens.
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
    pub long_context: Option<LongContextInput>,
    pub source: Option<String>,
}

/// A long-context price as submitted: a rate not given is the base rate of that kind.
#[derive(Debug, Clone, Default)]
pub struct LongContextInput {
    pub above_input_tokens: Option<i64>,
    pub input: Option<i64>,
    pub cached_input: Option<i64>,
    pub cache_write: Option<i64>,
    pub output: Option<i64>,
}

/// Collects the problems of a submitted price, each under its API field name.
struct Check(Vec<FieldError>);

impl Check {
    fn text(&mut self, field: &str, value: &str) -> String {
        clean_text(value).unwrap_or_else(|m| {
            self.0.push(FieldError::new(field, m));
            String::new()
        })
    }

    /// A price within 0..=$100,000 per million tokens; `fallback` when not given.
    fn price(&mut self, field: &str, value: Option<i64>, fallback: Option<i64>) -> MicroCents {
        match value.or(fallback) {
            None => {
                self.0.push(FieldError::new(field, "is required"));
                MicroCents::ZERO
            }
            Some(v) if !(0..=MAX_PRICE.get()).contains(&v) => {
                self.0.push(FieldError::new(
                    field,
                    "must be 0 or more micro-cents per million tokens, at most $100,000",
                ));
                MicroCents::ZERO
            }
            Some(v) => MicroCents::new(v),
        }
    }
}

impl PriceInput {
    fn validate(self, now: DateTime<Utc>) -> AppResult<Price> {
        let mut check = Check(Vec::new());
        let provider = check.text("provider", &self.provider);
        let model = check.text("model", &self.model);
        if model == "*" {
            check.0.push(FieldError::new(
                "model",
                "must be a model name or a snapshot pattern like claude-opus-4-1-*",
            ));
        } else if model.trim_end_matches('*').contains('*') {
            check
                .0
                .push(FieldError::new("model", "may contain `*` only at the end"));
        }
        let effective_from = parse_instant(&self.effective_from).unwrap_or_else(|| {
            check.0.push(FieldError::new(
                "effectiveFrom",
                "must be an RFC 3339 timestamp or a YYYY-MM-DD date",
            ));
            now
        });
        let input = check.price("inputMicroCentsPerMTok", self.input, None);
        // Without a cache price, cached tokens cost what uncached ones do.
        let rates = Rates {
            input,
            cached_input: check.price(
                "cachedInputMicroCentsPerMTok",
                self.cached_input,
                Some(input.get()),
            ),
            cache_write: check.price(
                "cacheWriteMicroCentsPerMTok",
                self.cache_write,
                Some(input.get()),
            ),
            output: check.price("outputMicroCentsPerMTok", self.output, None),
        };
        let long_context = self.long_context.map(|t| {
            let above = match t.above_input_tokens {
                Some(n) if (1..=MAX_THRESHOLD).contains(&n) => n,
                _ => {
                    check.0.push(FieldError::new(
                        "longContext.aboveInputTokens",
                        format!("is required, from 1 to {MAX_THRESHOLD} tokens"),
                    ));
                    0
                }
            };
            let mut rate = |field: &str, value, base: MicroCents| {
                check.price(&format!("longContext.{field}"), value, Some(base.get()))
            };
            Tier {
                above: Tokens::new(above),
                rates: Rates {
                    input: rate("inputMicroCentsPerMTok", t.input, rates.input),
                    cached_input: rate(
                        "cachedInputMicroCentsPerMTok",
                        t.cached_input,
                        rates.cached_input,
                    ),
                    cache_write: rate(
                        "cacheWriteMicroCentsPerMTok",
                        t.cache_write,
                        rates.cache_write,
                    ),
                    output: rate("outputMicroCentsPerMTok", t.output, rates.output),
                },
            }
        });
        let source = match self.source.as_deref().map(str::trim) {
            None | Some("") => "set by an operator".to_owned(),
            Some(s) => check.text("source", s),
        };
        if !check.0.is_empty() {
            return Err(AppError::invalid_fields(check.0));
        }
        Ok(Price {
            id: Uuid::now_v7().to_string(),
            provider,
            model,
            effective_from,
            rates,
            long_context,
            source,
        })
    }
}

impl Service {
    pub async fn list_prices(&self) -> AppResult<Vec<ModelPrice>> {
        let mut conn = self.db.read_conn().await?;
        let book = load_book(&mut conn).await?;
        Ok(book.prices().iter().map(price_model).collect())
    }

    /// Adds a price, or replaces the one with the same provider, model and effective date.
    /// Answers the price and whether it was new.
    pub async fn put_price(
        &self,
        input: PriceInput,
        actor: &Actor,
    ) -> AppResult<(ModelPrice, bool)> {
        let now = self.now();
        let row = row_of(&input.validate(now)?, now);
        let mut tx = self.db.begin_write().await?;
        let old = prices::get(&mut tx, &row.provider, &row.model, row.effective_from).await?;
        let replaced = prices::upsert(&mut tx, &row).await?;
        let stored = prices::get(&mut tx, &row.provider, &row.model, row.effective_from)
            .await?
            .ok_or_else(|| AppError::internal("price vanished after upsert"))?;
        let price = price_model(&price_of(&stored)?);
        let name = format!(
            "{}/{} from {}",
            price.provider,
            price.model,
            price.effective_from.date_naive()
        );
        let action = if replaced {
            "price.updated"
        } else {
            "price.created"
        };
        let mut change = Change::new(action, Target::new("price", &price.id, name)).after(&price);
        if let Some(old) = old {
            change = change.before(price_model(&price_of(&old)?));
        }
        audit::record(&mut tx, None, actor, now, &change).await?;
        tx.commit().await?;
        Ok((price, !replaced))
    }

    /// The models events named this month (UTC) that nothing in the book priced, most
    /// tokens first: what to add a price for.
    pub async fn unpriced_models(&self) -> AppResult<Vec<UnpricedModel>> {
        let mut conn = self.db.read_conn().await?;
        let rows = prices::unpriced_in_month(&mut conn, Month::of(self.now())).await?;
        // Summed here, per model over every company: each company's counts fit in 64 bits,
        // their sum need not (it is only shown, so it saturates).
        let mut models: std::collections::BTreeMap<(String, String), (i64, i64)> =
            Default::default();
        for r in rows {
            let sums = models.entry((r.provider, r.model)).or_default();
            sums.0 = sums.0.saturating_add(r.unpriced_count);
            sums.1 = sums.1.saturating_add(r.unpriced_tokens);
        }
        let mut list: Vec<UnpricedModel> = models
            .into_iter()
            .map(|((provider, model), (events, tokens))| UnpricedModel {
                provider,
                model,
                events,
                tokens,
            })
            .collect();
        list.sort_by(|a, b| b.tokens.cmp(&a.tokens).then(b.events.cmp(&a.events)));
        Ok(list)
    }
}
