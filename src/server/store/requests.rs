//! Override requests: an agent asking for more room, at most one pending per agent (a
//! partial unique index enforces it), and the board's decision.

use chrono::{DateTime, Utc};

use super::{
    Conn, Sql, decode, from_ms,
    incidents::{actor, actor_json},
};
use crate::domain::{
    incident::{Actor, ApproveMode, BudgetRequest, RequestStatus},
    money::Cents,
    time::to_ms,
};

/// Stores a new pending request; `false` when its agent has one pending already.
pub async fn insert(conn: &mut Conn, r: &BudgetRequest) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO budget_requests (id, company_id, agent_id, amount_cents, reason, status, \
         requested_by, created_at) VALUES (",
    );
    sql.bind(r.id.as_str())
        .push(", ")
        .bind(r.company_id.as_str())
        .push(", ")
        .bind(r.agent_id.as_str())
        .push(", ")
        .bind(r.amount.get())
        .push(", ")
        .bind(r.reason.as_str())
        .push(", ")
        .bind(r.status.as_str())
        .push(", ")
        .bind(actor_json(&r.requested_by)?)
        .push(", ")
        .bind(to_ms(r.created_at))
        .push(") ON CONFLICT DO NOTHING");
    Ok(sql.execute(conn).await? == 1)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    agent_id: String,
    agent_name: String,
    amount_cents: i64,
    reason: String,
    status: String,
    requested_by: String,
    created_at: i64,
    decided_at: Option<i64>,
    decision_mode: Option<String>,
    decided_cents: Option<i64>,
    decision_note: Option<String>,
    decided_by: Option<String>,
}

impl Row {
    fn decode(self) -> Result<BudgetRequest, sqlx::Error> {
        let bad =
            |what: &str, value: &str| decode(format!("request {}: {what} {value:?}", self.id));
        let status =
            RequestStatus::parse(&self.status).ok_or_else(|| bad("status", &self.status))?;
        let decision_mode = self
            .decision_mode
            .as_deref()
            .map(|m| ApproveMode::parse(m).ok_or_else(|| bad("mode", m)))
            .transpose()?;
        Ok(BudgetRequest {
            requested_by: actor(&self.requested_by)?,
            decided_by: self.decided_by.as_deref().map(actor).transpose()?,
            id: self.id,
            company_id: self.company_id,
            agent_id: self.agent_id,
            agent_name: self.agent_name,
            amount: Cents::new(self.amount_cents),
            reason: self.reason,
            status,
            created_at: from_ms(self.created_at),
            decided_at: self.decided_at.map(from_ms),
            decision_mode,
            decided: self.decided_cents.map(Cents::new),
            decision_note: self.decision_note,
        })
    }
}

fn select() -> Sql {
    Sql::new(
        "SELECT r.id, r.company_id, r.agent_id, COALESCE(a.name, '') AS agent_name, \
         r.amount_cents, r.reason, r.status, r.requested_by, r.created_at, r.decided_at, \
         r.decision_mode, r.decided_cents, r.decision_note, r.decided_by \
         FROM budget_requests r LEFT JOIN agents a ON a.id = r.agent_id ",
    )
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<BudgetRequest>, sqlx::Error> {
    let mut sql = select();
    sql.push("WHERE r.id = ").bind(id);
    sql.fetch_optional::<Row>(conn)
        .await?
        .map(Row::decode)
        .transpose()
}

/// The agent's pending request, if any.
pub async fn pending_of(
    conn: &mut Conn,
    agent_id: &str,
) -> Result<Option<BudgetRequest>, sqlx::Error> {
    let mut sql = select();
    sql.push("WHERE r.agent_id = ")
        .bind(agent_id)
        .push(" AND r.status = ")
        .bind(RequestStatus::Pending.as_str());
    sql.fetch_optional::<Row>(conn)
        .await?
        .map(Row::decode)
        .transpose()
}

/// The most requests one list answers.
pub const LIST_LIMIT: i64 = 500;

/// A company's requests (of one status, or all), pending first, newest first.
pub async fn list(
    conn: &mut Conn,
    company_id: &str,
    status: Option<RequestStatus>,
) -> Result<Vec<BudgetRequest>, sqlx::Error> {
    let mut sql = select();
    sql.push("WHERE r.company_id = ").bind(company_id);
    if let Some(status) = status {
        sql.push(" AND r.status = ").bind(status.as_str());
    }
    sql.push(
        " ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, r.created_at DESC, \
         r.id DESC LIMIT ",
    )
    .bind(LIST_LIMIT);
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter().map(Row::decode).collect()
}

/// The board's decision on a request.
pub struct Decision<'a> {
    pub status: RequestStatus,
    pub mode: Option<ApproveMode>,
    pub cents: Option<Cents>,
    pub note: Option<&'a str>,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
}

/// Decides a pending request; `false` when it was decided already.
pub async fn decide(
    conn: &mut Conn,
    id: &str,
    decision: &Decision<'_>,
) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new("UPDATE budget_requests SET status = ");
    sql.bind(decision.status.as_str())
        .push(", decided_at = ")
        .bind(to_ms(decision.at))
        .push(", decision_mode = ")
        .bind(decision.mode.map(|m| m.as_str().to_owned()))
        .push(", decided_cents = ")
        .bind(decision.cents.map(Cents::get))
        .push(", decision_note = ")
        .bind(decision.note.map(str::to_owned))
        .push(", decided_by = ")
        .bind(actor_json(decision.actor)?)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND status = ")
        .bind(RequestStatus::Pending.as_str());
    Ok(sql.execute(conn).await? == 1)
}
