//! Webhook endpoints (board only): create (the secret answered once), list, change,
//! delete, their deliveries, and a test event.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::extract::{Fields, JsonObject};
use crate::{
    domain::notify::EventType,
    model::{Webhook, WebhookDelivery},
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::{NewWebhook, Service, WebhookPatch},
    },
};

fn max_events() -> usize {
    EventType::ALL.len() * 2
}

fn new_webhook(body: &JsonObject) -> AppResult<NewWebhook> {
    let mut f = Fields::new(body);
    let url = f.required_string("url");
    let events = f.strings("events", max_events());
    if events.is_none() && !body.0.contains_key("events") {
        f.reject("events", "is required");
    }
    let input = NewWebhook {
        url,
        events: events.unwrap_or_default(),
        format: f.string("format"),
        enabled: f.bool("enabled"),
    };
    f.finish()?;
    Ok(input)
}

fn patch(body: &JsonObject) -> AppResult<WebhookPatch> {
    let mut f = Fields::new(body);
    let input = WebhookPatch {
        url: f.string("url"),
        events: f.strings("events", max_events()),
        format: f.string("format"),
        enabled: f.bool("enabled"),
    };
    f.finish()?;
    Ok(input)
}

/// `POST /api/companies/{companyId}/webhooks`: 201 with the secret, the only time it is
/// shown.
#[utoipa::path(post, path = "/companies/{company_id}/webhooks", tag = "webhooks", params(("company_id" = String, Path, description = "A company's id")),
    request_body = crate::server::rest::openapi::bodies::NewWebhook,
    responses((status = 201, description = "The endpoint and its secret, shown this once", body = crate::model::NewWebhook)))]
pub async fn create_webhook(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    body: JsonObject,
) -> AppResult<Response> {
    authorize(&actor, Action::ManageWebhooks(&company_id))?;
    let created = service
        .create_webhook(&company_id, new_webhook(&body)?, &actor.who())
        .await?;
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    // A secret: no cache may keep a copy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /api/companies/{companyId}/webhooks`: the endpoints, never a secret.
#[utoipa::path(get, path = "/companies/{company_id}/webhooks", tag = "webhooks", params(("company_id" = String, Path, description = "A company's id")),
    responses((status = 200, description = "The endpoints, oldest first", body = Vec<Webhook>)))]
pub async fn list_webhooks(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
) -> AppResult<Json<Vec<Webhook>>> {
    authorize(&actor, Action::ManageWebhooks(&company_id))?;
    Ok(Json(service.list_webhooks(&company_id).await?))
}

/// `PATCH /api/webhooks/{id}`: url, events, format, enabled (enabling clears failures).
#[utoipa::path(patch, path = "/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "An endpoint's id")), request_body = crate::server::rest::openapi::bodies::WebhookPatch,
    responses((status = 200, description = "The endpoint", body = Webhook)))]
pub async fn update_webhook(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Webhook>> {
    authorize(&actor, Action::ManageWebhook(&id))?;
    Ok(Json(
        service
            .update_webhook(&id, patch(&body)?, &actor.who())
            .await?,
    ))
}

/// `DELETE /api/webhooks/{id}`: 204; nothing more is sent to it.
#[utoipa::path(delete, path = "/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "An endpoint's id")),
    responses((status = 204, description = "Deleted, with its queued deliveries")))]
pub async fn delete_webhook(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    authorize(&actor, Action::ManageWebhook(&id))?;
    service.delete_webhook(&id, &actor.who()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/webhooks/{id}/deliveries`: the newest 100, each with its attempts.
#[utoipa::path(get, path = "/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "An endpoint's id")),
    responses((status = 200, description = "The newest 100 deliveries, newest first", body = Vec<WebhookDelivery>)))]
pub async fn list_webhook_deliveries(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<WebhookDelivery>>> {
    authorize(&actor, Action::ManageWebhook(&id))?;
    Ok(Json(service.webhook_deliveries(&id).await?))
}

/// `POST /api/webhooks/{id}/test`: 202; a `webhook.test` event is queued for this endpoint.
#[utoipa::path(post, path = "/webhooks/{webhook_id}/test", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "An endpoint's id")),
    responses((status = 202, description = "A `webhook.test` event is queued", body = crate::server::rest::openapi::bodies::TestQueued)))]
pub async fn test_webhook(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<Value>)> {
    authorize(&actor, Action::ManageWebhook(&id))?;
    let event = service.test_webhook(&id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"eventId": event}))))
}
