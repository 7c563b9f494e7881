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
