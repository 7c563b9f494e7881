//! A whole company under its lock: the company, all its agents and projects with this
//! month's spend, settled by the one budget rule (`domain::budget::settle`) and written back.
//! Budget and status changes, the month rollover and repricing go through here; ingest
//! settles the scopes its events touch and comes here only when a company pauses or
//! resumes (then every agent follows).

use chrono::{DateTime, Utc};

use super::effects;
use crate::{
    domain::{
        audit::{Actor, scope_change},
        budget::{self, Raised, Settlement},
        scope::{Scope, ScopeType},
        time::Month,
    },
    server::store::{Conn, Dialect, alerts, audit, entities, pace},
};

pub(crate) struct CompanyState {
    pub(crate) company: Scope,
    pub(crate) agents: Vec<Scope>,
    pub(crate) projects: Vec<Scope>,
    /// As loaded, to write back only what changed.
    loaded: Vec<Scope>,
    /// The monthly alerts already raised, so each is offered once.
    raised: Raised,
}

impl CompanyState {
    /// Locks the company (PostgreSQL) and loads it whole at `now`, with what its guards and
    /// forecasts count; `None` if it does not exist.
    pub(crate) async fn load(
        conn: &mut Conn,
        dialect: Dialect,
        company_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Self>, sqlx::Error> {
        entities::lock_companies(conn, dialect, &[company_id.to_owned()]).await?;
        Self::read(conn, company_id, now).await
    }

    /// [`CompanyState::load`] without the lock: to look before taking it.
    pub(crate) async fn read(
        conn: &mut Conn,
        company_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Self>, sqlx::Error> {
        let month = Month::of(now);
        let Some(mut company) = entities::get(conn, ScopeType::Company, company_id, month).await?
        else {
            return Ok(None);
        };
        let mut agents = entities::list(conn, ScopeType::Agent, Some(company_id), month).await?;
        let mut projects =
            entities::list(conn, ScopeType::Project, Some(company_id), month).await?;
        let pace = pace::load(conn, &[company_id.to_owned()], None, now).await?;
        for scope in std::iter::once(&mut company)
            .chain(agents.iter_mut())
            .chain(projects.iter_mut())
        {
            pace.fill(scope, now);
        }
        let raised = alerts::raised_in(conn, company_id, month)
            .await?
            .into_iter()
            .collect();
        let loaded = std::iter::once(company.clone())
            .chain(agents.iter().cloned())
            .chain(projects.iter().cloned())
            .collect();
        Ok(Some(Self {
            company,
            agents,
            projects,
            loaded,
            raised,
        }))
    }

    /// The scope `kind`/`id` of this company, if it is one.
    pub(crate) fn scope_mut(&mut self, kind: ScopeType, id: &str) -> Option<&mut Scope> {
        match kind {
            ScopeType::Company => (self.company.id == id).then_some(&mut self.company),
            ScopeType::Agent => self.agents.iter_mut().find(|s| s.id == id),
            ScopeType::Project => self.projects.iter_mut().find(|s| s.id == id),
        }
    }

    /// Runs the budget rule over the whole company.
    pub(crate) fn settle(&mut self, now: DateTime<Utc>) -> Settlement {
        let mut members: Vec<&mut Scope> = self
            .agents
            .iter_mut()
            .chain(self.projects.iter_mut())
            .collect();
        budget::settle(&mut self.company, &mut members, &mut self.raised, now)
    }

    /// Writes what `settled` decided and every scope that differs from what was loaded,
    /// each change in the audit trail as `actor`'s (a manager's change and what it caused;
    /// the rollover's).
    pub(crate) async fn save(
        self,
        conn: &mut Conn,
        settled: &Settlement,
        month: Month,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Scope, sqlx::Error> {
        let current = std::iter::once(&self.company)
            .chain(self.agents.iter())
            .chain(self.projects.iter());
        let mut resumed = Vec::new();
        for scope in current {
            let before = self
                .loaded
                .iter()
                .find(|s| s.kind == scope.kind && s.id == scope.id);
            resumed.extend(before.and_then(|b| effects::Resumed::of(b, scope)));
            if before != Some(scope) {
                entities::update(conn, scope).await?;
                if let Some(change) = before.and_then(|b| scope_change(b, scope)) {
                    audit::record(conn, Some(&scope.company_id), actor, now, &change).await?;
                }
            }
        }
        // After the scopes: the announcements read their new budgets.
        effects::record(conn, settled, month, now).await?;
        effects::close_stop_incidents(conn, &resumed, actor, month, now).await?;
        Ok(self.company)
    }
}
