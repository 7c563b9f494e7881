//! The audit trail (board only).

use axum::{
    Json,
    extract::{Path, State},
};

use super::extract::Params;
use crate::{
    model::ActivityPage,
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::{Service, activity::ActivityQuery},
    },
};

/// `GET /api/companies/{companyId}/activity[?limit=&cursor=&actorType=&targetType=]`
#[utoipa::path(get, path = "/companies/{company_id}/activity", tag = "activity",
    params(("company_id" = String, Path, description = "A company's id"), ("limit" = Option<i64>, Query, description = "1 to 200, default 50"), ("cursor" = Option<String>, Query, description = "nextCursor of the page before"), ("actorType" = Option<String>, Query, description = "board_user, board_token, agent_key, local or system"), ("targetType" = Option<String>, Query, description = "company, agent, project, price, agent_key, webhook, incident or budget_request")),
    responses((status = 200, description = "A page of changes, newest first", body = ActivityPage)))]
pub async fn list_activity(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<ActivityPage>> {
    authorize(&actor, Action::ReadActivity(&company_id))?;
    let query = ActivityQuery {
        limit: params.int("limit")?,
        cursor: params.get("cursor"),
        actor_type: params.get("actorType"),
        target_type: params.get("targetType"),
    };
    Ok(Json(service.list_activity(&company_id, query).await?))
}
