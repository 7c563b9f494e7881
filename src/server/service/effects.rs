//! What a settled change leaves behind besides the scopes themselves, written in the same
//! transaction as the change: the alerts it raised, the incident each new alert opens, and
//! an outbox row announcing each new alert and incident and each pause or resume (`outbox`). Every path that runs the budget rule (ingest,
//! budget and status changes, repricing, the month rollover) records through here, so
//! whatever else must follow an alert or a pause is added in one place.

use chrono::{DateTime, Utc};

use super::outbox;
use crate::{
    domain::{
        audit::{rule_transition, rules_actor},
        budget::Settlement,
        scope::{Scope, ScopeType},
        time::Month,
    },
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
