//! Notifications: a company's webhook endpoints, their deliveries and a test event. The
//! same service calls and the same policy (`ManageWebhooks`, board only) as the REST routes.

use leptos::prelude::*;

use crate::model::{ApiError, NewWebhook, Webhook, WebhookDelivery};
#[cfg(feature = "ssr")]
use crate::server::{
    auth::Action,
    service::{NewWebhook as Input, WebhookPatch},
};

#[cfg(feature = "ssr")]
use super::ctx;

/// The company's endpoints, oldest first, never a secret.
#[server(prefix = "/rpc", endpoint = "webhooks")]
pub async fn get_webhooks(company_id: String) -> Result<Vec<Webhook>, ApiError> {
    ctx::allowed(Action::ManageWebhooks(&company_id))?
        .list_webhooks(&company_id)
        .await
        .map_err(ctx::fail)
}

/// Adds an endpoint; the answer carries its signing secret, the only time it is shown.
/// `events` are the checked boxes (`events[i]`): none is a 400 naming `events`.
#[server(prefix = "/rpc", endpoint = "add_webhook")]
pub async fn add_webhook(
    company_id: String,
    url: String,
    format: String,
    events: Option<Vec<String>>,
) -> Result<NewWebhook, ApiError> {
    let input = Input {
        url,
        events: events.unwrap_or_default(),
        format: Some(format),
        enabled: Some(true),
    };
    let (service, who) = ctx::allowed_as(Action::ManageWebhooks(&company_id))?;
    let created = service
        .create_webhook(&company_id, input, &who)
        .await
        .map_err(ctx::fail)?;
    let flashed = super::flash::Flashed {
        secret: created.secret.clone(),
        label: created.info.url.clone(),
    };
    super::flash::keep(super::flash::Made::Webhook, &company_id, &flashed);
    Ok(created)
}

/// Turns an endpoint on (`enabled` = `true`, which also clears its run of failures) or off.
#[server(prefix = "/rpc", endpoint = "enable_webhook")]
pub async fn enable_webhook(id: String, enabled: String) -> Result<(), ApiError> {
    let patch = WebhookPatch {
        enabled: Some(enabled == "true"),
        ..Default::default()
    };
    let (service, who) = ctx::allowed_as(Action::ManageWebhook(&id))?;
    service
        .update_webhook(&id, patch, &who)
        .await
        .map(|_| ())
        .map_err(|e| ctx::fail(e).for_target(&id))
}

/// Deletes an endpoint; nothing more is sent to it.
#[server(prefix = "/rpc", endpoint = "delete_webhook")]
pub async fn remove_webhook(id: String) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::ManageWebhook(&id))?;
    service
        .delete_webhook(&id, &who)
        .await
        .map_err(|e| ctx::fail(e).for_target(&id))
}

/// Queues a `webhook.test` event for one endpoint; answers its event id.
#[server(prefix = "/rpc", endpoint = "test_webhook")]
pub async fn send_test_webhook(id: String) -> Result<String, ApiError> {
    ctx::allowed(Action::ManageWebhook(&id))?
        .test_webhook(&id)
        .await
        .map_err(|e| ctx::fail(e).for_target(&id))
}

/// The newest deliveries of one endpoint, each with its attempts.
#[server(prefix = "/rpc", endpoint = "webhook_deliveries")]
pub async fn get_webhook_deliveries(id: String) -> Result<Vec<WebhookDelivery>, ApiError> {
    ctx::allowed(Action::ManageWebhook(&id))?
        .webhook_deliveries(&id)
        .await
        .map_err(ctx::fail)
}
