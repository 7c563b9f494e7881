//! Companies, agents and projects: create, read, rename, budgets, runaway guards and status
//! by hand. A budget, guard or status change runs the budget rule over the whole company in the same
//! transaction, so raising a budget resumes at once and lowering one stops at once.

use uuid::Uuid;

use super::{Service, budgets::CompanyState, views};
use crate::{
    domain::{
        Field, Invalid, Problems,
        audit::{Actor, Change, ScopeState, Target},
        budget::{self, StatusRefusal},
        clean_text,
        money::Cents,
        scope::{Scope, ScopeType, Status},
        time::Month,
    },
    model::ScopeView,
    server::{
        error::{AppError, AppResult},
        store::{audit, entities},
    },
};

/// Largest monthly budget accepted: ten billion dollars, in cents.
pub const MAX_BUDGET: Cents = Cents::new(1_000_000_000_000);

/// A new company, agent or project.
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
    /// The runaway guard's limit on the trailing hour's spend; 0 turns it off.
    pub max_hourly_cents: Option<i64>,
    pub status: Option<Status>,
}

fn check_name(name: &str, problems: &mut Problems) -> String {
    clean_text(name).unwrap_or_else(|message| {
        problems.add(Field::Name, message);
        String::new()
    })
}

fn check_budget(budget: i64, problems: &mut Problems) -> Cents {
    if budget < 0 {
        problems.add(
            Field::MonthlyBudget,
            "must be 0 (no budget) or a positive number of cents",
        );
    } else if budget > MAX_BUDGET.get() {
        problems.add(Field::MonthlyBudget, "must be at most 1000000000000 cents");
    }
    Cents::new(budget)
}

fn check_max_hourly(limit: i64, problems: &mut Problems) -> Cents {
    if limit < 0 {
        problems.add(
            Field::MaxHourly,
            "must be 0 (no guard) or a positive number of cents",
        );
    } else if limit > MAX_BUDGET.get() {
        problems.add(Field::MaxHourly, "must be at most 1000000000000 cents");
    }
    Cents::new(limit)
}

fn not_found(kind: ScopeType) -> AppError {
    AppError::NotFound(format!("{kind} not found"))
}

fn refused(kind: ScopeType, refusal: StatusRefusal) -> AppError {
    match refusal {
        StatusRefusal::Terminated => AppError::Conflict(format!(
            "this {kind} is terminated and cannot change status"
        )),
        StatusRefusal::NotSettable => {
            Invalid::one(Field::Status, "must be \"active\" or \"paused\"").into()
        }
        StatusRefusal::OverBudget => AppError::Conflict(format!(
            "{kind} is still over its monthly budget; raise the budget to resume it"
        )),
        StatusRefusal::CompanyOverBudget => AppError::Conflict(
            "the company is over its monthly budget or paused by its runaway guard; raise \
             the company budget or resume the company to resume this agent"
                .to_owned(),
        ),
    }
}

impl Service {
    /// Creates a company (`company_id` `None`) or an agent or project of a company.
    pub async fn create_scope(
        &self,
        kind: ScopeType,
        company_id: Option<&str>,
        input: NewScope,
        actor: &Actor,
    ) -> AppResult<ScopeView> {
        let mut problems = Problems::default();
        let name = check_name(&input.name, &mut problems);
        let budget = check_budget(input.budget_monthly_cents.unwrap_or(0), &mut problems);
        problems.finish(())?;

        let now = self.now();
        let id = Uuid::now_v7().to_string();
        let mut tx = self.db.begin_write().await?;
        let company_id = match company_id {
            Some(company_id) => {
                entities::lock_companies(&mut tx, self.db.dialect, &[company_id.to_owned()])
                    .await?;
                entities::get(&mut tx, ScopeType::Company, company_id, Month::of(now))
                    .await?
                    .ok_or_else(|| not_found(ScopeType::Company))?;
                company_id.to_owned()
            }
            None => id.clone(),
        };
        let scope = Scope::new(kind, id, company_id, name, budget, now);
        entities::insert(&mut tx, &scope).await?;
        let change = Change::new(format!("{kind}.created"), Target::scope(&scope))
            .after(ScopeState::of(&scope));
        audit::record(&mut tx, Some(&scope.company_id), actor, now, &change).await?;
        tx.commit().await?;
        Ok(views::scope(scope))
    }

