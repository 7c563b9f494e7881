//! Override requests: an agent key asks for more room for its own agent and reads the
//! decision back; the board lists, approves and denies.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::extract::{Fields, JsonObject, Params};
use crate::{
    domain::incident::{ApproveMode, RequestStatus},
    model::{BudgetRequest, FieldError},
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        service::{Approval, NewRequest, Service},
    },
};

/// `POST /api/agents/{agentId}/budget-requests {amountCents, reason}`: 201 pending.
#[utoipa::path(post, path = "/agents/{agent_id}/budget-requests", tag = "budget requests",
    params(("agent_id" = String, Path, description = "An agent's id")), request_body = crate::server::rest::openapi::bodies::NewBudgetRequest,
    responses((status = 201, description = "The request, pending", body = BudgetRequest)))]
pub async fn create_budget_request(
    State(service): State<Service>,
    actor: Actor,
    Path(agent_id): Path<String>,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<BudgetRequest>)> {
    authorize(&actor, Action::RequestBudget(&agent_id))?;
    let mut f = Fields::new(&body);
    let input = NewRequest {
        amount_cents: f.int("amountCents"),
        reason: f.required_string("reason"),
    };
    f.finish()?;
    let request = service
        .create_request(&agent_id, input, &actor.who())
        .await?;
    Ok((StatusCode::CREATED, Json(request)))
}

/// `GET /api/companies/{companyId}/budget-requests[?status=pending|approved|denied]`
#[utoipa::path(get, path = "/companies/{company_id}/budget-requests", tag = "budget requests",
    params(("company_id" = String, Path, description = "A company's id"), ("status" = Option<RequestStatus>, Query, description = "Only requests in this state")),
    responses((status = 200, description = "The requests, newest first", body = Vec<BudgetRequest>)))]
pub async fn list_budget_requests(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<BudgetRequest>>> {
    authorize(&actor, Action::ReadIncidents(&company_id))?;
    let status = params
        .get("status")
        .map(|s| {
            RequestStatus::parse(&s).ok_or_else(|| {
                AppError::invalid_fields(vec![FieldError::new(
                    "status",
                    "must be \"pending\", \"approved\" or \"denied\"",
                )])
            })
        })
        .transpose()?;
    Ok(Json(service.list_requests(&company_id, status).await?))
}

/// `GET /api/budget-requests/{requestId}`: the board, or the key of the agent that asked.
#[utoipa::path(get, path = "/budget-requests/{request_id}", tag = "budget requests",
    params(("request_id" = String, Path, description = "A request's id")),
    responses((status = 200, description = "The request and its decision", body = BudgetRequest)))]
pub async fn get_budget_request(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<BudgetRequest>> {
    let found = service.get_request(&id).await?;
    let owner = found
        .as_ref()
        .map(|r| (r.company_id.as_str(), r.agent_id.as_str()));
    authorize(&actor, Action::ReadRequest(owner))?;
    found
        .map(Json)
        .ok_or_else(|| AppError::NotFound("budget request not found".into()))
}

/// `POST /api/budget-requests/{requestId}/approve {mode, amountCents?, decisionNote?}`
#[utoipa::path(post, path = "/budget-requests/{request_id}/approve", tag = "budget requests",
    params(("request_id" = String, Path, description = "A request's id")), request_body = crate::server::rest::openapi::bodies::ApproveRequest,
    responses((status = 200, description = "The request, approved", body = BudgetRequest)))]
pub async fn approve_budget_request(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<BudgetRequest>> {
    authorize(&actor, Action::DecideRequest(&id))?;
    let mut f = Fields::new(&body);
    let mode = f.required_string("mode");
    let parsed = ApproveMode::parse(&mode);
    if parsed.is_none() && body.0.get("mode").is_some_and(serde_json::Value::is_string) {
        f.reject("mode", "must be \"extend_month\" or \"raise_budget\"");
    }
    let amount_cents = f.int("amountCents");
    let note = f.string("decisionNote");
    f.finish()?;
    let approval = Approval {
        mode: parsed.unwrap_or(ApproveMode::ExtendMonth),
        amount_cents,
    };
    Ok(Json(
        service
            .decide_request(&id, Some(approval), note, &actor.who())
            .await?,
    ))
}

/// `POST /api/budget-requests/{requestId}/deny {decisionNote?}`
#[utoipa::path(post, path = "/budget-requests/{request_id}/deny", tag = "budget requests",
    params(("request_id" = String, Path, description = "A request's id")), request_body = crate::server::rest::openapi::bodies::DenyRequest,
    responses((status = 200, description = "The request, denied", body = BudgetRequest)))]
pub async fn deny_budget_request(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<BudgetRequest>> {
    authorize(&actor, Action::DecideRequest(&id))?;
    let mut f = Fields::new(&body);
    let note = f.string("decisionNote");
    f.finish()?;
    Ok(Json(
        service
            .decide_request(&id, None, note, &actor.who())
            .await?,
    ))
}
