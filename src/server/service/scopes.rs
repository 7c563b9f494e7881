//! Companies, agents and projects: create, read, rename, budgets and status by hand. A
//! budget change runs the budget rules in the same transaction, so raising a budget
//! resumes at once and lowering one below the spend stops at once.

use uuid::Uuid;

use super::{
    Service,
    enforcement::{self, Scope, Transition},
    window::{Window, month_key},
};
use crate::{
    model::{Agent, Company, FieldError, Project, ScopeType, Status, Threshold, micros_to_cents},
    server::{
        error::{AppError, AppResult},
        store::{
            Conn,
            alerts::{self, AlertRow},
            entities,
        },
    },
};

/// Largest monthly budget accepted: ten billion dollars, in cents.
pub const MAX_BUDGET_CENTS: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, Default)]
pub struct NewScope {
    pub name: String,
    pub budget_monthly_cents: Option<i64>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ScopePatch {
    pub name: Option<String>,
    pub budget_monthly_cents: Option<i64>,
    pub status: Option<String>,
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    crate::domain::clean_text(name).unwrap_or_else(|message| {
        errors.push(FieldError::new("name", message));
        name.trim().to_owned()
    })
}

fn check_budget(budget: i64, errors: &mut Vec<FieldError>) {
    if budget < 0 {
        errors.push(FieldError::new(
            "budgetMonthlyCents",
            "must be 0 (no budget) or a positive number of cents",
        ));
    } else if budget > MAX_BUDGET_CENTS {
        errors.push(FieldError::new(
            "budgetMonthlyCents",
            "must be at most 1000000000000 cents",
        ));
    }
}

fn done(errors: Vec<FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(errors))
    }
}

fn not_found(kind: ScopeType) -> AppError {
    AppError::NotFound(format!("{} not found", kind.as_str()))
}

/// An alert about `scope` reaching `threshold` in the window starting at `window_start`.
pub(super) fn alert_row(
    scope: &Scope,
    threshold: Threshold,
    window_start: i64,
    now_ms: i64,
) -> AlertRow {
    AlertRow {
        id: Uuid::now_v7().to_string(),
        company_id: scope.company_id.clone(),
        scope_type: scope.kind.as_str().to_owned(),
        scope_id: scope.id.clone(),
        scope_name: scope.name.clone(),
        threshold: threshold.as_str().to_owned(),
        window_start,
        budget_cents: scope.budget_cents,
        observed_micros: scope.spend_micros,
        created_at: now_ms,
    }
}

/// Every alert `scope` has reached; inserting them skips those already raised.
fn alert_rows(scope: &Scope, window_start: i64, now_ms: i64) -> Vec<AlertRow> {
    enforcement::reached_thresholds(scope)
        .iter()
        .map(|&t| alert_row(scope, t, window_start, now_ms))
        .collect()
}

/// Resumes the agents of a company that were paused for budget and are no longer blocked
/// by their own budget. The caller has checked that the company itself is under budget.
pub(super) async fn resume_budget_paused_agents(
    conn: &mut Conn,
    company_id: &str,
    month: i64,
    now_ms: i64,
) -> AppResult<()> {
    for row in entities::budget_paused_agents(conn, company_id, month).await? {
        let mut agent = Scope::from_row(ScopeType::Agent, row)?;
        if enforcement::apply_settle(&mut agent, false, now_ms).is_some() {
            entities::update(conn, ScopeType::Agent, &agent.to_row()).await?;
        }
    }
    Ok(())
}

/// Runs the budget rules over a whole company after its budget changed or a month turned:
/// alerts, its own pause or resume, its agents' (a company stop pauses them all) and its
/// projects'. The caller holds the company lock and writes `company` back.
pub(super) async fn settle_company(
    conn: &mut Conn,
    company: &mut Scope,
    window: &Window,
    now_ms: i64,
) -> AppResult<()> {
    let month = month_key(window.start);
    alerts::insert_many(conn, &alert_rows(company, window.start_ms(), now_ms)).await?;
    if enforcement::apply_settle(company, false, now_ms) == Some(Transition::Pause) {
        entities::pause_active_agents(conn, &company.id, now_ms).await?;
    }
    entities::update(conn, ScopeType::Company, &company.to_row()).await?;
    if !company.over() {
        resume_budget_paused_agents(conn, &company.id, month, now_ms).await?;
    }
    for row in entities::budget_paused_projects(conn, &company.id, month).await? {
        let mut project = Scope::from_row(ScopeType::Project, row)?;
        if enforcement::apply_settle(&mut project, false, now_ms).is_some() {
            entities::update(conn, ScopeType::Project, &project.to_row()).await?;
        }
    }
    Ok(())
}

