//! Per-month and per-day totals, kept in the same transaction as the events they sum, so
//! reports read a handful of rows however many events are stored.

use std::collections::BTreeMap;

use super::{Conn, Param, Sql};

/// Sums over a set of events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Metrics {
    pub cost_micros: i64,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
    pub event_count: i64,
    pub unpriced_count: i64,
    pub unpriced_tokens: i64,
}

impl Metrics {
    pub fn add(&mut self, other: &Metrics) {
        self.cost_micros += other.cost_micros;
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.event_count += other.event_count;
        self.unpriced_count += other.unpriced_count;
        self.unpriced_tokens += other.unpriced_tokens;
    }
}

/// The row of one rollup table an event adds to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RollupKey {
    CompanyMonth {
        company_id: String,
        month: i64,
    },
    AgentMonth {
        agent_id: String,
        month: i64,
        company_id: String,
    },
    /// `project_id` is empty for spend without a project.
    ProjectMonth {
        company_id: String,
        month: i64,
        project_id: String,
    },
    ModelMonth {
        company_id: String,
        month: i64,
        provider: String,
        model: String,
    },
    CompanyDay {
        company_id: String,
        day: i64,
    },
}

impl RollupKey {
    /// Table, key columns and primary-key columns.
    fn shape(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::CompanyMonth { .. } => (
                "rollup_company_month",
                "company_id, month",
                "company_id, month",
            ),
            Self::AgentMonth { .. } => (
                "rollup_agent_month",
                "agent_id, month, company_id",
                "agent_id, month",
            ),
            Self::ProjectMonth { .. } => (
                "rollup_project_month",
                "company_id, month, project_id",
                "company_id, month, project_id",
            ),
            Self::ModelMonth { .. } => (
                "rollup_model_month",
                "company_id, month, provider, model",
                "company_id, month, provider, model",
            ),
            Self::CompanyDay { .. } => ("rollup_company_day", "company_id, day", "company_id, day"),
        }
    }

    fn values(&self) -> Vec<Param> {
        match self {
            Self::CompanyMonth { company_id, month } => {
                vec![company_id.as_str().into(), (*month).into()]
            }
            Self::AgentMonth {
                agent_id,
                month,
                company_id,
            } => vec![
                agent_id.as_str().into(),
                (*month).into(),
                company_id.as_str().into(),
            ],
            Self::ProjectMonth {
                company_id,
                month,
                project_id,
            } => vec![
                company_id.as_str().into(),
                (*month).into(),
                project_id.as_str().into(),
            ],
            Self::ModelMonth {
                company_id,
                month,
                provider,
                model,
            } => vec![
                company_id.as_str().into(),
                (*month).into(),
                provider.as_str().into(),
                model.as_str().into(),
            ],
            Self::CompanyDay { company_id, day } => {
                vec![company_id.as_str().into(), (*day).into()]
            }
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
/// rollup row, creating rows as needed. Deltas are grouped per
/// table and written with one multi-row upsert each.
pub async fn add(
    conn: &mut Conn,
    deltas: &BTreeMap<RollupKey, Metrics>,
) -> Result<(), sqlx::Error> {
    let mut by_table: BTreeMap<&'static str, Vec<(&RollupKey, &Metrics)>> = BTreeMap::new();
    for (key, metrics) in deltas {
        by_table
            .entry(key.shape().0)
            .or_default()
            .push((key, metrics));
    }
    for rows in by_table.values() {
        for chunk in rows.chunks(UPSERT_CHUNK) {
            upsert(conn, chunk).await?;
        }
    }
    Ok(())
}

async fn upsert(conn: &mut Conn, rows: &[(&RollupKey, &Metrics)]) -> Result<(), sqlx::Error> {
    let Some((first, _)) = rows.first() else {
        return Ok(());
    };
    let (table, key_columns, pk) = first.shape();
    let mut sql = Sql::new(format!(
        "INSERT INTO {table} ({key_columns}, {}) VALUES ",
        METRIC_COLUMNS.join(", ")
    ));
    for (i, (key, m)) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        for v in key.values() {
            sql.bind(v).push(", ");
        }
        sql.bind(m.cost_micros)
            .push(", ")
            .bind(m.input_tokens)
            .push(", ")
            .bind(m.cached_input_tokens)
            .push(", ")
            .bind(m.output_tokens)
            .push(", ")
            .bind(m.event_count)
            .push(", ")
            .bind(m.unpriced_count)
            .push(", ")
            .bind(m.unpriced_tokens)
            .push(")");
    }
    sql.push(&format!(" ON CONFLICT ({pk}) DO UPDATE SET "));
    for (i, column) in METRIC_COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("{column} = {table}.{column} + excluded.{column}"));
    }
    sql.execute(conn).await.map(|_| ())
}

/// Each company's totals over all time (every month of its rollup), for the overflow
/// bounds of the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CompanyTotalsRow {
    pub cost_micros: i64,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
}

pub async fn company_totals(
    conn: &mut Conn,
    company_ids: &[String],
) -> Result<Vec<(String, CompanyTotalsRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        company_id: String,
        #[sqlx(flatten)]
        totals: CompanyTotalsRow,
    }
    let mut sql = Sql::new(
        "SELECT company_id, CAST(SUM(cost_micros) AS BIGINT) AS cost_micros, \
         CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
         CAST(SUM(cached_input_tokens) AS BIGINT) AS cached_input_tokens, \
         CAST(SUM(output_tokens) AS BIGINT) AS output_tokens \
         FROM rollup_company_month WHERE company_id IN ",
    );
    sql.bind_list(company_ids).push(" GROUP BY company_id");
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.company_id, r.totals)).collect())
}
