//! What `/metrics` reads from the database when it is scraped.

use super::Service;
use crate::{domain::scope::ScopeType, server::error::AppResult, server::store::gauges};

/// The levels of the moment, as the gauges show them.
pub struct Gauges {
    /// `(kind, how many)` of the paused scopes.
    pub paused: [(ScopeType, i64); 3],
    /// `(company id, utilization percent)` of every company, this month.
    pub utilization: Vec<(String, f64)>,
    pub pending_deliveries: i64,
}

impl Service {
    pub async fn gauges(&self) -> AppResult<Gauges> {
        let utilization = self
            .list_scopes(ScopeType::Company, None)
            .await?
            .into_iter()
            .map(|c| (c.id, c.utilization_percent))
            .collect();
        let mut conn = self.db.read_conn().await?;
        let (companies, agents, projects) = gauges::paused_scopes(&mut conn).await?;
        Ok(Gauges {
            paused: [
                (ScopeType::Company, companies),
                (ScopeType::Agent, agents),
                (ScopeType::Project, projects),
            ],
            utilization,
            pending_deliveries: gauges::pending_deliveries(&mut conn).await?,
        })
    }
}
