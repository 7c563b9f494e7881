//! Incidents: one per alert (scope, kind and window, like the alerts; a unique index makes
//! a race open one), and their resolution. Month extensions live here too: a resolution
//! writes them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, Sql, decode, from_ms};
use crate::domain::{
    budget::{Alert, Threshold},
    incident::{Actor, Incident, IncidentStatus, Resolution},
    money::{Cents, MicroCents},
    scope::ScopeType,
    time::{Month, to_ms},
};

/// Opens one incident per alert just raised (at `now`, in `month`); one that exists for
/// its scope, kind and window is left alone. Answers the ids of those opened.
pub async fn open_many(
    conn: &mut Conn,
    alerts: &[&Alert],
    month: Month,
    now: DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut opened = Vec::new();
    for a in alerts {
        let id = Uuid::now_v7().to_string();
        let mut sql = Sql::new(
            "INSERT INTO budget_incidents (id, company_id, scope_type, scope_id, kind, \
             window_start, status, budget_cents, observed_micros, opened_at) VALUES (",
        );
        sql.bind(id.as_str())
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
            .bind(IncidentStatus::Open.as_str())
            .push(", ")
            .bind(a.budget.get())
            .push(", ")
            .bind(a.observed.get())
            .push(", ")
            .bind(to_ms(now))
            .push(") ON CONFLICT (scope_type, scope_id, kind, window_start) DO NOTHING");
        if sql.execute(conn).await? == 1 {
            opened.push(id);
        }
    }
    Ok(opened)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    company_id: String,
    scope_type: String,
    scope_id: String,
    scope_name: String,
    kind: String,
    status: String,
    window_start: i64,
    budget_cents: i64,
    observed_micros: i64,
    opened_at: i64,
    resolved_at: Option<i64>,
    resolution: Option<String>,
    decision_note: Option<String>,
    decided_by: Option<String>,
}

impl Row {
    fn decode(self) -> Result<Incident, sqlx::Error> {
        let bad =
            |what: &str, value: &str| decode(format!("incident {}: {what} {value:?}", self.id));
        let scope_type =
            ScopeType::parse(&self.scope_type).ok_or_else(|| bad("scope", &self.scope_type))?;
        let kind = Threshold::parse(&self.kind).ok_or_else(|| bad("kind", &self.kind))?;
        let status =
            IncidentStatus::parse(&self.status).ok_or_else(|| bad("status", &self.status))?;
        let resolution = self
            .resolution
            .as_deref()
            .map(|r| Resolution::parse(r).ok_or_else(|| bad("resolution", r)))
            .transpose()?;
        let decided_by = self.decided_by.as_deref().map(actor).transpose()?;
        Ok(Incident {
            id: self.id,
            company_id: self.company_id,
            scope_type,
            scope_id: self.scope_id,
            scope_name: self.scope_name,
            kind,
            status,
            window_start: from_ms(self.window_start),
            budget: Cents::new(self.budget_cents),
            observed: MicroCents::new(self.observed_micros),
            opened_at: from_ms(self.opened_at),
            resolved_at: self.resolved_at.map(from_ms),
            resolution,
            decision_note: self.decision_note,
            decided_by,
        })
    }
}

/// An actor stored as JSON.
pub(crate) fn actor(json: &str) -> Result<Actor, sqlx::Error> {
    serde_json::from_str(json).map_err(|e| decode(format!("stored actor {json:?}: {e}")))
}

