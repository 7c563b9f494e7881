//! Per-month and per-day totals, kept in the same transaction as the events they sum, so
//! reports read a handful of rows however many events are stored.

use std::collections::BTreeMap;

use super::{Conn, Param, Sql};
use crate::domain::{
    ledger::CompanyTotals,
    money::{MicroCents, Tokens},
    rollup::{Metrics, RollupKey},
};

/// [`Metrics`] as stored: seven integer columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct MetricsRow {
    pub cost_micros: i64,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
    pub event_count: i64,
    pub unpriced_count: i64,
    pub unpriced_tokens: i64,
}

impl From<MetricsRow> for Metrics {
    fn from(r: MetricsRow) -> Self {
        Self {
            cost: MicroCents::new(r.cost_micros),
            input_tokens: Tokens::new(r.input_tokens),
            cached_input_tokens: Tokens::new(r.cached_input_tokens),
            output_tokens: Tokens::new(r.output_tokens),
            event_count: r.event_count,
            unpriced_count: r.unpriced_count,
            unpriced_tokens: Tokens::new(r.unpriced_tokens),
        }
    }
}

/// Table, key columns and primary-key columns of a rollup.
fn shape(key: &RollupKey) -> (&'static str, &'static str, &'static str) {
    match key {
        RollupKey::CompanyMonth { .. } => (
            "rollup_company_month",
            "company_id, month",
            "company_id, month",
        ),
        RollupKey::AgentMonth { .. } => (
            "rollup_agent_month",
            "agent_id, month, company_id",
            "agent_id, month",
        ),
        RollupKey::ProjectMonth { .. } => (
            "rollup_project_month",
            "company_id, month, project_id",
            "company_id, month, project_id",
        ),
        RollupKey::ModelMonth { .. } => (
            "rollup_model_month",
            "company_id, month, provider, model",
            "company_id, month, provider, model",
        ),
        RollupKey::CompanyDay { .. } => {
            ("rollup_company_day", "company_id, day", "company_id, day")
        }
    }
}

fn values(key: &RollupKey) -> Vec<Param> {
    match key {
        RollupKey::CompanyMonth { company_id, month } => {
            vec![company_id.as_str().into(), month.key().into()]
        }
        RollupKey::AgentMonth {
            agent_id,
            month,
            company_id,
        } => vec![
            agent_id.as_str().into(),
            month.key().into(),
            company_id.as_str().into(),
        ],
        // Spend without a project is stored under the empty project id.
        RollupKey::ProjectMonth {
            company_id,
            month,
            project_id,
        } => vec![
            company_id.as_str().into(),
            month.key().into(),
            project_id.as_deref().unwrap_or_default().into(),
        ],
        RollupKey::ModelMonth {
            company_id,
            month,
            provider,
            model,
        } => vec![
            company_id.as_str().into(),
            month.key().into(),
            provider.as_str().into(),
            model.as_str().into(),
        ],
        RollupKey::CompanyDay { company_id, day } => {
            vec![company_id.as_str().into(), day.number().into()]
        }
    }
}

const METRIC_COLUMNS: [&str; 7] = [
    "cost_micros",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "event_count",
    "unpriced_count",
    "unpriced_tokens",
];

/// Rows per statement, far below both dialects' parameter limits.
const UPSERT_CHUNK: usize = 400;

/// Adds each delta (negative ones too, when a reprice moves events out of "unpriced") to its
/// rollup row, creating rows as needed. Deltas are grouped per table and written with one
/// multi-row upsert each.
pub async fn add(
    conn: &mut Conn,
    deltas: &BTreeMap<RollupKey, Metrics>,
) -> Result<(), sqlx::Error> {
    let sqlite = super::is_sqlite(conn);
    Sql::execute_all(conn, upserts(sqlite, deltas)).await
}

/// The statements of [`add`] (see [`Sql::execute_all`]).
pub fn upserts(sqlite: bool, deltas: &BTreeMap<RollupKey, Metrics>) -> Vec<Sql> {
    let mut by_table: BTreeMap<&'static str, Vec<(&RollupKey, &Metrics)>> = BTreeMap::new();
    for (key, metrics) in deltas {
        by_table
            .entry(shape(key).0)
            .or_default()
            .push((key, metrics));
    }
    by_table
        .values()
        .flat_map(|rows| rows.chunks(UPSERT_CHUNK))
        .filter_map(|chunk| upsert(sqlite, chunk))
        .collect()
}

fn upsert(sqlite: bool, rows: &[(&RollupKey, &Metrics)]) -> Option<Sql> {
    let (first, _) = rows.first()?;
    let (table, key_columns, pk) = shape(first);
    let cells: Vec<Vec<Param>> = rows
        .iter()
        .map(|(key, m)| {
            let mut row = values(key);
            row.extend([
                m.cost.get().into(),
                m.input_tokens.get().into(),
                m.cached_input_tokens.get().into(),
                m.output_tokens.get().into(),
                m.event_count.into(),
                m.unpriced_count.into(),
                m.unpriced_tokens.get().into(),
            ]);
            row
        })
        .collect();
    let mut sql = Sql::new(format!(
        "INSERT INTO {table} ({key_columns}, {}) ",
        METRIC_COLUMNS.join(", ")
    ));
    sql.append(Sql::rows(sqlite, cells));
    sql.push(&format!(" ON CONFLICT ({pk}) DO UPDATE SET "));
    for (i, column) in METRIC_COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("{column} = {table}.{column} + excluded.{column}"));
    }
    Some(sql)
}

/// Each company's totals over all time (every month of its rollup), for the bounds of the
/// ledger (`domain::ledger`).
pub async fn company_totals(
    conn: &mut Conn,
    company_ids: &[String],
) -> Result<Vec<(String, CompanyTotals)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        company_id: String,
        cost_micros: i64,
        input_tokens: i64,
        cached_input_tokens: i64,
        output_tokens: i64,
    }
    let mut sql = Sql::new(
        "SELECT company_id, CAST(SUM(cost_micros) AS BIGINT) AS cost_micros, \
         CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
         CAST(SUM(cached_input_tokens) AS BIGINT) AS cached_input_tokens, \
         CAST(SUM(output_tokens) AS BIGINT) AS output_tokens \
         FROM rollup_company_month WHERE company_id IN ",
    );
    let sqlite = super::is_sqlite(conn);
    sql.bind_set(sqlite, company_ids)
        .push(" GROUP BY company_id");
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let totals = CompanyTotals {
                cost: MicroCents::new(r.cost_micros),
                input: Tokens::new(r.input_tokens),
                cached_input: Tokens::new(r.cached_input_tokens),
                output: Tokens::new(r.output_tokens),
            };
            (r.company_id, totals)
        })
        .collect())
}
