//! The price book table, imports waiting in the dashboard, and the models seen without a
//! price.

use super::{Conn, Sql};
use crate::domain::time::Month;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceRow {
    pub id: String,
    pub provider: String,
    pub model: String,
    pub effective_from: i64,
    pub input_micros_per_mtok: i64,
    pub cached_input_micros_per_mtok: i64,
    pub cache_write_micros_per_mtok: i64,
    pub output_micros_per_mtok: i64,
    pub source: String,
    pub created_at: i64,
    /// The long-context tier: all five set, or all five `None`.
    pub tier_above_tokens: Option<i64>,
    pub tier_input_micros_per_mtok: Option<i64>,
    pub tier_cached_input_micros_per_mtok: Option<i64>,
    pub tier_cache_write_micros_per_mtok: Option<i64>,
    pub tier_output_micros_per_mtok: Option<i64>,
}

const COLUMNS: &str = "id, provider, model, effective_from, input_micros_per_mtok, \
    cached_input_micros_per_mtok, cache_write_micros_per_mtok, output_micros_per_mtok, source, \
    created_at, tier_above_tokens, tier_input_micros_per_mtok, \
    tier_cached_input_micros_per_mtok, tier_cache_write_micros_per_mtok, \
    tier_output_micros_per_mtok";
const COLUMN_COUNT: usize = 15;

/// Rows per `INSERT`, within both dialects' parameter limits.
const INSERT_CHUNK: usize = 200;

/// Every price, by provider, model and date.
pub async fn list(conn: &mut Conn) -> Result<Vec<PriceRow>, sqlx::Error> {
    Sql::new(format!(
        "SELECT {COLUMNS} FROM model_prices ORDER BY provider, model, effective_from"
    ))
    .fetch_all(conn)
    .await
}

/// The prices of any of `providers` whose model is any of `names`, both compared as the
/// database lowercases them (the book matches names case-insensitively).
pub async fn for_names(
    conn: &mut Conn,
    providers: &[&str],
    names: &[&str],
) -> Result<Vec<PriceRow>, sqlx::Error> {
    let lowered = |sql: &mut Sql, values: &[&str]| {
        sql.push("(");
        for (i, v) in values.iter().enumerate() {
            sql.push(if i == 0 { "lower(" } else { ", lower(" })
                .bind(*v)
                .push(")");
        }
        sql.push(")");
    };
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM model_prices WHERE lower(provider) IN "
    ));
    lowered(&mut sql, providers);
    sql.push(" AND lower(model) IN ");
    lowered(&mut sql, names);
    sql.fetch_all(conn).await
}

/// The price of one provider, model and effective date.
pub async fn get(
    conn: &mut Conn,
    provider: &str,
    model: &str,
    effective_from: i64,
) -> Result<Option<PriceRow>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM model_prices WHERE provider = "
    ));
    sql.bind(provider)
        .push(" AND model = ")
        .bind(model)
        .push(" AND effective_from = ")
        .bind(effective_from);
    sql.fetch_optional(conn).await
}

fn bind_row(sql: &mut Sql, row: &PriceRow) {
    sql.push("(")
        .bind(row.id.as_str())
        .push(", ")
        .bind(row.provider.as_str())
        .push(", ")
        .bind(row.model.as_str())
        .push(", ")
        .bind(row.effective_from)
        .push(", ")
        .bind(row.input_micros_per_mtok)
        .push(", ")
        .bind(row.cached_input_micros_per_mtok)
        .push(", ")
        .bind(row.cache_write_micros_per_mtok)
        .push(", ")
        .bind(row.output_micros_per_mtok)
        .push(", ")
        .bind(row.source.as_str())
        .push(", ")
        .bind(row.created_at)
        .push(", ")
        .bind(row.tier_above_tokens)
        .push(", ")
        .bind(row.tier_input_micros_per_mtok)
        .push(", ")
        .bind(row.tier_cached_input_micros_per_mtok)
        .push(", ")
        .bind(row.tier_cache_write_micros_per_mtok)
        .push(", ")
        .bind(row.tier_output_micros_per_mtok)
        .push(")");
}

