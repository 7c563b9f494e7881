//! The cost event ledger: append, look up by idempotency key, list newest first, reprice.

use chrono::{DateTime, Utc};

use super::{Conn, Param, Sql, decode, from_ms};
use crate::domain::{
    event::{CostSource, RecordedEvent, TokenCounts},
    money::{MicroCents, Tokens},
    time::to_ms,
};

#[derive(Debug, Clone, sqlx::FromRow)]
struct EventRow {
    id: String,
    company_id: String,
    agent_id: String,
    project_id: Option<String>,
    provider: String,
    model: String,
    input_tokens: i64,
    cached_input_tokens: i64,
    output_tokens: i64,
    cost_micros: i64,
    cost_source: String,
    occurred_at: i64,
    created_at: i64,
    event_key: Option<String>,
    fingerprint: Option<String>,
    price_id: Option<String>,
    cache_write_tokens: i64,
}

impl EventRow {
    fn decode(self) -> Result<RecordedEvent, sqlx::Error> {
        let source = CostSource::parse(&self.cost_source).ok_or_else(|| {
            decode(format!(
                "event {}: unknown cost source {:?}",
                self.id, self.cost_source
            ))
        })?;
        Ok(RecordedEvent {
            id: self.id,
            company_id: self.company_id,
            agent_id: self.agent_id,
            project_id: self.project_id,
            provider: self.provider,
            model: self.model,
            tokens: TokenCounts {
                input: Tokens::new(self.input_tokens),
                cached_input: Tokens::new(self.cached_input_tokens),
                cache_write: Tokens::new(self.cache_write_tokens),
                output: Tokens::new(self.output_tokens),
            },
            cost: MicroCents::new(self.cost_micros),
            source,
            price_id: self.price_id,
            occurred_at: from_ms(self.occurred_at),
            created_at: from_ms(self.created_at),
            event_key: self.event_key,
            fingerprint: self.fingerprint,
        })
    }
}

fn decode_all(rows: Vec<EventRow>) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    rows.into_iter().map(EventRow::decode).collect()
}

const COLUMNS: &str = "id, company_id, agent_id, project_id, provider, model, input_tokens, \
    cached_input_tokens, output_tokens, cost_micros, cost_source, occurred_at, created_at, \
    event_key, fingerprint, price_id, cache_write_tokens";
const COLUMN_COUNT: usize = 17;

/// Rows per `INSERT`: keeps statements under SQLite's and PostgreSQL's parameter limits.
const INSERT_CHUNK: usize = 500;

/// The statements that append `events` to the ledger, for [`Sql::execute_all`].
pub fn inserts(sqlite: bool, events: &[RecordedEvent]) -> Vec<Sql> {
    let mut statements = Vec::with_capacity(events.len().div_ceil(INSERT_CHUNK));
    for chunk in events.chunks(INSERT_CHUNK) {
        let rows: Vec<Vec<Param>> = chunk
            .iter()
            .map(|e| {
                vec![
                    e.id.as_str().into(),
                    e.company_id.as_str().into(),
                    e.agent_id.as_str().into(),
                    e.project_id.clone().into(),
                    e.provider.as_str().into(),
                    e.model.as_str().into(),
                    e.tokens.input.get().into(),
                    e.tokens.cached_input.get().into(),
                    e.tokens.output.get().into(),
                    e.cost.get().into(),
                    e.source.as_str().into(),
                    to_ms(e.occurred_at).into(),
                    to_ms(e.created_at).into(),
                    e.event_key.clone().into(),
                    e.fingerprint.clone().into(),
                    e.price_id.clone().into(),
                    e.tokens.cache_write.get().into(),
                ]
            })
            .collect();
        debug_assert!(rows.iter().all(|r| r.len() == COLUMN_COUNT));
        let mut sql = Sql::new(format!("INSERT INTO cost_events ({COLUMNS}) "));
        sql.append(Sql::rows(sqlite, rows));
        statements.push(sql);
    }
    statements
}

/// Events of any of `agents` stored under any of `keys` (a superset of the wanted
/// (agent, key) pairs, found through the per-agent key index).
pub async fn find_by_keys(
    conn: &mut Conn,
    agents: &[String],
    keys: &[String],
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    if agents.is_empty() || keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM cost_events WHERE agent_id IN "
    ));
    sql.bind_list(agents)
        .push(" AND event_key IN ")
        .bind_list(keys);
    decode_all(sql.fetch_all(conn).await?)
}

