//! Webhook endpoints and their deliveries, as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A webhook endpoint of a company, as listed: never its signing secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub company_id: String,
    pub url: String,
    /// The event types it receives (`alert.soft`, `alert.hard`, `scope.paused`, ...).
    pub events: Vec<String>,
    /// `json` (the payload) or `slack` (`{"text": ...}`).
    pub format: String,
    pub enabled: bool,
    /// Failed attempts in a row; at 50 the endpoint is disabled.
    pub consecutive_failures: i64,
    /// Why the sender disabled it, when it did.
    pub disabled_reason: Option<String>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub updated_at: DateTime<Utc>,
}

/// An endpoint just created: the only answer that ever carries its `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewWebhook {
    #[serde(flatten)]
    pub info: Webhook,
    /// `whsec_` + base64: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// One event queued for one endpoint, with every attempt made so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: String,
    /// The event's id, sent as `webhook-id` on every attempt.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending`, `delivered` or `failed` (given up after 24 hours).
    pub status: String,
    pub attempts: Vec<WebhookAttempt>,
    #[cfg_attr(
        feature = "hydrate",
        serde(default, deserialize_with = "crate::domain::time_text::de_opt_instant")
    )]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[cfg_attr(
        feature = "hydrate",
        serde(default, deserialize_with = "crate::domain::time_text::de_opt_instant")
    )]
    pub delivered_at: Option<DateTime<Utc>>,
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    #[cfg_attr(
        feature = "hydrate",
        serde(deserialize_with = "crate::domain::time_text::de_instant")
    )]
    pub attempted_at: DateTime<Utc>,
    /// The answer's status code; none when there was no answer.
    pub response_code: Option<i64>,
    pub error: Option<String>,
}
