//! What a settled change leaves behind besides the scopes themselves, written in the same
//! transaction as the change: the alerts it raised. Every path that runs the budget rule
//! (ingest, budget and status changes, repricing, the month rollover) records through here,
//! so whatever else must follow an alert or a pause is added in one place.

use chrono::{DateTime, Utc};

use crate::{
    domain::{budget::Settlement, time::Month},
    server::store::{Conn, alerts},
};

pub(crate) async fn record(
    conn: &mut Conn,
    settled: &Settlement,
    month: Month,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    alerts::insert_many(conn, &settled.alerts, month, now).await
}
