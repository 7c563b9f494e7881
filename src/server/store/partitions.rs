//! PostgreSQL only: `cost_events` is partitioned by month of `occurred_at` (migration
//! 0013), so its indexes stay the size of a month and a month past the retention is dropped
//! whole. One partition per month, named `cost_events_YYYY_MM`, plus a default partition
//! for events of months without one (old ones from before the partitioning began).

use super::{Conn, Sql};
use crate::domain::time::{Month, to_ms};

fn name(month: Month) -> String {
    format!("cost_events_{:04}_{:02}", month.year(), month.month())
}

fn parse(name: &str) -> Option<Month> {
    let rest = name.strip_prefix("cost_events_")?;
    let (year, month) = rest.split_once('_')?;
    Month::new(year.parse().ok()?, month.parse().ok()?)
}

/// How long one upkeep step waits for a table lock before it gives way. Making or dropping
/// a partition locks `cost_events`, its default partition and, for the foreign keys, the
/// agents, companies and projects tables, one after another: a writer holding one of those
/// while it waits for `cost_events` would deadlock with it, and PostgreSQL might abort the
/// writer. Giving up well within `deadlock_timeout` (one second by default) makes the
/// upkeep the one that yields, and bounds how long writers queue behind its locks.
const STEP_LOCK_TIMEOUT: &str = "100ms";

/// Starts one upkeep step in a fresh transaction: the lock every upkeep takes first (one at
/// a time across instances and tasks: two making and dropping partitions at once deadlock
/// on the parent's and the default partition's locks), then the step's lock timeout.
pub async fn begin_step(conn: &mut Conn) -> Result<(), sqlx::Error> {
    // Any constant shared by every instance; "cost_events" in ASCII.
    Sql::new("SELECT CAST(pg_advisory_xact_lock(7234315651630015859) AS TEXT)")
        .fetch_optional::<(String,)>(conn)
        .await?;
    Sql::new(format!("SET LOCAL lock_timeout = '{STEP_LOCK_TIMEOUT}'"))
        .execute(conn)
        .await?;
    Ok(())
}

/// The months that have a partition of their own.
pub async fn months(conn: &mut Conn) -> Result<Vec<Month>, sqlx::Error> {
    let rows: Vec<(String,)> = Sql::new(
        "SELECT CAST(c.relname AS TEXT) FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent \
         WHERE p.relname = 'cost_events' ORDER BY c.relname",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().filter_map(|(n,)| parse(n)).collect())
}

/// Whether the default partition holds events of `month` (which then gets no partition of
/// its own: PostgreSQL would refuse it; they stay where they are, and are found there).
pub async fn default_holds(conn: &mut Conn, month: Month) -> Result<bool, sqlx::Error> {
    let (start, end) = (to_ms(month.start()), to_ms(month.end()));
    let mut probe = Sql::new("SELECT 1 FROM cost_events_default WHERE occurred_at >= ");
    probe
        .bind(start)
        .push(" AND occurred_at < ")
        .bind(end)
        .push(" LIMIT 1");
    Ok(probe.fetch_optional::<(i32,)>(conn).await?.is_some())
}

/// Gives `month` its own partition. Answers false, creating nothing, when the default
/// partition already holds events of that month ([`default_holds`]).
pub async fn create(conn: &mut Conn, month: Month) -> Result<bool, sqlx::Error> {
    if default_holds(conn, month).await? {
        return Ok(false);
    }
    let (start, end) = (to_ms(month.start()), to_ms(month.end()));
    // Bounds are integers the server computed, never input: safe to spell out in DDL.
    Sql::new(format!(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF cost_events FOR VALUES FROM ({start}) TO ({end})",
        name(month)
    ))
    .execute(conn)
    .await?;
    Ok(true)
}

/// Drops `month`'s partition, and every event in it.
pub async fn drop(conn: &mut Conn, month: Month) -> Result<(), sqlx::Error> {
    Sql::new(format!("DROP TABLE IF EXISTS {}", name(month)))
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_months_round_trip() {
        let m = Month::new(2026, 3).expect("a month");
        assert_eq!(name(m), "cost_events_2026_03");
        assert_eq!(parse("cost_events_2026_03"), Some(m));
        assert_eq!(parse("cost_events_default"), None);
        assert_eq!(parse("cost_events_2026_13"), None);
    }
}
