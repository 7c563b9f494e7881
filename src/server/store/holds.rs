//! Budget holds: rows decoded into `domain::hold::Hold` here, once, and the sums of the
//! holds that count at a given instant.

use chrono::{DateTime, Utc};

use super::{Conn, Sql, decode, from_ms};
use crate::domain::{
    hold::{Hold, HoldState},
    money::Cents,
    standing::Held,
    time::to_ms,
};

const COLUMNS: &str = "id, company_id, agent_id, project_id, amount_cents, status, created_at, \
     expires_at, ended_at, event_id, hold_key, fingerprint";

#[derive(Debug, sqlx::FromRow)]
struct HoldRow {
    id: String,
    company_id: String,
    agent_id: String,
    project_id: Option<String>,
    amount_cents: i64,
    status: String,
    created_at: i64,
    expires_at: i64,
    ended_at: Option<i64>,
    event_id: Option<String>,
    hold_key: Option<String>,
    fingerprint: Option<String>,
}

impl HoldRow {
    fn decode(self) -> Result<Hold, sqlx::Error> {
        let status = HoldState::parse(&self.status).ok_or_else(|| {
            decode(format!(
                "hold {}: unknown status {:?}",
                self.id, self.status
            ))
        })?;
        Ok(Hold {
            id: self.id,
            company_id: self.company_id,
            agent_id: self.agent_id,
            project_id: self.project_id,
            amount: Cents::new(self.amount_cents),
            status,
            created_at: from_ms(self.created_at),
            expires_at: from_ms(self.expires_at),
            ended_at: self.ended_at.map(from_ms),
            event_id: self.event_id,
            hold_key: self.hold_key,
            fingerprint: self.fingerprint,
        })
    }
}

fn decode_all(rows: Vec<HoldRow>) -> Result<Vec<Hold>, sqlx::Error> {
    rows.into_iter().map(HoldRow::decode).collect()
}

pub async fn insert(conn: &mut Conn, h: &Hold) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new(format!("INSERT INTO budget_holds ({COLUMNS}) VALUES ("));
    sql.bind(h.id.as_str())
        .push(", ")
        .bind(h.company_id.as_str())
        .push(", ")
        .bind(h.agent_id.as_str())
        .push(", ")
        .bind(h.project_id.clone())
        .push(", ")
        .bind(h.amount.get())
        .push(", ")
        .bind(h.status.as_str())
        .push(", ")
        .bind(to_ms(h.created_at))
        .push(", ")
        .bind(to_ms(h.expires_at))
        .push(", ")
        .bind(h.ended_at.map(to_ms))
        .push(", ")
        .bind(h.event_id.clone())
        .push(", ")
        .bind(h.hold_key.clone())
        .push(", ")
        .bind(h.fingerprint.clone())
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// Holds by id (any company); ids that do not exist are simply absent.
pub async fn get_many(conn: &mut Conn, ids: &[String]) -> Result<Vec<Hold>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM budget_holds WHERE id IN "));
    sql.bind_list(ids);
    decode_all(sql.fetch_all(conn).await?)
}

/// The hold an agent made under `key`, if any.
pub async fn find_by_key(
    conn: &mut Conn,
    agent_id: &str,
    key: &str,
) -> Result<Option<Hold>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM budget_holds WHERE agent_id = "
    ));
    sql.bind(agent_id).push(" AND hold_key = ").bind(key);
    sql.fetch_optional::<HoldRow>(conn)
        .await?
        .map(HoldRow::decode)
        .transpose()
}

/// A company's holds that count at `now`, of one agent if given; oldest first.
pub async fn list_counting(
    conn: &mut Conn,
    company_id: &str,
    agent_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Hold>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {COLUMNS} FROM budget_holds WHERE company_id = "
    ));
    sql.bind(company_id)
        .push(" AND status = 'active' AND expires_at > ")
        .bind(to_ms(now));
    if let Some(agent) = agent_id {
        sql.push(" AND agent_id = ").bind(agent);
    }
    sql.push(" ORDER BY created_at, id");
    decode_all(sql.fetch_all(conn).await?)
}

/// What a company's counting holds reserve at `now`, per agent and project: one grouped
/// read over the partial index of active holds.
pub async fn held(
    conn: &mut Conn,
    company_id: &str,
    now: DateTime<Utc>,
) -> Result<Held, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT agent_id, project_id, CAST(SUM(amount_cents) AS BIGINT) AS cents \
         FROM budget_holds WHERE company_id = ",
    );
    sql.bind(company_id)
        .push(" AND status = 'active' AND expires_at > ")
        .bind(to_ms(now))
        .push(" GROUP BY agent_id, project_id");
    let rows: Vec<(String, Option<String>, i64)> = sql.fetch_all(conn).await?;
    Ok(Held::of(
        rows.into_iter().map(|(a, p, c)| (a, p, Cents::new(c))),
    ))
}

/// How many holds of an agent count at `now`.
pub async fn count_counting(
    conn: &mut Conn,
    agent_id: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let mut sql = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM budget_holds WHERE agent_id = ");
    sql.bind(agent_id)
        .push(" AND status = 'active' AND expires_at > ")
        .bind(to_ms(now));
    let (n,): (i64,) = sql.fetch_optional(conn).await?.unwrap_or((0,));
    Ok(n)
}

/// Writes a hold's state after it was settled or released.
pub async fn update_state(conn: &mut Conn, h: &Hold) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE budget_holds SET status = ");
    sql.bind(h.status.as_str())
        .push(", ended_at = ")
        .bind(h.ended_at.map(to_ms))
        .push(", event_id = ")
        .bind(h.event_id.clone())
        .push(" WHERE id = ")
        .bind(h.id.as_str());
    sql.execute(conn).await.map(|_| ())
}
