//! Importing LiteLLM's price map into the book: a dry run (the default) answers the diff
//! and changes nothing; an apply adds the new and changed prices from a date on, in one
//! transaction, never touching a price already there. The same code serves the REST API,
//! `costline prices import` and the dashboard, whose uploads wait as drafts until applied
//! so the page can show the diff first, with or without JavaScript.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{
    Service,
    prices::{load_book, long_context_model, price_model, row_of},
};
use crate::{
    domain::{
        audit::{Actor, Change, Target},
        clean_text,
        price_import::{self, Candidate, DEFAULT_PROVIDERS, Diff, Parsed, diff},
        pricing::Price,
        time::{Day, from_ms, parse_instant},
    },
    model::{FieldError, ImportedPrice, PriceChange, PriceImportReport, SkippedEntry},
    server::{
        error::{AppError, AppResult},
        store::{
            Db, audit,
            prices::{self, DraftRow},
        },
    },
};

/// How long an uploaded map waits in the dashboard.
const DRAFT_HOURS: i64 = 24;

/// How to import, as given (each may be empty).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The file's name, for the default source and the report.
    pub file_name: String,
    /// Costline provider names, comma-separated; default: [`DEFAULT_PROVIDERS`].
    pub providers: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339; default: today, 00:00 UTC.
    pub effective_from: Option<String>,
    /// Recorded with each added price; default: the file's name and today's date.
    pub source: Option<String>,
}

/// A map read, with what to do with it.
struct Plan {
    parsed: Parsed,
    providers: Vec<String>,
    effective_from: DateTime<Utc>,
    source: String,
    file_name: String,
}

fn plan(text: &str, options: ImportOptions, now: DateTime<Utc>) -> AppResult<Plan> {
    let mut errors = Vec::new();
    let mut providers = BTreeSet::new();
    for name in options.providers.as_deref().unwrap_or_default().split(',') {
        if name.trim().is_empty() {
            continue;
        }
        match clean_text(name) {
            Ok(name) => {
                providers.insert(name.to_ascii_lowercase());
            }
            Err(m) => errors.push(FieldError::new("providers", m)),
        }
    }
    if providers.is_empty() {
        providers = DEFAULT_PROVIDERS.iter().map(|p| (*p).to_owned()).collect();
    }
    let effective_from = match options.effective_from.as_deref().map(str::trim) {
        None | Some("") => Day::of(now).start(),
        Some(s) => parse_instant(s).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "effectiveFrom",
                "must be an RFC 3339 timestamp or a YYYY-MM-DD date",
            ));
            now
        }),
    };
    let file_name = clean_text(&options.file_name).unwrap_or_else(|_| "price map".into());
    let source = match options.source.as_deref().map(str::trim) {
        None | Some("") => format!(
            "LiteLLM price map ({file_name}), imported {}",
            now.format("%Y-%m-%d")
        ),
        Some(s) => clean_text(s).unwrap_or_else(|m| {
            errors.push(FieldError::new("source", m));
            String::new()
        }),
    };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let parsed = price_import::parse(text, &providers).map_err(|errors| {
        AppError::invalid_fields(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.entry, e.message))
                .collect(),
        )
    })?;
    Ok(Plan {
        parsed,
        providers: providers.into_iter().collect(),
        effective_from,
        source,
        file_name,
    })
}

fn imported(c: &Candidate) -> ImportedPrice {
    ImportedPrice {
        entry: c.entry.clone(),
        provider: c.provider.clone(),
        model: c.model.clone(),
        input_micro_cents_per_m_tok: c.rates.input.get(),
        cached_input_micro_cents_per_m_tok: c.rates.cached_input.get(),
        cache_write_micro_cents_per_m_tok: c.rates.cache_write.get(),
        output_micro_cents_per_m_tok: c.rates.output.get(),
        long_context: long_context_model(&c.long_context),
    }
}

fn report(plan: &Plan, diff: &Diff, applied: bool, draft_id: Option<String>) -> PriceImportReport {
    let skipped = plan.parsed.skipped.iter().chain(&diff.conflicts);
    PriceImportReport {
        draft_id,
        file_name: plan.file_name.clone(),
        source: plan.source.clone(),
        providers: plan.providers.clone(),
        effective_from: plan.effective_from,
        applied,
        new: diff.new.iter().map(imported).collect(),
        changed: diff
            .changed
            .iter()
            .map(|(before, after)| PriceChange {
                before: price_model(before),
                after: imported(after),
            })
            .collect(),
        unchanged: diff.unchanged.iter().map(imported).collect(),
        skipped: skipped
            .map(|s| SkippedEntry {
                entry: s.entry.clone(),
                reason: s.reason.clone(),
            })
            .collect(),
        other_providers: i64::try_from(plan.parsed.other_providers).unwrap_or(i64::MAX),
    }
}

/// The diff of `plan` against the book, read without taking the write lock.
async fn dry_run(db: &Db, plan: &Plan, draft_id: Option<String>) -> AppResult<PriceImportReport> {
    let mut conn = db.read_conn().await?;
    let book = load_book(&mut conn).await?;
    let diff = diff(&plan.parsed.candidates, &book, plan.effective_from);
    Ok(report(plan, &diff, false, draft_id))
}

