//! The audit trail: one row per change, written with it (same transaction), read newest
//! first with a cursor.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, Sql, decode, from_ms};
use crate::domain::{
    audit::{Actor, ActorType, Change, Record, Target},
    time::to_ms,
};

/// Records `change`, made by `actor` at `at`, about `company_id` (`None`: no company's).
pub async fn record(
    conn: &mut Conn,
    company_id: Option<&str>,
    actor: &Actor,
    at: DateTime<Utc>,
    change: &Change,
) -> Result<(), sqlx::Error> {
    let json = |v: &Option<serde_json::Value>| v.as_ref().map(ToString::to_string);
    let mut sql = Sql::new(
        "INSERT INTO audit_log (id, company_id, at, actor_type, actor_id, actor_label, action, \
         target_type, target_id, target_name, before_state, after_state) VALUES (",
    );
    sql.bind(Uuid::now_v7().to_string())
        .push(", ")
        .bind(company_id.map(str::to_owned))
        .push(", ")
        .bind(to_ms(at))
        .push(", ")
        .bind(actor.kind.as_str())
        .push(", ")
        .bind(actor.id.as_str())
        .push(", ")
        .bind(actor.label.as_str())
        .push(", ")
        .bind(change.action.as_str())
        .push(", ")
        .bind(change.target.kind.as_str())
        .push(", ")
        .bind(change.target.id.as_str())
        .push(", ")
        .bind(change.target.name.as_str())
        .push(", ")
        .bind(json(&change.before))
        .push(", ")
        .bind(json(&change.after))
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// Which rows a page of the trail holds.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub actor_type: Option<ActorType>,
    pub target_type: Option<String>,
    /// Rows strictly older than this `(at, id)`.
    pub before: Option<(DateTime<Utc>, String)>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: Option<String>,
    at: i64,
    actor_type: String,
    actor_id: String,
    actor_label: String,
    action: String,
    target_type: String,
    target_id: String,
    target_name: String,
    before_state: Option<String>,
    after_state: Option<String>,
}

impl Row {
    fn decode(self) -> Result<Record, sqlx::Error> {
        let kind = ActorType::parse(&self.actor_type).ok_or_else(|| {
            decode(format!(
                "audit {}: unknown actor {:?}",
                self.id, self.actor_type
            ))
        })?;
        let state = |s: Option<String>| {
            s.map(|s| serde_json::from_str(&s).map_err(|e| decode(format!("audit state: {e}"))))
                .transpose()
        };
        Ok(Record {
            company_id: self.company_id,
            at: from_ms(self.at),
            actor: Actor::new(kind, self.actor_id, self.actor_label),
            change: Change {
                action: self.action,
                target: Target::new(&self.target_type, self.target_id, self.target_name),
                before: state(self.before_state)?,
                after: state(self.after_state)?,
            },
            id: self.id,
        })
    }
}

/// A company's trail (with what belongs to no company, the price book), newest first.
pub async fn list(
    conn: &mut Conn,
    company_id: &str,
    q: &Query,
) -> Result<Vec<Record>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id, company_id, at, actor_type, actor_id, actor_label, action, target_type, \
         target_id, target_name, before_state, after_state FROM audit_log \
         WHERE (company_id = ",
    );
    sql.bind(company_id).push(" OR company_id IS NULL)");
    if let Some(kind) = q.actor_type {
        sql.push(" AND actor_type = ").bind(kind.as_str());
    }
    if let Some(kind) = &q.target_type {
        sql.push(" AND target_type = ").bind(kind.as_str());
    }
    if let Some((at, id)) = &q.before {
        let at = to_ms(*at);
        sql.push(" AND (at < ")
            .bind(at)
            .push(" OR (at = ")
            .bind(at)
            .push(" AND id < ")
            .bind(id.as_str())
            .push("))");
    }
    sql.push(" ORDER BY at DESC, id DESC LIMIT ").bind(q.limit);
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter().map(Row::decode).collect()
}
