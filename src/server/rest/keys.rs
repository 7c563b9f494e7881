//! Agent API keys (board only): create one (answered once), list them, revoke one.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    model::AgentKey,
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::Service,
    },
};

/// `POST /api/agents/{agentId}/keys`: 201 with the key; the only time it is shown.
#[utoipa::path(post, path = "/agents/{agent_id}/keys", tag = "keys", params(("agent_id" = String, Path, description = "An agent's id")),
    responses((status = 201, description = "The key, answered this once", body = crate::model::NewAgentKey)))]
pub async fn create_agent_key(
    State(service): State<Service>,
    actor: Actor,
    Path(agent_id): Path<String>,
) -> AppResult<Response> {
    authorize(&actor, Action::ManageAgentKeys(&agent_id))?;
    let key = service.create_agent_key(&agent_id, &actor.who()).await?;
    let mut response = (StatusCode::CREATED, Json(key)).into_response();
    // A secret: no cache may keep a copy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /api/agents/{agentId}/keys`: the keys that work; prefixes and dates, no secrets.
#[utoipa::path(get, path = "/agents/{agent_id}/keys", tag = "keys", params(("agent_id" = String, Path, description = "An agent's id")),
    responses((status = 200, description = "The keys that work, oldest first", body = Vec<AgentKey>)))]
pub async fn list_agent_keys(
    State(service): State<Service>,
    actor: Actor,
    Path(agent_id): Path<String>,
) -> AppResult<Json<Vec<AgentKey>>> {
    authorize(&actor, Action::ManageAgentKeys(&agent_id))?;
    Ok(Json(service.list_agent_keys(&agent_id).await?))
}

/// `DELETE /api/agents/{agentId}/keys/{keyId}`: 204; the key stops working at once.
#[utoipa::path(delete, path = "/agents/{agent_id}/keys/{key_id}", tag = "keys",
    params(("agent_id" = String, Path, description = "An agent's id"), ("key_id" = String, Path, description = "A key's id")),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke_agent_key(
    State(service): State<Service>,
    actor: Actor,
    Path((agent_id, key_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    authorize(&actor, Action::ManageAgentKeys(&agent_id))?;
    service
        .revoke_agent_key(&agent_id, &key_id, &actor.who())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
