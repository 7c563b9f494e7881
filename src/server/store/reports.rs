//! Report queries: totals over a window, grouped by company, agent, project, model or day.
//! Month-aligned windows read the monthly rollups, day-aligned ones the daily rollup, and
//! anything else sums the events themselves (indexed by company and time).

use super::{Conn, Sql};
use crate::server::{service::window, store::rollups::Metrics};

/// Where a report's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Monthly rollups, months `first..=last` (YYYYMM).
    Months { first: i64, last: i64 },
    /// The daily company rollup, days `first..=last` since the epoch.
    Days { first: i64, last: i64 },
    /// The events, `from_ms <= occurred_at < to_ms`.
    Events { from_ms: i64, to_ms: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Total,
    Agent,
    Project,
    Model,
    Day,
}

/// One group's totals. `k1`/`k2` are the group's key: agent id, project id (empty for
/// "no project"), provider and model, or the day number as text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub k1: String,
    pub k2: String,
    #[sqlx(flatten)]
    pub metrics: Metrics,
}

const ROLLUP_SUMS: &str = "CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost_micros, \
    CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
    CAST(COALESCE(SUM(cached_input_tokens), 0) AS BIGINT) AS cached_input_tokens, \
    CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
    CAST(COALESCE(SUM(event_count), 0) AS BIGINT) AS event_count, \
    CAST(COALESCE(SUM(unpriced_count), 0) AS BIGINT) AS unpriced_count, \
    CAST(COALESCE(SUM(unpriced_tokens), 0) AS BIGINT) AS unpriced_tokens";

const EVENT_SUMS: &str = "CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost_micros, \
    CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
    CAST(COALESCE(SUM(cached_input_tokens), 0) AS BIGINT) AS cached_input_tokens, \
    CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
    CAST(COUNT(*) AS BIGINT) AS event_count, \
    CAST(COALESCE(SUM(CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END), 0) AS BIGINT) \
    AS unpriced_count, \
    CAST(COALESCE(SUM(CASE WHEN cost_source = 'unpriced' THEN input_tokens + output_tokens \
    ELSE 0 END), 0) AS BIGINT) AS unpriced_tokens";

/// Totals of one company over `source`, grouped by `group`. Groups with no events are
/// absent (callers add the zero rows they need). Per-agent, per-project and per-model
/// totals have no daily rollup: over a day-aligned window they are summed from the events.
pub async fn grouped(
    conn: &mut Conn,
    company_id: &str,
    source: Source,
    group: Group,
) -> Result<Vec<GroupRow>, sqlx::Error> {
    grouped_sql(company_id, source, group).fetch_all(conn).await
}

/// One row per agent of a company, zero spend included: its state and its totals over
/// `source`, in one statement.
#[derive(Debug, Clone)]
pub struct AgentTotalsRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub pause_reason: Option<String>,
    pub budget_monthly_cents: i64,
    pub metrics: Metrics,
}

