//! What a settled change leaves behind besides the scopes themselves, written in the same
//! transaction as the change: the alerts it raised, the incident each new alert opens, and
//! an outbox row announcing each new alert and incident and each pause or resume (`outbox`). Every path that runs the budget rule (ingest,
//! budget and status changes, repricing, the month rollover) records through here, so
//! whatever else must follow an alert or a pause is added in one place.

use chrono::{DateTime, Utc};

use super::{outbox, views};
use crate::{
    domain::{
        audit::{Actor, Change, Target, rule_transition, rules_actor},
        budget::{Settlement, Threshold},
        incident::{Incident, Resolution},
        scope::{Scope, ScopeType, Status},
        time::Month,
    },
    model,
    server::store::{self, Conn, alerts, audit},
};

/// Call it once the spend of the change is written: the announcements read it.
pub(crate) async fn record(
    conn: &mut Conn,
    settled: &Settlement,
    month: Month,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // An alert already raised this month is skipped by the store and not announced again.
    let new = alerts::insert_many(conn, &settled.alerts, month, now).await?;
    outbox::record(conn, settled, &new, month, now).await?;
    // After the alerts' announcements, so a receiver hears the alert before its incident.
    for id in store::incidents::open_many(conn, &new, month, now).await? {
        if let Some(incident) = store::incidents::get(conn, &id).await? {
            outbox::record_incident(conn, &incident, false, month, now).await?;
        }
    }
    Ok(())
}

/// The audit rows of the pauses and resumes in `settled` that the rules made on their own
/// (ingest): `scope_of` finds each scope as it is after.
pub(crate) async fn audit_rules<'a>(
    conn: &mut Conn,
    settled: &Settlement,
    scope_of: impl Fn(ScopeType, &str) -> Option<&'a Scope>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for (kind, id, _) in &settled.changes {
        if let Some(scope) = scope_of(*kind, id) {
            let change = rule_transition(scope);
            audit::record(
                conn,
                Some(&scope.company_id),
                &rules_actor(scope),
                now,
                &change,
            )
            .await?;
        }
    }
    Ok(())
}

/// A scope that runs again, and what let it: the resolution its stop incidents get.
pub(crate) struct Resumed {
    pub kind: ScopeType,
    pub id: String,
    pub by: Resolution,
}

impl Resumed {
    /// `scope` if it runs again after being `before`: a raised budget, a month's extension,
    /// or else a resume (by hand, or by the new month).
    pub(crate) fn of(before: &Scope, scope: &Scope) -> Option<Self> {
        if before.status != Status::Paused || scope.status != Status::Active {
            return None;
        }
        let by = if scope.budget > before.budget {
            Resolution::RaiseBudget
        } else if scope.extension > before.extension {
            Resolution::ExtendMonth
        } else {
            Resolution::Resume
        };
        Some(Self {
            kind: scope.kind,
            id: scope.id.clone(),
            by,
        })
    }
}

/// A scope that runs again, however it was resumed (a manager's resume or raised budget
/// outside the incident, the new month), has no stop left to decide: its open hard-stop and
/// runaway-guard incidents are resolved by whoever resumed it, announced and audited as a
/// manager's resolution would be. Warnings (80%, forecast) stay open.
pub(crate) async fn close_stop_incidents(
    conn: &mut Conn,
    resumed: &[Resumed],
    actor: &Actor,
    month: Month,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for scope in resumed {
        let open = store::incidents::open_of(
            conn,
            scope.kind,
            &scope.id,
            &[Threshold::Hard, Threshold::Rate],
        )
        .await?;
        for incident in open {
            let decision = store::incidents::Decision {
                resolution: scope.by,
                note: Some("resumed outside the incident"),
                actor,
                at: now,
            };
            // 0: an earlier incident of the same kind and month closed this one with it.
            if store::incidents::close(conn, &incident, &decision).await? == 0 {
                continue;
            }
            if let Some(resolved) = store::incidents::get(conn, &incident.id).await? {
                announce_resolved(conn, incident, resolved, actor, month, now).await?;
            }
        }
    }
    Ok(())
}

/// An incident just closed: announced (`incident.resolved`) and in the audit trail as
/// `actor`'s. Answers it as the API shows it.
pub(crate) async fn announce_resolved(
    conn: &mut Conn,
    before: Incident,
    resolved: Incident,
    actor: &Actor,
    month: Month,
    now: DateTime<Utc>,
) -> Result<model::Incident, sqlx::Error> {
    outbox::record_incident(conn, &resolved, true, month, now).await?;
    let company_id = resolved.company_id.clone();
    let name = format!("{} {}", resolved.scope_name, resolved.kind);
    let target = Target::new("incident", &resolved.id, name);
    let (before, after) = (views::incident(before), views::incident(resolved));
    let change = Change::new("incident.resolved", target)
        .before(&before)
        .after(&after);
    audit::record(conn, Some(&company_id), actor, now, &change).await?;
    Ok(after)
}
