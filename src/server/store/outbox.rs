//! The transactional outbox: notifications written with the change they announce, one
//! delivery per notification and matching endpoint, the attempts made, and the lease by
//! which one sender at a time delivers to an endpoint.

use chrono::{DateTime, Utc};

use super::{Conn, Sql, decode, from_ms, webhooks::events_column};
use crate::domain::{notify::EventType, time::to_ms};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Writes a notification and queues it for every enabled endpoint of its company that
/// subscribed to its type (or for `only` that endpoint, whatever it subscribed to: a test).
pub async fn insert(
    conn: &mut Conn,
    id: &str,
    company_id: &str,
    kind: EventType,
    payload: &str,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut sql =
        Sql::new("INSERT INTO notifications (id, company_id, type, payload, created_at) VALUES (");
    sql.bind(id)
        .push(", ")
        .bind(company_id)
        .push(", ")
        .bind(kind.as_str())
        .push(", ")
        .bind(payload)
        .push(", ")
        .bind(to_ms(now))
        .push(")");
    sql.execute(conn).await?;
    // The delivery id is derived, so one statement queues for every endpoint.
    let mut fan_out = Sql::new(
        "INSERT INTO webhook_deliveries (id, endpoint_id, notification_id, seq, status, \
         attempts, next_attempt_at, created_at) \
         SELECT n.id || ':' || e.id, e.id, n.id, n.seq, 'pending', 0, n.created_at, \
         n.created_at FROM notifications n JOIN webhook_endpoints e \
         ON e.company_id = n.company_id WHERE n.id = ",
    );
    fan_out.bind(id);
    match only {
        Some(endpoint) => fan_out.push(" AND e.id = ").bind(endpoint),
        None => fan_out
            .push(" AND e.enabled = 1 AND e.events LIKE ")
            .bind(format!("%{}%", events_column(&[kind]))),
    };
    fan_out.execute(conn).await.map(|_| ())
}

/// Enabled endpoints whose next delivery (their oldest pending one) is due and that no
/// sender holds, at most `limit`.
pub async fn due(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let now = to_ms(now);
    let mut sql =
        Sql::new("SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1 AND e.lease_until <= ");
    sql.bind(now)
        .push(
            " AND (SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
             AND d.status = 'pending' ORDER BY d.seq LIMIT 1) <= ",
        )
        .bind(now)
        .push(" ORDER BY e.lease_until, e.id LIMIT ")
        .bind(limit);
    let rows: Vec<(String,)> = sql.fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Leases those of `ids` that no sender holds to `owner` (one claim's token) until
/// `until`; answers the ones it got. The lease is checked on each row as it is updated,
/// so when two instances race for an endpoint (PostgreSQL), the second waits for the
/// first's row lock, sees the lease taken, and leaves it: one sender per endpoint at a
/// time.
pub async fn claim(
    conn: &mut Conn,
    ids: &[String],
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new("UPDATE webhook_endpoints SET lease_owner = ");
    sql.bind(owner)
        .push(", lease_until = ")
        .bind(to_ms(until))
        .push(" WHERE lease_until <= ")
        .bind(to_ms(now))
        .push(" AND enabled = 1 AND id IN ")
        .bind_list(ids)
        .push(" RETURNING id");
    let rows: Vec<(String,)> = sql.fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Counts an attempt's outcome on its endpoint: a success clears the run of failures; a
/// failure extends it, and the `disable_after`-th in a row disables the endpoint.
pub async fn count_outcome(
    conn: &mut Conn,
    endpoint_id: &str,
    delivered: bool,
    disable_after: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE webhook_endpoints SET ");
    if delivered {
        sql.push("consecutive_failures = 0");
    } else {
        sql.push("consecutive_failures = consecutive_failures + 1, enabled = CASE WHEN consecutive_failures + 1 >= ")
            .bind(disable_after)
            .push(" THEN 0 ELSE enabled END, disabled_reason = CASE WHEN consecutive_failures + 1 >= ")
            .bind(disable_after)
            .push(" THEN ")
            .bind(format!("disabled after {disable_after} failed deliveries in a row"))
            .push(" ELSE disabled_reason END, updated_at = ")
            .bind(to_ms(now));
    }
    sql.push(" WHERE id = ").bind(endpoint_id);
    sql.execute(conn).await.map(|_| ())
}

/// Extends `owner`'s lease on an endpoint; `false` when it no longer holds it.
pub async fn renew(
    conn: &mut Conn,
    endpoint_id: &str,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new("UPDATE webhook_endpoints SET lease_until = ");
    sql.bind(to_ms(until))
        .push(" WHERE id = ")
        .bind(endpoint_id)
        .push(" AND lease_owner = ")
        .bind(owner);
    Ok(sql.execute(conn).await? == 1)
}

/// Gives an endpoint back, if `owner` still holds it.
pub async fn release(conn: &mut Conn, endpoint_id: &str, owner: &str) -> Result<(), sqlx::Error> {
    let mut sql =
        Sql::new("UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0 WHERE id = ");
    sql.bind(endpoint_id)
        .push(" AND lease_owner = ")
        .bind(owner);
    sql.execute(conn).await.map(|_| ())
}

/// The next delivery of an endpoint: its oldest pending one.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: String,
    pub notification_id: String,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

pub async fn head(conn: &mut Conn, endpoint_id: &str) -> Result<Option<Due>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT d.id, d.notification_id, n.payload, d.attempts, d.next_attempt_at, \
         d.created_at FROM webhook_deliveries d JOIN notifications n ON n.id = d.notification_id \
         WHERE d.endpoint_id = ",
    );
    sql.bind(endpoint_id)
        .push(" AND d.status = 'pending' ORDER BY d.seq LIMIT 1");
    sql.fetch_optional(conn).await
}