    pub async fn get_scope(&self, kind: ScopeType, id: &str) -> AppResult<ScopeView> {
        let mut conn = self.db.read_conn().await?;
        let scope = entities::get(&mut conn, kind, id, Month::of(self.now()))
            .await?
            .ok_or_else(|| not_found(kind))?;
        Ok(views::scope(scope))
    }

    /// Every company, or every agent or project of a company; oldest first.
    pub async fn list_scopes(
        &self,
        kind: ScopeType,
        company_id: Option<&str>,
    ) -> AppResult<Vec<ScopeView>> {
        let month = Month::of(self.now());
        let mut conn = self.db.read_conn().await?;
        if let Some(company_id) = company_id {
            entities::get(&mut conn, ScopeType::Company, company_id, month)
                .await?
                .ok_or_else(|| not_found(ScopeType::Company))?;
        }
        let scopes = entities::list(&mut conn, kind, company_id, month).await?;
        Ok(scopes.into_iter().map(views::scope).collect())
    }

    /// Renames, re-budgets or pauses/resumes a scope, then settles its company.
    pub async fn update_scope(
        &self,
        kind: ScopeType,
        id: &str,
        patch: ScopePatch,
        actor: &Actor,
    ) -> AppResult<ScopeView> {
        let mut problems = Problems::default();
        let name = patch.name.as_deref().map(|n| check_name(n, &mut problems));
        let budget = patch
            .budget_monthly_cents
            .map(|b| check_budget(b, &mut problems));
        let max_hourly = patch
            .max_hourly_cents
            .map(|m| check_max_hourly(m, &mut problems));
        if patch.status == Some(Status::Terminated) {
            problems.add(Field::Status, "must be \"active\" or \"paused\"");
        }
        problems.finish(())?;

        let now = self.now();
        let month = Month::of(now);
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
        let mut state = CompanyState::load(&mut tx, self.db.dialect, &company_id, now)
            .await?
            .ok_or_else(|| not_found(kind))?;
        let scope = state.scope_mut(kind, id).ok_or_else(|| not_found(kind))?;
        if let Some(name) = name {
            scope.name = name;
        }
        if let Some(budget) = budget {
            scope.budget = budget;
        }
        if let Some(max_hourly) = max_hourly {
            scope.max_hourly = max_hourly;
        }
        scope.updated_at = now;
        let mut settled = state.settle(now);
        if let Some(wanted) = patch.status {
            let company_over = budget::company_blocks(&state.company);
            let scope = state.scope_mut(kind, id).ok_or_else(|| not_found(kind))?;
            budget::set_status_by_hand(scope, wanted, company_over, now)
                .map_err(|r| refused(kind, r))?;
            // A company resumed by hand lets its budget-paused agents go too.
            settled.merge(state.settle(now));
        }
        let changed = state
            .scope_mut(kind, id)
            .cloned()
            .ok_or_else(|| not_found(kind))?;
        state.save(&mut tx, &settled, month, now, actor).await?;
        tx.commit().await?;
        Ok(views::scope(changed))
    }

    /// Terminates an agent for good: it runs and spends nothing again. Its spend stays in
    /// the ledger; a second call is a 409.
    pub async fn terminate_agent(&self, id: &str, actor: &Actor) -> AppResult<ScopeView> {
        let kind = ScopeType::Agent;
        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        let company_id = entities::get(&mut tx, kind, id, month)
            .await?
            .ok_or_else(|| not_found(kind))?
            .company_id;
        let mut state = CompanyState::load(&mut tx, self.db.dialect, &company_id, now)
            .await?
            .ok_or_else(|| not_found(kind))?;
        let agent = state.scope_mut(kind, id).ok_or_else(|| not_found(kind))?;
        budget::terminate(agent, now).map_err(|r| refused(kind, r))?;
        let ended = agent.clone();
        let settled = state.settle(now);
        state.save(&mut tx, &settled, month, now, actor).await?;
        tx.commit().await?;
        Ok(views::scope(ended))
    }
}