/// Which events to list. `project` is `Some(None)` for events without a project.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub company_id: String,
    pub agent_id: Option<String>,
    pub project: Option<Option<String>>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Continue after this (occurred_at, id), exclusive.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: i64,
}

/// Events newest first (by occurrence, then id), at most `limit`.
pub async fn list(conn: &mut Conn, q: &EventQuery) -> Result<Vec<RecordedEvent>, sqlx::Error> {
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
    if let Some(provider) = &q.provider {
        sql.push(" AND provider = ").bind(provider.as_str());
    }
    if let Some(model) = &q.model {
        sql.push(" AND model = ").bind(model.as_str());
    }
    if let Some(from) = q.from {
        sql.push(" AND occurred_at >= ").bind(to_ms(from));
    }
    if let Some(to) = q.to {
        sql.push(" AND occurred_at < ").bind(to_ms(to));
    }
    if let Some((at, id)) = &q.after {
        let at = to_ms(*at);
        sql.push(" AND (occurred_at < ")
            .bind(at)
            .push(" OR (occurred_at = ")
            .bind(at)
            .push(" AND id < ")
            .bind(id.as_str())
            .push("))");
    }
    sql.push(" ORDER BY occurred_at DESC, id DESC LIMIT ")
        .bind(q.limit);
    decode_all(sql.fetch_all(conn).await?)
}

/// Up to `limit` unpriced events of a company with `from <= occurred_at < to` and
/// `(occurred_at, id)` after `after`, oldest first: one chunk of a reprice.
pub async fn unpriced_in(
    conn: &mut Conn,
    company_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<&(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM cost_events WHERE company_id = "
    ));
    sql.bind(company_id)
        .push(" AND cost_source = 'unpriced' AND occurred_at >= ")
        .bind(to_ms(from))
        .push(" AND occurred_at < ")
        .bind(to_ms(to));
    if let Some((at, id)) = after {
        let at = to_ms(*at);
        sql.push(" AND (occurred_at > ")
            .bind(at)
            .push(" OR (occurred_at = ")
            .bind(at)
            .push(" AND id > ")
            .bind(id.as_str())
            .push("))");
    }
    sql.push(" ORDER BY occurred_at, id LIMIT ").bind(limit);
    decode_all(sql.fetch_all(conn).await?)
}

/// Records computed costs (`(id, cost, price id)`) on events that are still unpriced;
/// answers the ids it changed, so an event priced meanwhile is never priced twice.
pub async fn set_computed_costs(
    conn: &mut Conn,
    costs: &[(String, MicroCents, String)],
) -> Result<Vec<String>, sqlx::Error> {
    let mut changed = Vec::with_capacity(costs.len());
    // Five values per event: within both dialects' parameter limits.
    for chunk in costs.chunks(INSERT_CHUNK) {
        let mut sql =
            Sql::new("UPDATE cost_events SET cost_source = 'computed', cost_micros = CASE id");
        for (id, cost, _) in chunk {
            sql.push(" WHEN ")
                .bind(id.as_str())
                .push(" THEN ")
                .bind(cost.get());
        }
        sql.push(" END, price_id = CASE id");
        for (id, _, price) in chunk {
            sql.push(" WHEN ")
                .bind(id.as_str())
                .push(" THEN ")
                .bind(price.as_str());
        }
        let ids: Vec<&str> = chunk.iter().map(|(id, _, _)| id.as_str()).collect();
        sql.push(" END WHERE cost_source = 'unpriced' AND id IN ")
            .bind_list(&ids)
            .push(" RETURNING id");
        let rows: Vec<(String,)> = sql.fetch_all(conn).await?;
        changed.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(changed)
}

/// The companies that still have events before `before` (one index probe each).
pub async fn companies_with_events_before(
    conn: &mut Conn,
    before: DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT c.id FROM companies c WHERE EXISTS \
         (SELECT 1 FROM cost_events e WHERE e.company_id = c.id AND e.occurred_at < ",
    );
    sql.bind(to_ms(before)).push(") ORDER BY c.id");
    let rows: Vec<(String,)> = sql.fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Removes up to `limit` of a company's events that occurred before `before`; answers how
/// many. The rollups are left alone: they keep the reports of those months.
pub async fn remove_before(
    conn: &mut Conn,
    company_id: &str,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new(
        "DELETE FROM cost_events WHERE id IN \
         (SELECT id FROM cost_events WHERE company_id = ",
    );
    sql.bind(company_id)
        .push(" AND occurred_at < ")
        .bind(to_ms(before))
        .push(" ORDER BY occurred_at LIMIT ")
        .bind(limit)
        .push(")");
    sql.execute(conn).await
}
