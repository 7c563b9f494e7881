//! Override requests: an agent asks for more room for itself (at most one pending); the
//! board approves (extend the month, or raise the budget) or denies. An approval changes
//! the agent under the company lock and settles the whole company by the one budget rule.

use uuid::Uuid;

use super::{
    Service,
    budgets::CompanyState,
    incidents::{check_amount, check_note, check_raise, extend},
    outbox, views,
};
use crate::{
    domain::{
        Field, Problems,
        audit::{Change, Target},
        incident::{Actor, ApproveMode, BudgetRequest, RequestStatus},
        money::Cents,
        scope::ScopeType,
        time::Month,
    },
    model,
    server::{
        error::{AppError, AppResult},
        store::{audit, entities, requests},
    },
};

/// An agent's request for more room.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub amount_cents: Option<i64>,
    pub reason: String,
}

/// The board's approval: how, and how much (the request's amount when `None`; for
/// `raise_budget`, the new monthly budget).
#[derive(Debug, Clone)]
pub struct Approval {
    pub mode: ApproveMode,
    pub amount_cents: Option<i64>,
}

/// A request as the audit trail names it: by its agent.
fn target(r: &model::BudgetRequest) -> Target {
    Target::new("budget_request", &r.id, &r.agent_name)
}

fn not_found() -> AppError {
    AppError::NotFound("budget request not found".into())
}

impl Service {
    /// Stores a pending request for `agent_id` (404 unknown agent, 409 one is pending).
    pub async fn create_request(
        &self,
        agent_id: &str,
        input: NewRequest,
        actor: &Actor,
    ) -> AppResult<model::BudgetRequest> {
        let mut problems = Problems::default();
        let amount = check_amount(input.amount_cents, &mut problems);
        let reason = check_note(Some(&input.reason), Field::Reason, &mut problems);
        if reason.is_none() {
            problems.add(Field::Reason, "must not be empty");
        }
        problems.finish(())?;

        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        let agent = entities::get(&mut tx, ScopeType::Agent, agent_id, month)
            .await?
            .ok_or_else(|| AppError::NotFound("agent not found".into()))?;
        entities::lock_companies(
            &mut tx,
            self.db.dialect,
            std::slice::from_ref(&agent.company_id),
        )
        .await?;
        let request = BudgetRequest {
            id: Uuid::now_v7().to_string(),
            company_id: agent.company_id,
            agent_id: agent.id,
            agent_name: agent.name,
            amount,
            reason: reason.unwrap_or_default(),
            status: RequestStatus::Pending,
            requested_by: actor.clone(),
            created_at: now,
            decided_at: None,
            decision_mode: None,
            decided: None,
            decision_note: None,
            decided_by: None,
        };
        if !requests::insert(&mut tx, &request).await? {
            return Err(AppError::Conflict(
                "this agent already has a pending budget request".into(),
            ));
        }
        outbox::record_request(&mut tx, &request, false, month, now).await?;
        let company_id = request.company_id.clone();
        let view = views::request(request);
        let change = Change::new("budget_request.created", target(&view)).after(&view);
        audit::record(&mut tx, Some(&company_id), actor, now, &change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// One request, to authorize and answer.
    pub async fn get_request(&self, id: &str) -> AppResult<Option<model::BudgetRequest>> {
        let mut conn = self.db.read_conn().await?;
        Ok(requests::get(&mut conn, id).await?.map(views::request))
    }

    /// A company's requests, pending first (of one status when asked).
    pub async fn list_requests(
        &self,
        company_id: &str,
        status: Option<RequestStatus>,
    ) -> AppResult<Vec<model::BudgetRequest>> {
        let mut conn = self.db.read_conn().await?;
        entities::get(
            &mut conn,
            ScopeType::Company,
            company_id,
            Month::of(self.now()),
        )
        .await?
        .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let list = requests::list(&mut conn, company_id, status).await?;
        Ok(list.into_iter().map(views::request).collect())
    }

    /// Approves (`Some`) or denies (`None`) a pending request: 404 unknown, 409 decided
    /// already, 400/422 a bad amount. A refused call writes nothing.
    pub async fn decide_request(
        &self,
        id: &str,
        approval: Option<Approval>,
        note: Option<String>,
        actor: &Actor,
    ) -> AppResult<model::BudgetRequest> {
        let mut problems = Problems::default();
        let amount = approval
            .as_ref()
            .and_then(|a| a.amount_cents.map(|c| check_amount(Some(c), &mut problems)));
        let note = check_note(note.as_deref(), Field::Note, &mut problems);
        problems.finish(())?;

        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        let company_id = requests::get(&mut tx, id)
            .await?
            .ok_or_else(not_found)?
            .company_id;
        let mut state = CompanyState::load(&mut tx, self.db.dialect, &company_id, now)
            .await?
            .ok_or_else(not_found)?;
        let request = requests::get(&mut tx, id).await?.ok_or_else(not_found)?;
        if request.status != RequestStatus::Pending {
            return Err(AppError::Conflict(format!(
                "this budget request is already {}",
                request.status
            )));
        }
        let mut decided = None;
        if let Some(approval) = &approval {
            let agent = state
                .scope_mut(ScopeType::Agent, &request.agent_id)
                .ok_or_else(|| AppError::Conflict("this agent no longer exists".into()))?;
            let cents = match approval.mode {
                ApproveMode::ExtendMonth => {
                    let extra = amount.unwrap_or(request.amount);
                    extend(&mut tx, agent, extra, month).await?;
                    extra
                }
                ApproveMode::RaiseBudget => {
                    let budget = amount.unwrap_or_else(|| {
                        Cents::new(agent.budget.get().saturating_add(request.amount.get()))
                    });
                    check_raise(agent, budget)?;
                    agent.budget = budget;
                    agent.updated_at = now;
                    budget
                }
            };
            decided = Some(cents);
            let settled = state.settle(now);
            state.save(&mut tx, &settled, month, now, actor).await?;
        }
        let decision = requests::Decision {
            status: if approval.is_some() {
                RequestStatus::Approved
            } else {
                RequestStatus::Denied
            },
            mode: approval.as_ref().map(|a| a.mode),
            cents: decided,
            note: note.as_deref(),
            actor,
            at: now,
        };
        if !requests::decide(&mut tx, id, &decision).await? {
            return Err(AppError::Conflict(
                "this budget request is already decided".into(),
            ));
        }
        let decided = requests::get(&mut tx, id).await?.ok_or_else(not_found)?;
        outbox::record_request(&mut tx, &decided, true, month, now).await?;
        let (before, after) = (views::request(request), views::request(decided));
        let action = format!("budget_request.{}", after.status);
        let change = Change::new(action, target(&after))
            .before(&before)
            .after(&after);
        audit::record(&mut tx, Some(&company_id), actor, now, &change).await?;
        tx.commit().await?;
        Ok(after)
    }
}
