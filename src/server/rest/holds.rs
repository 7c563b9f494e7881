//! Budget status and budget holds: what an adapter asks before it spends.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::extract::{Fields, JsonObject, Params};
use crate::{
    domain::hold::NewHold,
    model::{BudgetHold, BudgetStatus},
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        service::Service,
    },
};

/// `GET /api/agents/{agentId}/budget-status[?projectId=]`: may the agent run.
#[utoipa::path(get, path = "/agents/{agent_id}/budget-status", tag = "budget holds",
    params(("agent_id" = String, Path, description = "An agent's id"), ("projectId" = Option<String>, Query, description = "Also the project's room")),
    responses((status = 200, description = "Whether the agent may run, and its room", body = BudgetStatus)))]
pub async fn get_budget_status(
    State(service): State<Service>,
    actor: Actor,
    Path(agent_id): Path<String>,
    params: Params,
) -> AppResult<Json<BudgetStatus>> {
    authorize(&actor, Action::ReadAgent(&agent_id))?;
    let project = params.get("projectId");
    Ok(Json(
        service.budget_status(&agent_id, project.as_deref()).await?,
    ))
}

/// `POST /api/companies/{companyId}/budget-holds`: 201 with the hold; 200 with the first
/// one when its `holdKey` is replayed; 409 naming the scopes without room.
#[utoipa::path(post, path = "/companies/{company_id}/budget-holds", tag = "budget holds",
    params(("company_id" = String, Path, description = "A company's id")), request_body = crate::server::rest::openapi::bodies::NewHold,
    responses(
        (status = 201, description = "The hold", body = BudgetHold),
        (status = 200, description = "A replayed `holdKey`: the first hold", body = BudgetHold),
    ))]
pub async fn create_budget_hold(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<BudgetHold>)> {
    let mut f = Fields::new(&body);
    let input = NewHold {
        agent_id: f.required_string("agentId"),
        project_id: f.string("projectId"),
        amount_cents: f.required_int("amountCents"),
        ttl_seconds: f.int("ttlSeconds"),
        hold_key: f.string("holdKey"),
    };
    f.finish()?;
    authorize(
        &actor,
        Action::HoldFor {
            company: &company_id,
            agent: &input.agent_id,
        },
    )?;
    let grant = service.create_hold(&company_id, input).await?;
    let status = if grant.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(grant.hold)))
}

/// `GET /api/companies/{companyId}/budget-holds[?agentId=]`: the holds that count now.
#[utoipa::path(get, path = "/companies/{company_id}/budget-holds", tag = "budget holds",
    params(("company_id" = String, Path, description = "A company's id"), ("agentId" = Option<String>, Query, description = "Only this agent's holds")),
    responses((status = 200, description = "The holds that count now, oldest first", body = Vec<BudgetHold>)))]
pub async fn list_budget_holds(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<BudgetHold>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    let agent = params.get("agentId");
    Ok(Json(
        service.list_holds(&company_id, agent.as_deref()).await?,
    ))
}

/// `DELETE /api/budget-holds/{holdId}`: releases a hold early.
#[utoipa::path(delete, path = "/budget-holds/{hold_id}", tag = "budget holds",
    params(("hold_id" = String, Path, description = "A hold's id")),
    responses((status = 200, description = "The hold, released", body = BudgetHold)))]
pub async fn release_budget_hold(
    State(service): State<Service>,
    actor: Actor,
    Path(hold_id): Path<String>,
) -> AppResult<Json<BudgetHold>> {
    let found = service.find_hold(&hold_id).await?;
    let owner = found
        .as_ref()
        .map(|h| (h.company_id.as_str(), h.agent_id.as_str()));
    authorize(&actor, Action::ChangeHold(owner))?;
    if found.is_none() {
        return Err(AppError::NotFound("budget hold not found".into()));
    }
    Ok(Json(service.release_hold(&hold_id).await?))
}