/// Adds what `plan` adds, in one transaction (which also deletes `draft`, if given).
async fn apply(
    db: &Db,
    now: DateTime<Utc>,
    plan: &Plan,
    draft: Option<&str>,
    actor: &Actor,
) -> AppResult<PriceImportReport> {
    let mut tx = db.begin_write().await?;
    // The diff is taken again inside the transaction: the book may have changed since the
    // dry run, and the unique (provider, model, date) key must never be hit.
    let book = load_book(&mut tx).await?;
    let diff = diff(&plan.parsed.candidates, &book, plan.effective_from);
    let rows: Vec<_> = diff
        .to_add()
        .map(|c| {
            let price = Price {
                id: Uuid::now_v7().to_string(),
                provider: c.provider.clone(),
                model: c.model.clone(),
                effective_from: plan.effective_from,
                rates: c.rates,
                long_context: c.long_context,
                source: plan.source.clone(),
            };
            row_of(&price, now)
        })
        .collect();
    prices::insert_many(&mut tx, &rows).await?;
    if !rows.is_empty() {
        let name = plan.file_name.clone();
        let target = Target::new("price_import", draft.unwrap_or("upload"), name);
        let after = ImportAudit {
            added: rows.len(),
            effective_from: plan.effective_from,
            providers: &plan.providers,
        };
        let change = Change::new("prices.imported", target).after(after);
        audit::record(&mut tx, None, actor, now, &change).await?;
    }
    if let Some(id) = draft {
        prices::delete_draft(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(report(plan, &diff, true, None))
}

/// What the trail keeps of an applied import.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportAudit<'a> {
    added: usize,
    effective_from: DateTime<Utc>,
    providers: &'a [String],
}

fn draft_plan(row: DraftRow) -> AppResult<Plan> {
    let parsed: Parsed = serde_json::from_str(&row.candidates)
        .map_err(|e| AppError::internal(format!("unreadable import draft {}: {e}", row.id)))?;
    Ok(Plan {
        parsed,
        providers: row.providers.split(',').map(str::to_owned).collect(),
        effective_from: from_ms(row.effective_from),
        source: row.source,
        file_name: row.file_name,
    })
}

fn no_draft() -> AppError {
    AppError::NotFound(
        "this import is no longer waiting (applied, or older than a day): upload the map again"
            .into(),
    )
}

impl Service {
    /// Imports a price map: the diff against the book, and with `apply` the new and changed
    /// prices added.
    pub async fn import_prices(
        &self,
        text: &str,
        options: ImportOptions,
        apply_it: bool,
        actor: &Actor,
    ) -> AppResult<PriceImportReport> {
        import_prices(&self.db, self.now(), text, options, apply_it, actor).await
    }

    /// Reads a map uploaded in the dashboard and keeps it as a draft, for the page to show
    /// its diff before it is applied. Answers the draft's id.
    pub async fn stage_price_import(
        &self,
        text: &str,
        options: ImportOptions,
    ) -> AppResult<String> {
        let now = self.now();
        let plan = plan(text, options, now)?;
        let row = DraftRow {
            id: Uuid::now_v7().to_string(),
            created_at: now.timestamp_millis(),
            effective_from: plan.effective_from.timestamp_millis(),
            file_name: plan.file_name,
            source: plan.source,
            providers: plan.providers.join(","),
            candidates: serde_json::to_string(&plan.parsed)
                .map_err(|e| AppError::internal(format!("import draft: {e}")))?,
        };
        let mut tx = self.db.begin_write().await?;
        let stale = now - Duration::hours(DRAFT_HOURS);
        prices::delete_drafts_before(&mut tx, stale.timestamp_millis()).await?;
        prices::insert_draft(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    /// The diff of a waiting draft against the book as it is now.
    pub async fn price_import_draft(&self, id: &str) -> AppResult<PriceImportReport> {
        let row = self.waiting_draft(id).await?;
        let id = row.id.clone();
        dry_run(&self.db, &draft_plan(row)?, Some(id)).await
    }

    /// Applies a waiting draft: adds what its diff shows now, and forgets the draft.
    pub async fn apply_price_import(
        &self,
        id: &str,
        actor: &Actor,
    ) -> AppResult<PriceImportReport> {
        let row = self.waiting_draft(id).await?;
        let id = row.id.clone();
        apply(&self.db, self.now(), &draft_plan(row)?, Some(&id), actor).await
    }

    async fn waiting_draft(&self, id: &str) -> AppResult<DraftRow> {
        let mut conn = self.db.read_conn().await?;
        let oldest = (self.now() - Duration::hours(DRAFT_HOURS)).timestamp_millis();
        prices::get_draft(&mut conn, id)
            .await?
            .filter(|r| r.created_at >= oldest)
            .ok_or_else(no_draft)
    }
}

/// [`Service::import_prices`] on a database, for `costline prices import`.
pub async fn import_prices(
    db: &Db,
    now: DateTime<Utc>,
    text: &str,
    options: ImportOptions,
    apply_it: bool,
    actor: &Actor,
) -> AppResult<PriceImportReport> {
    let plan = plan(text, options, now)?;
    if apply_it {
        apply(db, now, &plan, None, actor).await
    } else {
        dry_run(db, &plan, None).await
    }
}
