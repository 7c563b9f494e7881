//! The periodic settling: budget windows reset on the 1st at 00:00 UTC, and whatever a
//! budget paused in the old month resumes unless the new month already blocks it (a rate
//! pause stays: only a manager lifts it); and forecast alerts that no spend raised (the
//! projection moves as days pass) are raised here. A background task runs
//! [`Service::reconcile`] every few seconds; it is idempotent and safe on every instance at
//! once (each company is settled under its row lock, and only when something is owed).

use std::time::Duration;

use super::{Service, budgets::CompanyState};
use crate::{
    domain::{
        audit::Actor,
        budget::Settlement,
        forecast,
        time::{Day, Month},
    },
    server::{
        error::AppResult,
        store::{entities, pace},
    },
};

impl Service {
    /// Settles every company that has something paused for budget or may owe a forecast
    /// alert, and drops the guard's expired minute buckets. One company that fails
    /// (a database error, a bad stored value) is logged and retried on the next run; it never
    /// keeps the others paused. Answers how many companies were looked at and how many failed.
    pub async fn reconcile(&self) -> AppResult<(usize, usize)> {
        let now = self.now();
        let today = Day::of(now);
        let forecast_month =
            (today.day_of_month() >= forecast::ALERT_FROM_DAY).then_some(Month::of(now));
        let companies = {
            let mut conn = self.db.read_conn().await?;
            entities::companies_to_settle(&mut conn, forecast_month).await?
        };
        let mut failed = 0;
        for company_id in &companies {
            if let Err(err) = self.reconcile_company(company_id).await {
                failed += 1;
                tracing::warn!(company = %company_id, error = ?err, "budget reconcile of a company failed; will retry");
            }
        }
        let mut tx = self.db.begin_write().await?;
        pace::prune_minutes(&mut tx, now).await?;
        tx.commit().await?;
        Ok((companies.len(), failed))
    }

    async fn reconcile_company(&self, company_id: &str) -> AppResult<()> {
        let now = self.now();
        let month = Month::of(now);
        // Look first without the write lock: most runs owe nothing.
        {
            let mut conn = self.db.read_conn().await?;
            let Some(mut state) = CompanyState::read(&mut conn, company_id, now).await? else {
                return Ok(());
            };
            if state.settle(now) == Settlement::default() {
                return Ok(());
            }
        }
        let mut tx = self.db.begin_write().await?;
        let Some(mut state) = CompanyState::load(&mut tx, self.db.dialect, company_id, now).await?
        else {
            return Ok(());
        };
        let settlement = state.settle(now);
        state
            .save(&mut tx, &settlement, month, now, &Actor::system("rollover"))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs [`Service::reconcile`] every `interval` until the task is dropped.
    pub fn spawn_reconciler(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(err) = service.reconcile().await {
                    tracing::warn!(error = ?err, "budget reconcile failed; will retry");
                }
                if let Err(err) = service.sweep_retention().await {
                    tracing::warn!(error = ?err, "partition upkeep or retention sweep failed; will retry");
                }
            }
        })
    }
}
