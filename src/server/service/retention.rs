//! Retention (`COSTLINE_RETENTION_MONTHS`): raw cost events older than the months kept are
//! removed, a chunk at a time, by the reconciler. The rollups stay, so every whole-month
//! and daily report of those months is unchanged; what needs single events there (a range
//! that is not whole months, a reprice) is refused with a 422 instead of answered wrong.

use super::Service;
use crate::{
    domain::{Field, time::Window},
    server::{
        error::{AppError, AppResult},
        store::events,
    },
};

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
        let Some(retention) = self.retention else {
            return Ok(0);
        };
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
