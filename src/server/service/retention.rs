//! Retention (`COSTLINE_RETENTION_MONTHS`): raw cost events older than the months kept are
//! removed, a chunk at a time, by the reconciler. The rollups stay, so every whole-month
//! and daily report of those months is unchanged; what needs single events there (a range
//! that is not whole months, a reprice) is refused with a 422 instead of answered wrong.

use super::Service;
use crate::{
    domain::{
        Field,
        time::{Month, Window},
    },
    server::{
        error::{self, AppError, AppResult},
        store::{Dialect, events, partitions},
    },
};

/// Monthly partitions made ahead of the clock (PostgreSQL), so the coming months' events
/// never land in the default partition...
const PARTITIONS_AHEAD: u32 = 3;
/// ...and behind it, for events reported late or backfilled (older ones go to the default
/// partition, where they are found and removed like any other).
const PARTITIONS_BEHIND: u32 = 12;

/// Events removed per write transaction: short enough that ingest waits at most a few
/// milliseconds for the writer between chunks.
const CHUNK: i64 = 2_000;

/// Chunks per sweep: a first sweep over years of events leaves the reconciler after about
/// 100,000 events and goes on at its next tick, so month rollovers are never held up.
const CHUNKS_PER_SWEEP: u32 = 50;

impl Service {
    /// Removes every raw event older than the retention keeps. Idempotent, and safe on
    /// every instance at once (a chunk another instance removed is simply not there).
    /// Answers how many events this call removed.
    pub async fn sweep_retention(&self) -> AppResult<u64> {
        self.maintain_partitions().await?;
        let Some(retention) = self.retention else {
            return Ok(0);
        };
        // What is left before the first month kept after whole partitions went: events in
        // the default partition (PostgreSQL), every old event (SQLite).
        let before = retention.first_kept(self.now()).start();
        let companies = {
            let mut conn = self.db.read_conn().await?;
            events::companies_with_events_before(&mut conn, before).await?
        };
        let mut removed = 0;
        let mut chunks = 0;
        'companies: for company_id in &companies {
            loop {
                if chunks == CHUNKS_PER_SWEEP {
                    break 'companies;
                }
                chunks += 1;
                let mut tx = self.db.begin_write().await?;
                let n = events::remove_before(&mut tx, company_id, before, CHUNK).await?;
                tx.commit().await?;
                removed += n;
                if n < CHUNK.unsigned_abs() {
                    break;
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, %before, "retention: removed raw cost events");
        }
        Ok(removed)
    }

    /// PostgreSQL: a partition for every month from a year back to a few ahead, and none
    /// for a month past the retention (dropped whole: a catalog change, not a delete of each row).
    /// One partition per transaction, each giving way to the writers when its locks are
    /// not free at once ([`error::is_busy`]): what is left is done at a later tick.
    async fn maintain_partitions(&self) -> AppResult<()> {
        if self.db.dialect != Dialect::Postgres {
            return Ok(());
        }
        let now = self.now();
        // Read first: an idle tick (every partition there) takes no write transaction.
        let mut conn = self.db.read_conn().await?;
        let have = partitions::months(&mut conn).await?;
        let first_kept = self.retention.map(|r| r.first_kept(now));
        let mut month = (0..PARTITIONS_BEHIND).fold(Month::of(now), |m, _| m.prev());
        if let Some(first_kept) = first_kept {
            month = month.max(first_kept);
        }
        let last = (0..PARTITIONS_AHEAD).fold(Month::of(now), |m, _| m.next());
        let mut steps = Vec::new();
        while month <= last {
            // A month whose events are in the default partition gets none of its own.
            if !have.contains(&month) && !partitions::default_holds(&mut conn, month).await? {
                steps.push(Step::Create(month));
            }
            month = month.next();
        }
        drop(conn);
        if let Some(first_kept) = first_kept {
            steps.extend(
                have.iter()
                    .filter(|m| **m < first_kept)
                    .map(|m| Step::Drop(*m)),
            );
        }
        for step in steps {
            match self.partition_step(step).await {
                Ok(()) => {}
                // A lock not free within the step's timeout, or (should one still happen)
                // a deadlock PostgreSQL broke by aborting the step.
                Err(err) if error::is_busy(&err) => {
                    tracing::debug!(
                        ?step,
                        "partition upkeep gave way to writers; it goes on at the next tick"
                    );
                    return Ok(());
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// One partition made or dropped, in a transaction of its own.
    async fn partition_step(&self, step: Step) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        partitions::begin_step(&mut tx).await?;
        match step {
            Step::Create(month) => {
                if !partitions::create(&mut tx, month).await? {
                    tracing::debug!(%month, "events of this month are in the default partition; it gets no partition of its own");
                }
            }
            Step::Drop(month) => partitions::drop(&mut tx, month).await?,
        }
        tx.commit().await?;
        if let Step::Drop(month) = step {
            tracing::info!(%month, "retention: dropped the partition of raw cost events");
        }
        Ok(())
    }

    /// A 422 when `window` needs single events the retention has removed: `whole_months`
    /// reports read the rollups and are always answered.
    pub(crate) fn check_retained(&self, window: &Window, rollups_answer: bool) -> AppResult<()> {
        let Some(retention) = self.retention else {
            return Ok(());
        };
        let now = self.now();
        let kept = if rollups_answer {
            retention.covers(window, now)
        } else {
            retention.keeps_events_of(window, now)
        };
        if kept {
            return Ok(());
        }
        Err(AppError::unresolved(
            Field::From,
            format!(
                "single events before {} are no longer kept (retention: {} months); \
                 ask whole months for earlier spend",
                retention.first_kept(now),
                retention.months()
            ),
        ))
    }
}

/// One change [`Service::maintain_partitions`] makes.
#[derive(Debug, Clone, Copy)]
enum Step {
    Create(Month),
    Drop(Month),
}
