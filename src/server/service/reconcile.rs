//! The month rollover: budget windows reset on the 1st at 00:00 UTC, and whatever a budget
//! paused in the old month resumes unless the new month already blocks it. A background
//! task runs [`Service::reconcile`] every few seconds; it is idempotent and safe on every
//! instance at once (each company is settled under its row lock).

use std::time::Duration;

use super::{Service, budgets::CompanyState};
use crate::{
    domain::time::Month,
    server::{error::AppResult, store::entities},
};

impl Service {
    /// Settles every company that has something paused for budget. One company that fails
    /// (a database error, a bad stored value) is logged and retried on the next run; it never
    /// keeps the others paused. Answers how many companies were looked at and how many failed.
    pub async fn reconcile(&self) -> AppResult<(usize, usize)> {
        let companies = {
            let mut conn = self.db.read_conn().await?;
            entities::companies_with_budget_pauses(&mut conn).await?
        };
        let mut failed = 0;
        for company_id in &companies {
            if let Err(err) = self.reconcile_company(company_id).await {
                failed += 1;
                tracing::warn!(company = %company_id, error = ?err, "budget reconcile of a company failed; will retry");
            }
        }
        Ok((companies.len(), failed))
    }

    async fn reconcile_company(&self, company_id: &str) -> AppResult<()> {
        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        let Some(mut state) =
            CompanyState::load(&mut tx, self.db.dialect, company_id, month).await?
        else {
            return Ok(());
        };
        let settlement = state.settle(now);
        state.save(&mut tx, &settlement, month, now).await?;
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
            }
        })
    }
}