/// One attempt's outcome: the answer's status code, or what went wrong before one.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: String,
    pub endpoint_id: String,
    pub at: DateTime<Utc>,
    pub response_code: Option<i64>,
    pub error: Option<String>,
}

/// Logs an attempt and moves its delivery to `status` (retrying at `next` if pending).
pub async fn record_attempt(
    conn: &mut Conn,
    attempt: &Attempt,
    status: DeliveryStatus,
    next: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let mut log = Sql::new(
        "INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, attempted_at, \
         response_code, error) VALUES (",
    );
    log.bind(uuid::Uuid::now_v7().to_string())
        .push(", ")
        .bind(attempt.delivery_id.as_str())
        .push(", ")
        .bind(attempt.endpoint_id.as_str())
        .push(", ")
        .bind(to_ms(attempt.at))
        .push(", ")
        .bind(attempt.response_code)
        .push(", ")
        .bind(attempt.error.clone())
        .push(")");
    log.execute(conn).await?;
    let mut sql = Sql::new("UPDATE webhook_deliveries SET status = ");
    sql.bind(status.as_str())
        .push(", attempts = attempts + 1, last_code = ")
        .bind(attempt.response_code)
        .push(", last_error = ")
        .bind(attempt.error.clone())
        .push(", last_attempt_at = ")
        .bind(to_ms(attempt.at));
    if let Some(next) = next {
        sql.push(", next_attempt_at = ").bind(to_ms(next));
    }
    if status == DeliveryStatus::Delivered {
        sql.push(", delivered_at = ").bind(to_ms(attempt.at));
    }
    sql.push(" WHERE id = ").bind(attempt.delivery_id.as_str());
    sql.execute(conn).await.map(|_| ())
}

/// A delivery as listed, with its attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub notification_id: String,
    pub kind: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<AttemptRow>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub attempted_at: i64,
    pub response_code: Option<i64>,
    pub error: Option<String>,
}

/// An endpoint's newest `limit` deliveries, newest first, each with its attempts in order.
pub async fn deliveries(
    conn: &mut Conn,
    endpoint_id: &str,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        notification_id: String,
        kind: String,
        status: String,
        next_attempt_at: i64,
        delivered_at: Option<i64>,
        created_at: i64,
    }
    let mut sql = Sql::new(
        "SELECT d.id, d.notification_id, n.type AS kind, d.status, d.next_attempt_at, \
         d.delivered_at, d.created_at FROM webhook_deliveries d \
         JOIN notifications n ON n.id = d.notification_id WHERE d.endpoint_id = ",
    );
    sql.bind(endpoint_id)
        .push(" ORDER BY d.seq DESC LIMIT ")
        .bind(limit);
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut attempts = Sql::new(
        "SELECT delivery_id, attempted_at, response_code, error FROM webhook_attempts \
         WHERE delivery_id IN ",
    );
    attempts.bind_list(&ids).push(" ORDER BY attempted_at, id");
    let attempts: Vec<AttemptRow> = attempts.fetch_all(conn).await?;
    rows.into_iter()
        .map(|r| {
            let status = DeliveryStatus::parse(&r.status)
                .ok_or_else(|| decode(format!("delivery {}: unknown status", r.id)))?;
            Ok(Delivery {
                attempts: attempts
                    .iter()
                    .filter(|a| a.delivery_id == r.id)
                    .cloned()
                    .collect(),
                next_attempt_at: (status == DeliveryStatus::Pending)
                    .then(|| from_ms(r.next_attempt_at)),
                delivered_at: r.delivered_at.map(from_ms),
                created_at: from_ms(r.created_at),
                id: r.id,
                notification_id: r.notification_id,
                kind: r.kind,
                status,
            })
        })
        .collect()
}
