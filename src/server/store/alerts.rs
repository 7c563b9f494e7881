//! Budget alerts: at most one per scope, threshold and month (a unique index enforces it).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, Sql, decode, from_ms};
use crate::domain::{
    budget::{Alert, Threshold},
    money::{Cents, MicroCents},
    scope::ScopeType,
    time::{Month, Window, to_ms},
};

/// An alert as stored, with the name of the scope it is about.
#[derive(Debug, Clone)]
pub struct StoredAlert {
    pub id: String,
    pub alert: Alert,
    pub scope_name: String,
    pub month_start: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Inserts the alerts raised at `now` (in `month`); one that exists already for its scope,
/// threshold and window (the month; the hour for a rate alert) is skipped: the first
/// observation stands. Answers the ones that are new, so only those are announced.
pub async fn insert_many<'a>(
    conn: &mut Conn,
    alerts: &'a [Alert],
    month: Month,
    now: DateTime<Utc>,
) -> Result<Vec<&'a Alert>, sqlx::Error> {
    let mut new = Vec::new();
    for a in alerts {
        let mut sql = Sql::new(
            "INSERT INTO budget_alerts (id, company_id, scope_type, scope_id, threshold, \
             window_start, budget_cents, observed_micros, created_at) VALUES (",
        );
        sql.bind(Uuid::now_v7().to_string())
            .push(", ")
            .bind(a.company_id.as_str())
            .push(", ")
            .bind(a.scope_type.as_str())
            .push(", ")
            .bind(a.scope_id.as_str())
            .push(", ")
            .bind(a.threshold.as_str())
            .push(", ")
            .bind(to_ms(a.threshold.window_start(month, now)))
            .push(", ")
            .bind(a.budget.get())
            .push(", ")
            .bind(a.observed.get())
            .push(", ")
            .bind(to_ms(now))
            .push(") ON CONFLICT (scope_type, scope_id, threshold, window_start) DO NOTHING");
        if sql.execute(conn).await? == 1 {
            new.push(a);
        }
    }
    Ok(new)
}

/// The monthly alerts (soft, hard, forecast) a company's scopes raised in `month`.
pub async fn raised_in(
    conn: &mut Conn,
    company_id: &str,
    month: Month,
) -> Result<Vec<(ScopeType, String, Threshold)>, sqlx::Error> {
    let mut sql =
        Sql::new("SELECT scope_type, scope_id, threshold FROM budget_alerts WHERE company_id = ");
    sql.bind(company_id)
        .push(" AND window_start = ")
        .bind(to_ms(month.start()))
        .push(" AND threshold <> ")
        .bind(Threshold::Rate.as_str());
    let rows: Vec<(String, String, String)> = sql.fetch_all(conn).await?;
    rows.into_iter()
        .map(|(kind, id, threshold)| {
            let kind = ScopeType::parse(&kind)
                .ok_or_else(|| decode(format!("alert of an unknown scope {kind:?}")))?;
            let threshold = Threshold::parse(&threshold)
                .ok_or_else(|| decode(format!("alert of an unknown threshold {threshold:?}")))?;
            Ok((kind, id, threshold))
        })
        .collect()
}

/// A company's alerts whose window starts in `window`, newest first, with the name of the
/// scope each is about.
pub async fn list(
    conn: &mut Conn,
    company_id: &str,
    window: &Window,
) -> Result<Vec<StoredAlert>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        company_id: String,
        scope_type: String,
        scope_id: String,
        scope_name: String,
        threshold: String,
        window_start: i64,
        budget_cents: i64,
        observed_micros: i64,
        created_at: i64,
    }
    let mut sql = Sql::new(
        "SELECT a.id, a.company_id, a.scope_type, a.scope_id, \
         COALESCE(c.name, ag.name, p.name, '') AS scope_name, a.threshold, a.window_start, \
         a.budget_cents, a.observed_micros, a.created_at \
         FROM budget_alerts a \
         LEFT JOIN companies c ON a.scope_type = 'company' AND c.id = a.scope_id \
         LEFT JOIN agents ag ON a.scope_type = 'agent' AND ag.id = a.scope_id \
         LEFT JOIN projects p ON a.scope_type = 'project' AND p.id = a.scope_id \
         WHERE a.company_id = ",
    );
    sql.bind(company_id)
        .push(" AND a.window_start >= ")
        .bind(to_ms(window.start))
        .push(" AND a.window_start < ")
        .bind(to_ms(window.end))
        .push(" ORDER BY a.created_at DESC, a.id DESC");
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter()
        .map(|r| {
            let scope_type = ScopeType::parse(&r.scope_type).ok_or_else(|| {
                decode(format!("alert {}: unknown scope {:?}", r.id, r.scope_type))
            })?;
            let threshold = Threshold::parse(&r.threshold).ok_or_else(|| {
                decode(format!(
                    "alert {}: unknown threshold {:?}",
                    r.id, r.threshold
                ))
            })?;
            Ok(StoredAlert {
                id: r.id,
                alert: Alert {
                    scope_type,
                    scope_id: r.scope_id,
                    company_id: r.company_id,
                    threshold,
                    budget: Cents::new(r.budget_cents),
                    observed: MicroCents::new(r.observed_micros),
                },
                scope_name: r.scope_name,
                month_start: from_ms(r.window_start),
                created_at: from_ms(r.created_at),
            })
        })
        .collect()
}
