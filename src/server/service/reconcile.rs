//! The month rollover: budget windows reset on the 1st at 00:00 UTC, and whatever a
//! budget paused in the old month resumes unless the new month already blocks it. A
//! background task runs [`Service::reconcile`] every few seconds; it is idempotent and
//! safe on every instance at once (each company is settled under its row lock).

use std::time::Duration;

use super::{
    Service,
    enforcement::Scope,
    scopes::settle_company,
    window::{Window, month_key},
};
use crate::{
    model::ScopeType,
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
        let window = Window::month_of(now);
        let now_ms = now.timestamp_millis();
        let mut tx = self.db.begin_write().await?;
        entities::lock_companies(&mut tx, self.db.dialect, &[company_id.to_owned()]).await?;
        let Some(row) =
            entities::get(&mut tx, ScopeType::Company, company_id, month_key(now)).await?
        else {
            return Ok(());
        };
        let mut company = Scope::from_row(ScopeType::Company, row)?;
        settle_company(&mut tx, &mut company, &window, now_ms).await?;
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
