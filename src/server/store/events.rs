//! The cost event ledger: append, look up by idempotency key, list newest first.

use super::{Conn, Sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub project_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub cached_input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub cost_source: String,
    pub occurred_at: i64,
    pub created_at: i64,
    pub event_key: Option<String>,
    pub fingerprint: Option<String>,
    pub price_id: Option<String>,
    pub cache_write_tokens: i64,
}

const COLUMNS: &str = "id, company_id, agent_id, project_id, provider, model, input_tokens, \
    cached_input_tokens, output_tokens, cost_micros, cost_source, occurred_at, created_at, \
    event_key, fingerprint, price_id, cache_write_tokens";
const COLUMN_COUNT: usize = 17;

/// Rows per `INSERT`: keeps statements under SQLite's and PostgreSQL's parameter limits.
const INSERT_CHUNK: usize = 500;

pub async fn insert_many(conn: &mut Conn, rows: &[EventRow]) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(format!("INSERT INTO cost_events ({COLUMNS}) VALUES "));
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(r.id.as_str())
                .push(", ")
                .bind(r.company_id.as_str())
                .push(", ")
                .bind(r.agent_id.as_str())
                .push(", ")
                .bind(r.project_id.clone())
                .push(", ")
                .bind(r.provider.as_str())
                .push(", ")
                .bind(r.model.as_str())
                .push(", ")
                .bind(r.input_tokens)
                .push(", ")
                .bind(r.cached_input_tokens)
                .push(", ")
                .bind(r.output_tokens)
                .push(", ")
                .bind(r.cost_micros)
                .push(", ")
                .bind(r.cost_source.as_str())
                .push(", ")
                .bind(r.occurred_at)
                .push(", ")
                .bind(r.created_at)
                .push(", ")
                .bind(r.event_key.clone())
                .push(", ")
                .bind(r.fingerprint.clone())
                .push(", ")
                .bind(r.price_id.clone())
                .push(", ")
                .bind(r.cache_write_tokens)
                .push(")");
        }
        debug_assert_eq!(sql.param_count(), chunk.len() * COLUMN_COUNT);
        sql.execute(conn).await?;
    }
    Ok(())
}

/// Events of any of `agents` stored under any of `keys` (a superset of the wanted
/// (agent, key) pairs, found through the per-agent key index).
pub async fn find_by_keys(
    conn: &mut Conn,
    agents: &[String],
    keys: &[String],
) -> Result<Vec<EventRow>, sqlx::Error> {
    if agents.is_empty() || keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM cost_events WHERE agent_id IN "
    ));
    sql.bind_list(agents)
        .push(" AND event_key IN ")
        .bind_list(keys);
    sql.fetch_all(conn).await
}

/// Which events to list. `project` is `Some(None)` for events without a project.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub company_id: String,
    pub agent_id: Option<String>,
    pub project: Option<Option<String>>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Continue after this (occurred_at, id), exclusive.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// Events newest first (by occurrence, then id), at most `limit`.
pub async fn list(conn: &mut Conn, q: &EventQuery) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM cost_events WHERE company_id = "
    ));
    sql.bind(q.company_id.as_str());
    if let Some(agent) = &q.agent_id {
        sql.push(" AND agent_id = ").bind(agent.as_str());
    }
    match &q.project {
        Some(Some(project)) => {
            sql.push(" AND project_id = ").bind(project.as_str());
        }
        Some(None) => {
            sql.push(" AND project_id IS NULL");
        }
        None => {}
    }
    if let Some(from) = q.from_ms {
        sql.push(" AND occurred_at >= ").bind(from);
    }
    if let Some(to) = q.to_ms {
        sql.push(" AND occurred_at < ").bind(to);
    }
    if let Some((at, id)) = &q.after {
        sql.push(" AND (occurred_at < ")
            .bind(*at)
            .push(" OR (occurred_at = ")
            .bind(*at)
            .push(" AND id < ")
            .bind(id.as_str())
            .push("))");
    }
    sql.push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
        .bind(q.limit);
    sql.fetch_all(conn).await
}

/// Unpriced events of a company with `from_ms <= occurred_at < to_ms`, oldest first.
pub async fn unpriced_in(
    conn: &mut Conn,
    company_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM cost_events WHERE company_id = "
    ));
    sql.bind(company_id)
        .push(" AND cost_source = 'unpriced' AND occurred_at >= ")
        .bind(from_ms)
        .push(" AND occurred_at < ")
        .bind(to_ms)
        .push(" ORDER BY occurred_at, id");
    sql.fetch_all(conn).await
}

/// Records a computed cost on an event that had none.
pub async fn set_computed_cost(
    conn: &mut Conn,
    id: &str,
    cost_micros: i64,
    price_id: &str,
) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE cost_events SET cost_source = 'computed', cost_micros = ");
    sql.bind(cost_micros)
        .push(", price_id = ")
        .bind(price_id)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND cost_source = 'unpriced'");
    sql.execute(conn).await.map(|_| ())
}
