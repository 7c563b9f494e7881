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
    sql.fetch_all(conn).await
}
