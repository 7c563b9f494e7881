//! The price book table.

use super::{Conn, Sql};

#[derive(Debug, Clone, sqlx::FromRow)]
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
}

const COLUMNS: &str = "id, provider, model, effective_from, input_micros_per_mtok, \
    cached_input_micros_per_mtok, cache_write_micros_per_mtok, output_micros_per_mtok, source, \
    created_at";

/// Every price, by provider, model and date.
pub async fn list(conn: &mut Conn) -> Result<Vec<PriceRow>, sqlx::Error> {
    Sql::new(format!(
        "SELECT {COLUMNS} FROM model_prices ORDER BY provider, model, effective_from"
    ))
    .fetch_all(conn)
    .await
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

/// Adds a price, or replaces the one of the same provider, model and effective date.
/// Answers whether a row was replaced.
pub async fn upsert(conn: &mut Conn, row: &PriceRow) -> Result<bool, sqlx::Error> {
    let existing = get(conn, &row.provider, &row.model, row.effective_from).await?;
    let mut sql = Sql::new(format!("INSERT INTO model_prices ({COLUMNS}) VALUES ("));
    sql.bind(row.id.as_str())
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
        .push(
            ") ON CONFLICT (provider, model, effective_from) DO UPDATE SET \
             input_micros_per_mtok = excluded.input_micros_per_mtok, \
             cached_input_micros_per_mtok = excluded.cached_input_micros_per_mtok, \
             cache_write_micros_per_mtok = excluded.cache_write_micros_per_mtok, \
             output_micros_per_mtok = excluded.output_micros_per_mtok, \
             source = excluded.source",
        );
    sql.execute(conn).await?;
    Ok(existing.is_some())
}