/// Runs the budget rules over every scope of a company, after something changed spend
/// outside the ingest path (a reprice): the company (and what its stop or resume implies),
/// then each agent and project against its own budget.
pub(super) async fn settle_all(
    conn: &mut Conn,
    company: &mut Scope,
    window: &Window,
    now_ms: i64,
) -> AppResult<()> {
    settle_company(conn, company, window, now_ms).await?;
    let company_over = company.over();
    let month = month_key(window.start);
    for kind in [ScopeType::Agent, ScopeType::Project] {
        for row in entities::list(conn, kind, Some(&company.id), month).await? {
            let mut scope = Scope::from_row(kind, row)?;
            alerts::insert_many(conn, &alert_rows(&scope, window.start_ms(), now_ms)).await?;
            if enforcement::apply_settle(&mut scope, company_over, now_ms).is_some() {
                entities::update(conn, kind, &scope.to_row()).await?;
            }
        }
    }
    Ok(())
}

impl Service {
    async fn create_scope(
        &self,
        kind: ScopeType,
        company_id: Option<&str>,
        input: NewScope,
    ) -> AppResult<Scope> {
        let mut errors = Vec::new();
        let name = check_name(&input.name, &mut errors);
        let budget = input.budget_monthly_cents.unwrap_or(0);
        check_budget(budget, &mut errors);
        done(errors)?;

        let now = self.now();
        let now_ms = now.timestamp_millis();
        let month = month_key(now);
        let mut tx = self.db.begin_write().await?;
        let id = Uuid::now_v7().to_string();
        let company_id = match company_id {
            Some(company_id) => {
                entities::lock_companies(&mut tx, self.db.dialect, &[company_id.to_owned()])
                    .await?;
                entities::get(&mut tx, ScopeType::Company, company_id, month)
                    .await?
                    .ok_or_else(|| not_found(ScopeType::Company))?;
                company_id.to_owned()
            }
            None => id.clone(),
        };
        let scope = Scope {
            kind,
            id,
            company_id,
            name,
            status: Status::Active,
            budget_cents: budget,
            spend_micros: 0,
            pause_reason: None,
            paused_at: None,
            created_at: now_ms,
            updated_at: now_ms,
        };
        entities::insert(&mut tx, kind, &scope.to_row()).await?;
        tx.commit().await?;
        Ok(scope)
    }

    async fn get_scope(&self, kind: ScopeType, id: &str) -> AppResult<Scope> {
        let month = month_key(self.now());
        let mut conn = self.db.read_conn().await?;
        let row = entities::get(&mut conn, kind, id, month)
            .await?
            .ok_or_else(|| not_found(kind))?;
        Scope::from_row(kind, row)
    }

    async fn list_scopes(
        &self,
        kind: ScopeType,
        company_id: Option<&str>,
    ) -> AppResult<Vec<Scope>> {
        let month = month_key(self.now());
        let mut conn = self.db.read_conn().await?;
        if let Some(company_id) = company_id {
            entities::get(&mut conn, ScopeType::Company, company_id, month)
                .await?
                .ok_or_else(|| not_found(ScopeType::Company))?;
        }
        entities::list(&mut conn, kind, company_id, month)
            .await?
            .into_iter()
            .map(|row| Scope::from_row(kind, row))
            .collect()
    }

    async fn update_scope(&self, kind: ScopeType, id: &str, patch: ScopePatch) -> AppResult<Scope> {
        let mut errors = Vec::new();
        let name = patch.name.as_deref().map(|n| check_name(n, &mut errors));
        if let Some(budget) = patch.budget_monthly_cents {
            check_budget(budget, &mut errors);
        }
        let status = match patch.status.as_deref() {
            None => None,
            Some("active") => Some(Status::Active),
            Some("paused") => Some(Status::Paused),
            Some(_) => {
                errors.push(FieldError::new(
                    "status",
                    "must be \"active\" or \"paused\"",
                ));
                None
            }
        };
        done(errors)?;

        let now = self.now();
        let now_ms = now.timestamp_millis();
        let window = Window::month_of(now);
        let month = month_key(now);
        let mut tx = self.db.begin_write().await?;
        // Every writer locks the company first; find which company that is.
        let company_id = match kind {
            ScopeType::Company => id.to_owned(),
            _ => {
                entities::get(&mut tx, kind, id, month)
                    .await?
                    .ok_or_else(|| not_found(kind))?
                    .company_id
            }
        };
        entities::lock_companies(&mut tx, self.db.dialect, std::slice::from_ref(&company_id))
            .await?;
        let company_row = entities::get(&mut tx, ScopeType::Company, &company_id, month)
            .await?
            .ok_or_else(|| not_found(kind))?;
        let mut company = Scope::from_row(ScopeType::Company, company_row)?;

        let mut scope = if kind == ScopeType::Company {
            company.clone()
        } else {
            let row = entities::get(&mut tx, kind, id, month)
                .await?
                .ok_or_else(|| not_found(kind))?;
            Scope::from_row(kind, row)?
        };
        if let Some(name) = name {
            scope.name = name;
        }
        if let Some(budget) = patch.budget_monthly_cents {
            scope.budget_cents = budget;
        }
        scope.updated_at = now_ms;

        if kind == ScopeType::Company {
            settle_company(&mut tx, &mut scope, &window, now_ms).await?;
            company = scope.clone();
        } else {
            alerts::insert_many(&mut tx, &alert_rows(&scope, window.start_ms(), now_ms)).await?;
            enforcement::apply_settle(&mut scope, company.over(), now_ms);
        }
        if let Some(wanted) = status {
            enforcement::set_status_by_hand(&mut scope, wanted, company.over(), now_ms)?;
            if kind == ScopeType::Company
                && wanted == Status::Active
                && scope.pause_reason.is_none()
            {
                // A company resumed by hand lets its budget-paused agents go too.
                settle_company(&mut tx, &mut scope, &window, now_ms).await?;
            }
        }
        entities::update(&mut tx, kind, &scope.to_row()).await?;
        tx.commit().await?;
        Ok(scope)
    }