pub(crate) fn actor_json(actor: &Actor) -> Result<String, sqlx::Error> {
    serde_json::to_string(actor).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn select() -> Sql {
    Sql::new(
        "SELECT i.id, i.company_id, i.scope_type, i.scope_id, \
         COALESCE(c.name, ag.name, p.name, '') AS scope_name, i.kind, i.status, \
         i.window_start, i.budget_cents, i.observed_micros, i.opened_at, i.resolved_at, \
         i.resolution, i.decision_note, i.decided_by \
         FROM budget_incidents i \
         LEFT JOIN companies c ON i.scope_type = 'company' AND c.id = i.scope_id \
         LEFT JOIN agents ag ON i.scope_type = 'agent' AND ag.id = i.scope_id \
         LEFT JOIN projects p ON i.scope_type = 'project' AND p.id = i.scope_id ",
    )
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Incident>, sqlx::Error> {
    let mut sql = select();
    sql.push("WHERE i.id = ").bind(id);
    sql.fetch_optional::<Row>(conn)
        .await?
        .map(Row::decode)
        .transpose()
}

/// The most incidents one list answers.
pub const LIST_LIMIT: i64 = 500;

/// A company's incidents (of one status, or all), open ones first, newest first.
pub async fn list(
    conn: &mut Conn,
    company_id: &str,
    status: Option<IncidentStatus>,
) -> Result<Vec<Incident>, sqlx::Error> {
    let mut sql = select();
    sql.push("WHERE i.company_id = ").bind(company_id);
    if let Some(status) = status {
        sql.push(" AND i.status = ").bind(status.as_str());
    }
    sql.push(
        " ORDER BY CASE WHEN i.status = 'open' THEN 0 ELSE 1 END, i.opened_at DESC, i.id DESC \
         LIMIT ",
    )
    .bind(LIST_LIMIT);
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter().map(Row::decode).collect()
}

/// A decision on an incident.
pub struct Decision<'a> {
    pub resolution: Resolution,
    pub note: Option<&'a str>,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
}

/// Closes every open incident of `incident`'s scope and kind whose window starts in its
/// month. Answers how many it closed (0: someone closed them first).
pub async fn close(
    conn: &mut Conn,
    incident: &Incident,
    decision: &Decision<'_>,
) -> Result<u64, sqlx::Error> {
    let month = Month::of(incident.window_start);
    let mut sql = Sql::new("UPDATE budget_incidents SET status = ");
    sql.bind(decision.resolution.status().as_str())
        .push(", resolved_at = ")
        .bind(to_ms(decision.at))
        .push(", resolution = ")
        .bind(decision.resolution.as_str())
        .push(", decision_note = ")
        .bind(decision.note.map(str::to_owned))
        .push(", decided_by = ")
        .bind(actor_json(decision.actor)?)
        .push(" WHERE scope_type = ")
        .bind(incident.scope_type.as_str())
        .push(" AND scope_id = ")
        .bind(incident.scope_id.as_str())
        .push(" AND kind = ")
        .bind(incident.kind.as_str())
        .push(" AND window_start >= ")
        .bind(to_ms(month.start()))
        .push(" AND window_start < ")
        .bind(to_ms(month.next().start()))
        .push(" AND status = ")
        .bind(IncidentStatus::Open.as_str());
    sql.execute(conn).await
}

/// The extensions of a company's scopes in `month`.
pub async fn extensions(
    conn: &mut Conn,
    company_id: &str,
    month: Month,
) -> Result<HashMap<(ScopeType, String), Cents>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT scope_type, scope_id, extra_cents FROM budget_extensions WHERE company_id = ",
    );
    sql.bind(company_id)
        .push(" AND window_start = ")
        .bind(to_ms(month.start()));
    let rows: Vec<(String, String, i64)> = sql.fetch_all(conn).await?;
    rows.into_iter()
        .map(|(kind, id, cents)| {
            let kind = ScopeType::parse(&kind)
                .ok_or_else(|| decode(format!("extension of an unknown scope {kind:?}")))?;
            Ok(((kind, id), Cents::new(cents)))
        })
        .collect()
}

/// Adds `extra` to the scope's room in `month` only.
pub async fn extend(
    conn: &mut Conn,
    company_id: &str,
    scope_type: ScopeType,
    scope_id: &str,
    month: Month,
    extra: Cents,
) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO budget_extensions (scope_type, scope_id, window_start, company_id, \
         extra_cents) VALUES (",
    );
    sql.bind(scope_type.as_str())
        .push(", ")
        .bind(scope_id)
        .push(", ")
        .bind(to_ms(month.start()))
        .push(", ")
        .bind(company_id)
        .push(", ")
        .bind(extra.get())
        .push(
            ") ON CONFLICT (scope_type, scope_id, window_start) DO UPDATE SET \
             extra_cents = budget_extensions.extra_cents + excluded.extra_cents",
        );
    sql.execute(conn).await.map(|_| ())
}

/// The open incidents of one scope of these kinds, oldest first.
pub async fn open_of(
    conn: &mut Conn,
    scope_type: ScopeType,
    scope_id: &str,
    kinds: &[Threshold],
) -> Result<Vec<Incident>, sqlx::Error> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_owned()).collect();
    let mut sql = select();
    sql.push("WHERE i.scope_type = ")
        .bind(scope_type.as_str())
        .push(" AND i.scope_id = ")
        .bind(scope_id)
        .push(" AND i.status = ")
        .bind(IncidentStatus::Open.as_str())
        .push(" AND i.kind IN ")
        .bind_list(&kinds)
        .push(" ORDER BY i.opened_at, i.id");
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter().map(Row::decode).collect()
}