/// Adds a price, or replaces the one of the same provider, model and effective date.
/// Answers whether a row was replaced.
pub async fn upsert(conn: &mut Conn, row: &PriceRow) -> Result<bool, sqlx::Error> {
    let existing = get(conn, &row.provider, &row.model, row.effective_from).await?;
    let mut sql = Sql::new(format!("INSERT INTO model_prices ({COLUMNS}) VALUES "));
    bind_row(&mut sql, row);
    // Everything but the key, the id and the creation time of the first row.
    let updates: Vec<String> = COLUMNS
        .split(", ")
        .skip(4)
        .map(str::trim)
        .filter(|c| *c != "created_at")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    sql.push(" ON CONFLICT (provider, model, effective_from) DO UPDATE SET ")
        .push(&updates.join(", "));
    sql.execute(conn).await?;
    Ok(existing.is_some())
}

/// Adds new prices; a price of the same provider, model and date is an error (the import
/// checks for them first).
pub async fn insert_many(conn: &mut Conn, rows: &[PriceRow]) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(format!("INSERT INTO model_prices ({COLUMNS}) VALUES "));
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            bind_row(&mut sql, row);
        }
        debug_assert_eq!(sql.param_count(), chunk.len() * COLUMN_COUNT);
        sql.execute(conn).await?;
    }
    Ok(())
}

/// One company's unpriced events of one model in a month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnpricedRow {
    pub provider: String,
    pub model: String,
    pub unpriced_count: i64,
    pub unpriced_tokens: i64,
}

/// The models with unpriced events in `month`, one row per company and model.
pub async fn unpriced_in_month(
    conn: &mut Conn,
    month: Month,
) -> Result<Vec<UnpricedRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT provider, model, unpriced_count, unpriced_tokens FROM rollup_model_month \
         WHERE month = ",
    );
    sql.bind(month.key()).push(" AND unpriced_count > 0");
    sql.fetch_all(conn).await
}

/// A map uploaded in the dashboard, read, waiting to be applied.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub id: String,
    pub created_at: i64,
    pub effective_from: i64,
    pub file_name: String,
    pub source: String,
    /// Comma-separated.
    pub providers: String,
    /// The map as read, as JSON.
    pub candidates: String,
}

const DRAFT_COLUMNS: &str =
    "id, created_at, effective_from, file_name, source, providers, candidates";

pub async fn insert_draft(conn: &mut Conn, row: &DraftRow) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new(format!(
        "INSERT INTO price_import_drafts ({DRAFT_COLUMNS}) VALUES ("
    ));
    sql.bind(row.id.as_str())
        .push(", ")
        .bind(row.created_at)
        .push(", ")
        .bind(row.effective_from)
        .push(", ")
        .bind(row.file_name.as_str())
        .push(", ")
        .bind(row.source.as_str())
        .push(", ")
        .bind(row.providers.as_str())
        .push(", ")
        .bind(row.candidates.as_str())
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

pub async fn get_draft(conn: &mut Conn, id: &str) -> Result<Option<DraftRow>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {DRAFT_COLUMNS} FROM price_import_drafts WHERE id = "
    ));
    sql.bind(id);
    sql.fetch_optional(conn).await
}

/// Deletes one draft; answers whether it was there.
pub async fn delete_draft(conn: &mut Conn, id: &str) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM price_import_drafts WHERE id = ");
    sql.bind(id);
    sql.execute(conn).await.map(|n| n > 0)
}

/// Deletes the drafts made before `before_ms`.
pub async fn delete_drafts_before(conn: &mut Conn, before_ms: i64) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM price_import_drafts WHERE created_at < ");
    sql.bind(before_ms);
    sql.execute(conn).await.map(|_| ())
}