    /// Changes a company, agent or project named by its kind; for callers (the dashboard's
    /// forms) that do not need the result.
    pub async fn update(&self, kind: ScopeType, id: &str, patch: ScopePatch) -> AppResult<()> {
        self.update_scope(kind, id, patch).await.map(|_| ())
    }

    pub async fn create_company(&self, input: NewScope) -> AppResult<Company> {
        self.create_scope(ScopeType::Company, None, input)
            .await
            .map(company)
    }

    pub async fn list_companies(&self) -> AppResult<Vec<Company>> {
        let scopes = self.list_scopes(ScopeType::Company, None).await?;
        Ok(scopes.into_iter().map(company).collect())
    }

    pub async fn get_company(&self, id: &str) -> AppResult<Company> {
        self.get_scope(ScopeType::Company, id).await.map(company)
    }

    pub async fn update_company(&self, id: &str, patch: ScopePatch) -> AppResult<Company> {
        self.update_scope(ScopeType::Company, id, patch)
            .await
            .map(company)
    }

    pub async fn create_agent(&self, company_id: &str, input: NewScope) -> AppResult<Agent> {
        self.create_scope(ScopeType::Agent, Some(company_id), input)
            .await
            .map(agent)
    }

    pub async fn list_agents(&self, company_id: &str) -> AppResult<Vec<Agent>> {
        let scopes = self.list_scopes(ScopeType::Agent, Some(company_id)).await?;
        Ok(scopes.into_iter().map(agent).collect())
    }

    pub async fn get_agent(&self, id: &str) -> AppResult<Agent> {
        self.get_scope(ScopeType::Agent, id).await.map(agent)
    }

    pub async fn update_agent(&self, id: &str, patch: ScopePatch) -> AppResult<Agent> {
        self.update_scope(ScopeType::Agent, id, patch)
            .await
            .map(agent)
    }

    pub async fn create_project(&self, company_id: &str, input: NewScope) -> AppResult<Project> {
        self.create_scope(ScopeType::Project, Some(company_id), input)
            .await
            .map(project)
    }

    pub async fn list_projects(&self, company_id: &str) -> AppResult<Vec<Project>> {
        let scopes = self
            .list_scopes(ScopeType::Project, Some(company_id))
            .await?;
        Ok(scopes.into_iter().map(project).collect())
    }

    pub async fn get_project(&self, id: &str) -> AppResult<Project> {
        self.get_scope(ScopeType::Project, id).await.map(project)
    }

    pub async fn update_project(&self, id: &str, patch: ScopePatch) -> AppResult<Project> {
        self.update_scope(ScopeType::Project, id, patch)
            .await
            .map(project)
    }
}

fn ts(ms: i64) -> chrono::DateTime<chrono::Utc> {
    super::window::from_ms(ms)
}

fn company(s: Scope) -> Company {
    Company {
        spent_monthly_cents: micros_to_cents(s.spend_micros),
        utilization_percent: s.utilization(),
        id: s.id,
        name: s.name,
        status: s.status,
        budget_monthly_cents: s.budget_cents,
        pause_reason: s.pause_reason,
        paused_at: s.paused_at.map(ts),
        created_at: ts(s.created_at),
        updated_at: ts(s.updated_at),
    }
}

fn agent(s: Scope) -> Agent {
    Agent {
        spent_monthly_cents: micros_to_cents(s.spend_micros),
        utilization_percent: s.utilization(),
        id: s.id,
        company_id: s.company_id,
        name: s.name,
        status: s.status,
        budget_monthly_cents: s.budget_cents,
        pause_reason: s.pause_reason,
        paused_at: s.paused_at.map(ts),
        created_at: ts(s.created_at),
        updated_at: ts(s.updated_at),
    }
}

fn project(s: Scope) -> Project {
    Project {
        spent_monthly_cents: micros_to_cents(s.spend_micros),
        utilization_percent: s.utilization(),
        id: s.id,
        company_id: s.company_id,
        name: s.name,
        status: s.status,
        budget_monthly_cents: s.budget_cents,
        pause_reason: s.pause_reason,
        paused_at: s.paused_at.map(ts),
        created_at: ts(s.created_at),
        updated_at: ts(s.updated_at),
    }
}
