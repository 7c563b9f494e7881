//! Webhook endpoints of a company. The signing key is written once and read only by the
//! sender ([`signing_key`]); no listing carries it.

use chrono::{DateTime, Utc};

use super::{Conn, Sql, decode, from_ms};
use crate::domain::{
    notify::{EventType, Format},
    time::to_ms,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub company_id: String,
    pub url: String,
    pub events: Vec<EventType>,
    pub format: Format,
    pub enabled: bool,
    pub consecutive_failures: i64,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `,alert.soft,alert.hard,`: framed so `LIKE '%,type,%'` matches exactly one type.
pub(crate) fn events_column(events: &[EventType]) -> String {
    let mut out = String::from(",");
    for e in events {
        out.push_str(e.as_str());
        out.push(',');
    }
    out
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    url: String,
    events: String,
    format: String,
    enabled: i64,
    consecutive_failures: i64,
    disabled_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn decode(self) -> Result<Endpoint, sqlx::Error> {
        let events = self
            .events
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                EventType::parse(s)
                    .ok_or_else(|| decode(format!("webhook {}: unknown event {s:?}", self.id)))
            })
            .collect::<Result<_, _>>()?;
        let format = Format::parse(&self.format)
            .ok_or_else(|| decode(format!("webhook {}: unknown format", self.id)))?;
        Ok(Endpoint {
            id: self.id,
            company_id: self.company_id,
            url: self.url,
            events,
            format,
            enabled: self.enabled != 0,
            consecutive_failures: self.consecutive_failures,
            disabled_reason: self.disabled_reason,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
        })
    }
}

const COLUMNS: &str = "SELECT id, company_id, url, events, format, enabled, \
    consecutive_failures, disabled_reason, created_at, updated_at FROM webhook_endpoints ";

pub async fn insert(conn: &mut Conn, e: &Endpoint, signing_key: &str) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO webhook_endpoints (id, company_id, url, events, format, enabled, \
         signing_key, consecutive_failures, disabled_reason, created_at, updated_at) VALUES (",
    );
    sql.bind(e.id.as_str())
        .push(", ")
        .bind(e.company_id.as_str())
        .push(", ")
        .bind(e.url.as_str())
        .push(", ")
        .bind(events_column(&e.events))
        .push(", ")
        .bind(e.format.as_str())
        .push(", ")
        .bind(i64::from(e.enabled))
        .push(", ")
        .bind(signing_key)
        .push(", 0, NULL, ")
        .bind(to_ms(e.created_at))
        .push(", ")
        .bind(to_ms(e.updated_at))
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// A company's endpoints, oldest first.
pub async fn list(conn: &mut Conn, company_id: &str) -> Result<Vec<Endpoint>, sqlx::Error> {
    let mut sql = Sql::new(COLUMNS);
    sql.push("WHERE company_id = ")
        .bind(company_id)
        .push(" ORDER BY created_at, id");
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter().map(Row::decode).collect()
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Endpoint>, sqlx::Error> {
    let mut sql = Sql::new(COLUMNS);
    sql.push("WHERE id = ").bind(id);
    sql.fetch_optional::<Row>(conn)
        .await?
        .map(Row::decode)
        .transpose()
}

/// Writes what a change or a delivery outcome may touch.
pub async fn update(conn: &mut Conn, e: &Endpoint) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE webhook_endpoints SET url = ");
    sql.bind(e.url.as_str())
        .push(", events = ")
        .bind(events_column(&e.events))
        .push(", format = ")
        .bind(e.format.as_str())
        .push(", enabled = ")
        .bind(i64::from(e.enabled))
        .push(", consecutive_failures = ")
        .bind(e.consecutive_failures)
        .push(", disabled_reason = ")
        .bind(e.disabled_reason.clone())
        .push(", updated_at = ")
        .bind(to_ms(e.updated_at))
        .push(" WHERE id = ")
        .bind(e.id.as_str());
    sql.execute(conn).await.map(|_| ())
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete(conn: &mut Conn, id: &str) -> Result<(), sqlx::Error> {
    for table in ["webhook_attempts", "webhook_deliveries"] {
        let mut sql = Sql::new(format!("DELETE FROM {table} WHERE endpoint_id = "));
        sql.bind(id);
        sql.execute(conn).await?;
    }
    let mut sql = Sql::new("DELETE FROM webhook_endpoints WHERE id = ");
    sql.bind(id);
    sql.execute(conn).await.map(|_| ())
}

/// The key the sender signs with (base64), for an endpoint that exists.
pub async fn signing_key(conn: &mut Conn, id: &str) -> Result<Option<String>, sqlx::Error> {
    let mut sql = Sql::new("SELECT signing_key FROM webhook_endpoints WHERE id = ");
    sql.bind(id);
    Ok(sql
        .fetch_optional::<(String,)>(conn)
        .await?
        .map(|(key,)| key))
}