pub async fn agent_totals(
    conn: &mut Conn,
    company_id: &str,
    source: Source,
) -> Result<Vec<AgentTotalsRow>, sqlx::Error> {
    // The rows come back as one JSON document: SQLite hands each result row across a
    // thread boundary, which costs more than the query itself for a thousand agents.
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let (aggregate, close) = if sqlite {
        ("json_group_array(json_array(", "))")
    } else {
        ("json_agg(json_build_array(", "))::text")
    };
    let mut sql = Sql::new(format!(
        "SELECT COALESCE({aggregate}s.id, s.name, s.status, s.pause_reason, \
         s.budget_monthly_cents, COALESCE(t.cost_micros, 0), COALESCE(t.input_tokens, 0), \
         COALESCE(t.cached_input_tokens, 0), COALESCE(t.output_tokens, 0), \
         COALESCE(t.event_count, 0), COALESCE(t.unpriced_count, 0), \
         COALESCE(t.unpriced_tokens, 0){close}, '[]') AS doc FROM agents s LEFT JOIN "
    ));
    match source {
        // One month, the common case: each agent's rollup row by primary key, no grouping.
        Source::Months { first, last } if first == last => {
            sql.push("rollup_agent_month t ON t.agent_id = s.id AND t.month = ")
                .bind(first);
        }
        _ => {
            sql.push("(")
                .append(grouped_sql(company_id, source, Group::Agent))
                .push(") t ON t.k1 = s.id");
        }
    }
    sql.push(" WHERE s.company_id = ").bind(company_id);
    let (doc,): (String,) = sql
        .fetch_optional(conn)
        .await?
        .unwrap_or_else(|| ("[]".to_owned(),));
    type Tuple = (
        String,
        String,
        String,
        Option<String>,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let tuples: Vec<Tuple> =
        serde_json::from_str(&doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(tuples
        .into_iter()
        .map(|t| AgentTotalsRow {
            id: t.0,
            name: t.1,
            status: t.2,
            pause_reason: t.3,
            budget_monthly_cents: t.4,
            metrics: Metrics {
                cost_micros: t.5,
                input_tokens: t.6,
                cached_input_tokens: t.7,
                output_tokens: t.8,
                event_count: t.9,
                unpriced_count: t.10,
                unpriced_tokens: t.11,
            },
        })
        .collect())
}

fn grouped_sql(company_id: &str, source: Source, group: Group) -> Sql {
    let source = match (source, group) {
        (Source::Days { first, last }, Group::Agent | Group::Project | Group::Model) => {
            Source::Events {
                from_ms: first * window::DAY_MS,
                to_ms: (last + 1) * window::DAY_MS,
            }
        }
        (Source::Months { first, last }, Group::Day) => {
            let (first, last) = window::month_days(first, last);
            Source::Days { first, last }
        }
        (s, _) => s,
    };
    let (table, k1, k2, sums, time_column) = match (source, group) {
        (Source::Events { .. }, group) => {
            let (k1, k2) = match group {
                Group::Total => ("''", "''"),
                Group::Agent => ("agent_id", "''"),
                Group::Project => ("COALESCE(project_id, '')", "''"),
                Group::Model => ("provider", "model"),
                Group::Day => ("CAST(occurred_at / 86400000 AS TEXT)", "''"),
            };
            ("cost_events", k1, k2, EVENT_SUMS, "occurred_at")
        }
        // Only `Total` and `Day` reach the daily rollup (see the rewrite above).
        (_, Group::Day) => (
            "rollup_company_day",
            "CAST(day AS TEXT)",
            "''",
            ROLLUP_SUMS,
            "day",
        ),
        (Source::Days { .. }, _) => ("rollup_company_day", "''", "''", ROLLUP_SUMS, "day"),
        (Source::Months { .. }, group) => {
            let (table, k1, k2) = match group {
                Group::Agent => ("rollup_agent_month", "agent_id", "''"),
                Group::Project => ("rollup_project_month", "project_id", "''"),
                Group::Model => ("rollup_model_month", "provider", "model"),
                Group::Total | Group::Day => ("rollup_company_month", "''", "''"),
            };
            (table, k1, k2, ROLLUP_SUMS, "month")
        }
    };
    let mut sql = Sql::new(format!(
        "SELECT {k1} AS k1, {k2} AS k2, {sums} FROM {table} WHERE company_id = "
    ));
    sql.bind(company_id);
    match source {
        Source::Months { first, last } | Source::Days { first, last } => {
            sql.push(&format!(" AND {time_column} >= "))
                .bind(first)
                .push(&format!(" AND {time_column} <= "))
                .bind(last);
        }
        Source::Events { from_ms, to_ms } => {
            sql.push(" AND occurred_at >= ")
                .bind(from_ms)
                .push(" AND occurred_at < ")
                .bind(to_ms);
        }
    }
    // PostgreSQL refuses constants in GROUP BY: group by the real key columns only.
    let keys: Vec<&str> = [k1, k2].into_iter().filter(|k| *k != "''").collect();
    if !keys.is_empty() {
        sql.push(" GROUP BY ").push(&keys.join(", "));
    }
    sql
}
