//! Announcements of what the budget rule decided: one outbox row per new alert and per
//! pause or resume, written by `effects::record` in the transaction of the change, so a
//! committed alert is never lost and a rolled-back one never sent. The sender delivers them
//! (`server::notify`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        budget::{Alert, Settlement, Transition},
        incident::{BudgetRequest, Incident},
        notify::{EventType, Payload, PayloadScope, PayloadSubject, dashboard_path},
        scope::{Scope, ScopeType, Status},
        time::Month,
    },
    server::store::{Conn, decode, entities, outbox},
};

/// Writes the notifications for `alerts` (the ones just raised) and `settled`'s changes.
pub(super) async fn record(
    conn: &mut Conn,
    settled: &Settlement,
    alerts: &[&Alert],
    month: Month,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for alert in alerts {
        let scope = load(conn, alert.scope_type, &alert.scope_id, month).await?;
        let kind = EventType::of_alert(alert.threshold);
        let mut payload = payload(kind, &scope, status_after(settled, &scope), now);
        payload.threshold = Some(alert.threshold.as_str().to_owned());
        payload.budget_cents = alert.budget.get();
        payload.observed_cents = alert.observed.to_cents().get();
        write(conn, kind, &payload, None, now).await?;
    }
    for (scope_type, id, transition) in &settled.changes {
        let scope = load(conn, *scope_type, id, month).await?;
        let kind = EventType::of_transition(*transition);
        let payload = payload(kind, &scope, status_after(settled, &scope), now);
        write(conn, kind, &payload, None, now).await?;
    }
    Ok(())
}

/// Announces an incident just opened (`resolved`: just closed) about its scope.
pub(super) async fn record_incident(
    conn: &mut Conn,
    incident: &Incident,
    resolved: bool,
    month: Month,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let scope = load(conn, incident.scope_type, &incident.scope_id, month).await?;
    let kind = if resolved {
        EventType::IncidentResolved
    } else {
        EventType::IncidentOpened
    };
    let mut payload = payload(kind, &scope, scope.status, now);
    payload.threshold = Some(incident.kind.as_str().to_owned());
    payload.budget_cents = incident.budget.get();
    payload.observed_cents = incident.observed.to_cents().get();
    payload.subject = Some(PayloadSubject {
        id: incident.id.clone(),
        status: incident.status.as_str().to_owned(),
        decision: incident.resolution.map(|r| r.as_str().to_owned()),
        amount_cents: None,
    });
    write(conn, kind, &payload, None, now).await
}

/// Announces an override request just created (`decided`: just approved or denied).
pub(super) async fn record_request(
    conn: &mut Conn,
    request: &BudgetRequest,
    decided: bool,
    month: Month,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let scope = load(conn, ScopeType::Agent, &request.agent_id, month).await?;
    let kind = if decided {
        EventType::RequestDecided
    } else {
        EventType::RequestCreated
    };
    let mut payload = payload(kind, &scope, scope.status, now);
    payload.subject = Some(PayloadSubject {
        id: request.id.clone(),
        status: request.status.as_str().to_owned(),
        decision: request.decision_mode.map(|m| m.as_str().to_owned()),
        amount_cents: Some(request.decided.unwrap_or(request.amount).get()),
    });
    write(conn, kind, &payload, None, now).await
}

/// Queues a `webhook.test` about the company for one endpoint; answers its id.
pub(super) async fn record_test(
    conn: &mut Conn,
    company_id: &str,
    endpoint_id: &str,
    month: Month,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let company = load(conn, ScopeType::Company, company_id, month).await?;
    let payload = payload(EventType::Test, &company, company.status, now);
    write(conn, EventType::Test, &payload, Some(endpoint_id), now).await?;
    Ok(payload.id)
}

async fn load(
    conn: &mut Conn,
    kind: ScopeType,
    id: &str,
    month: Month,
) -> Result<Scope, sqlx::Error> {
    entities::get(conn, kind, id, month)
        .await?
        .ok_or_else(|| decode(format!("{kind} {id} is gone while it is being settled")))
}

/// The scope's status once `settled` is written (the scope rows may be written after this).
fn status_after(settled: &Settlement, scope: &Scope) -> Status {
    let change = settled
        .changes
        .iter()
        .rev()
        .find(|(kind, id, _)| *kind == scope.kind && *id == scope.id);
    match change {
        Some((_, _, Transition::Pause)) => Status::Paused,
        Some((_, _, Transition::Resume)) => Status::Active,
        None => scope.status,
    }
}

fn payload(kind: EventType, scope: &Scope, status: Status, now: DateTime<Utc>) -> Payload {
    Payload {
        kind: kind.as_str().to_owned(),
        id: format!("msg_{}", Uuid::now_v7().simple()),
        occurred_at: now,
        company_id: scope.company_id.clone(),
        scope: PayloadScope {
            kind: scope.kind.as_str().to_owned(),
            id: scope.id.clone(),
            name: scope.name.clone(),
        },
        threshold: None,
        budget_cents: scope.budget.get(),
        observed_cents: scope.spend.to_cents().get(),
        status: status.as_str().to_owned(),
        subject: None,
        dashboard_url: dashboard_path(&scope.company_id, kind, scope.kind),
    }
}

async fn write(
    conn: &mut Conn,
    kind: EventType,
    payload: &Payload,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    outbox::insert(
        conn,
        &payload.id,
        &payload.company_id,
        kind,
        &json,
        only,
        now,
    )
    .await
}
