//! Writing one batch back in its transaction: the new events, the rollups and pace buckets,
//! the settled holds, the agents a company's pause or resume reached beyond the batch, the
//! effects and audit rows of the rules, and every scope the batch changed.

use std::collections::BTreeSet;

use super::Batch;
use crate::{
    domain::{
        budget,
        scope::{Scope, ScopeType},
    },
    server::{
        error::{AppError, AppResult},
        service::effects,
        store::{Conn, Dialect, Sql, entities, events, holds, pace, rollups},
    },
};

impl Batch {
    /// Writes the batch, but for what it answers: the statements still to run, last, before
    /// the transaction commits ([`WriteTx::commit_and_keep_after`], which on SQLite sends
    /// a busy moment's batch with the `COMMIT` in one round trip). Those are the events, their rollups and
    /// their pace buckets when nothing else follows them (no hold settled, no rule decided
    /// anything, no scope changed); else they are written first, as the rules' effects
    /// read the spend they add.
    ///
    /// [`WriteTx::commit_and_keep_after`]: crate::server::store::WriteTx::commit_and_keep_after
    pub(super) async fn write(mut self, conn: &mut Conn, dialect: Dialect) -> AppResult<Vec<Sql>> {
        let month = self
            .month
            .ok_or_else(|| AppError::internal("a batch without a month"))?;
        let sqlite = dialect == Dialect::Sqlite;
        let mut statements = events::inserts(sqlite, &self.new_events);
        statements.extend(rollups::upserts(sqlite, &self.deltas));
        statements.extend(pace::upserts(sqlite, &self.day_deltas, &self.minute_deltas));
        let nothing_follows = self.settled_holds.is_empty()
            && self.cascades.is_empty()
            && self.settled.alerts.is_empty()
            && self.settled.changes.is_empty()
            && self.changed_scopes().next().is_none();
        if nothing_follows {
            return Ok(statements);
        }
        Sql::execute_all(conn, statements).await?;
        for id in &self.settled_holds {
            if let Some(hold) = self.holds.get(id) {
                holds::update_state(conn, hold).await?;
            }
        }
        // Agents of a company that paused or resumed, beyond those this batch holds.
        let mut changed_elsewhere = Vec::new();
        for company_id in &self.cascades {
            let Some(company) = self.companies.get(company_id) else {
                continue;
            };
            let mut others: Vec<Scope> =
                entities::list(conn, ScopeType::Agent, Some(company_id), month)
                    .await?
                    .into_iter()
                    .filter(|a| !self.agents.contains_key(&a.id))
                    .collect();
            let mut refs: Vec<&mut Scope> = others.iter_mut().collect();
            let settled = budget::settle_members(company, &mut refs, &mut self.raised, self.now);
            let changed: BTreeSet<String> = settled
                .changes
                .iter()
                .map(|(_, id, _)| id.clone())
                .collect();
            self.settled.merge(settled);
            changed_elsewhere.extend(others.into_iter().filter(|a| changed.contains(&a.id)));
        }
        effects::record(conn, &self.settled, month, self.now).await?;
        let scope_of = |kind: ScopeType, id: &str| match kind {
            ScopeType::Company => self.companies.get(id),
            ScopeType::Agent => self
                .agents
                .get(id)
                .or_else(|| changed_elsewhere.iter().find(|a| a.id == id)),
            ScopeType::Project => self.projects.get(id),
        };
        effects::audit_rules(conn, &self.settled, scope_of, self.now).await?;
        for scope in self.changed_scopes().chain(changed_elsewhere.iter()) {
            entities::update(conn, scope).await?;
        }
        Ok(Vec::new())
    }

    /// The scopes of the batch whose name, budget, status, pause or guard fields the rules
    /// changed (those are stamped with the batch's time).
    fn changed_scopes(&self) -> impl Iterator<Item = &Scope> {
        self.companies
            .values()
            .chain(self.agents.values())
            .chain(self.projects.values())
            .filter(|s| s.updated_at == self.now)
    }
}
