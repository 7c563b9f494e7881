//! Webhook endpoints of a company (board only): create (the secret answered once), list,
//! change, delete, their deliveries, and a test event through the same outbox.

use uuid::Uuid;

use super::{Service, outbox};
use crate::{
    domain::{
        Field, Invalid, Problems,
        audit::{Actor, Change, Target},
        notify::{self, Format},
        scope::ScopeType,
        time::{Month, from_ms},
    },
    model::{NewWebhook as Created, Webhook, WebhookAttempt, WebhookDelivery},
    server::{
        error::{AppError, AppResult},
        notify::sign,
        store::{
            audit, entities, outbox as queue,
            webhooks::{self, Endpoint},
        },
    },
};

/// Most endpoints a company may have: each event is queued once per endpoint.
pub const MAX_ENDPOINTS: usize = 20;

/// Deliveries listed per endpoint, newest first.
const DELIVERIES_LISTED: i64 = 100;

/// A new endpoint, as given.
#[derive(Debug, Clone, Default)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub format: Option<String>,
    pub enabled: Option<bool>,
}

/// A change; `None` leaves a field as it is. Enabling clears the run of failures.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub format: Option<String>,
    pub enabled: Option<bool>,
}

fn view(e: Endpoint) -> Webhook {
    Webhook {
        id: e.id,
        company_id: e.company_id,
        url: e.url,
        events: e.events.iter().map(|t| t.as_str().to_owned()).collect(),
        format: e.format.as_str().to_owned(),
        enabled: e.enabled,
        consecutive_failures: e.consecutive_failures,
        disabled_reason: e.disabled_reason,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// A webhook endpoint as the audit trail names it: by its URL.
fn target(w: &Webhook) -> Target {
    Target::new("webhook", &w.id, &w.url)
}

fn not_found() -> AppError {
    AppError::NotFound("webhook not found".into())
}

fn check_format(raw: &str, problems: &mut Problems) -> Format {
    Format::parse(raw).unwrap_or_else(|| {
        let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        problems.add(
            Field::Format,
            format!("must be one of {}", known.join(", ")),
        );
        Format::Json
    })
}

impl Service {
    fn check_url(&self, raw: &str, problems: &mut Problems) -> String {
        match self.webhook_policy.check(raw.trim()) {
            Ok(url) => url.to_string(),
            Err(why) => {
                problems.add(Field::Url, why);
                String::new()
            }
        }
    }

    /// `POST /api/companies/{companyId}/webhooks`
    pub async fn create_webhook(
        &self,
        company_id: &str,
        input: NewWebhook,
        actor: &Actor,
    ) -> AppResult<Created> {
        let mut problems = Problems::default();
        let url = self.check_url(&input.url, &mut problems);
        let format = check_format(input.format.as_deref().unwrap_or("json"), &mut problems);
        let events = match notify::parse_events(&input.events) {
            Ok(events) => events,
            Err(Invalid { problems: found }) => {
                for p in found {
                    problems.add(p.field, p.message);
                }
                Vec::new()
            }
        };
        problems.finish(())?;
        let now = self.now();
        let (secret, key) =
            sign::new_secret().map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
        let endpoint = Endpoint {
            id: Uuid::now_v7().to_string(),
            company_id: company_id.to_owned(),
            url,
            events,
            format,
            enabled: input.enabled.unwrap_or(true),
            consecutive_failures: 0,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db.begin_write().await?;
        entities::lock_companies(&mut tx, self.db.dialect, &[company_id.to_owned()]).await?;
        if entities::get(&mut tx, ScopeType::Company, company_id, Month::of(now))
            .await?
            .is_none()
        {
            return Err(AppError::NotFound("company not found".into()));
        }
        if webhooks::list(&mut tx, company_id).await?.len() >= MAX_ENDPOINTS {
            return Err(AppError::Conflict(format!(
                "a company may have at most {MAX_ENDPOINTS} webhook endpoints"
            )));
        }
        webhooks::insert(&mut tx, &endpoint, &key).await?;
        let info = view(endpoint);
        let change = Change::new("webhook.created", target(&info)).after(&info);
        audit::record(&mut tx, Some(company_id), actor, now, &change).await?;
        tx.commit().await?;
        Ok(Created { info, secret })
    }

    /// Whether `secret` (as shown once, `whsec_...`) signs an endpoint of `company_id` at
    /// `url`. Keys are compared in constant time.
    pub async fn is_webhook_secret_of(
        &self,
        company_id: &str,
        url: &str,
        secret: &str,
    ) -> AppResult<bool> {
        let mut conn = self.db.read_conn().await?;
        for endpoint in webhooks::list(&mut conn, company_id).await? {
            if endpoint.url == url
                && let Some(stored) = webhooks::signing_key(&mut conn, &endpoint.id).await?
                && sign::is_secret_for(secret, &stored)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `GET /api/companies/{companyId}/webhooks`
    pub async fn list_webhooks(&self, company_id: &str) -> AppResult<Vec<Webhook>> {
        let mut conn = self.db.read_conn().await?;
        let month = Month::of(self.now());
        if entities::get(&mut conn, ScopeType::Company, company_id, month)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound("company not found".into()));
        }
        Ok(webhooks::list(&mut conn, company_id)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    /// `PATCH /api/webhooks/{id}`
    pub async fn update_webhook(
        &self,
        id: &str,
        patch: WebhookPatch,
        actor: &Actor,
    ) -> AppResult<Webhook> {
        let mut problems = Problems::default();
        let url = patch
            .url
            .as_deref()
            .map(|u| self.check_url(u, &mut problems));
        let format = patch
            .format
            .as_deref()
            .map(|f| check_format(f, &mut problems));
        let events = match patch.events.as_deref().map(notify::parse_events) {
            Some(Err(Invalid { problems: found })) => {
                for p in found {
                    problems.add(p.field, p.message);
                }
                None
            }
            Some(Ok(events)) => Some(events),
            None => None,
        };
        problems.finish(())?;
        let mut tx = self.db.begin_write().await?;
        let mut endpoint = webhooks::get(&mut tx, id).await?.ok_or_else(not_found)?;
        let before = view(endpoint.clone());
        if let Some(url) = url {
            endpoint.url = url;
        }
        if let Some(format) = format {
            endpoint.format = format;
        }
        if let Some(events) = events {
            endpoint.events = events;
        }
        if let Some(enabled) = patch.enabled {
            if enabled && !endpoint.enabled {
                endpoint.consecutive_failures = 0;
                endpoint.disabled_reason = None;
            }
            endpoint.enabled = enabled;
        }
        let now = self.now();
        endpoint.updated_at = now;
        webhooks::update(&mut tx, &endpoint).await?;
        let after = view(endpoint);
        let change = Change::new("webhook.updated", target(&after))
            .before(&before)
            .after(&after);
        audit::record(&mut tx, Some(&after.company_id), actor, now, &change).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// `DELETE /api/webhooks/{id}`: the endpoint, its deliveries and their attempts.
    pub async fn delete_webhook(&self, id: &str, actor: &Actor) -> AppResult<()> {
        let mut tx = self.db.begin_write().await?;
        let before = view(webhooks::get(&mut tx, id).await?.ok_or_else(not_found)?);
        webhooks::delete(&mut tx, id).await?;
        let change = Change::new("webhook.deleted", target(&before)).before(&before);
        audit::record(
            &mut tx,
            Some(&before.company_id),
            actor,
            self.now(),
            &change,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `GET /api/webhooks/{id}/deliveries`: the newest, each with its attempts.
    pub async fn webhook_deliveries(&self, id: &str) -> AppResult<Vec<WebhookDelivery>> {
        let mut conn = self.db.read_conn().await?;
        webhooks::get(&mut conn, id).await?.ok_or_else(not_found)?;
        let listed = queue::deliveries(&mut conn, id, DELIVERIES_LISTED).await?;
        Ok(listed
            .into_iter()
            .map(|d| WebhookDelivery {
                id: d.id,
                event_id: d.notification_id,
                kind: d.kind,
                status: d.status.as_str().to_owned(),
                attempts: d
                    .attempts
                    .into_iter()
                    .map(|a| WebhookAttempt {
                        attempted_at: from_ms(a.attempted_at),
                        response_code: a.response_code,
                        error: a.error,
                    })
                    .collect(),
                next_attempt_at: d.next_attempt_at,
                delivered_at: d.delivered_at,
                created_at: d.created_at,
            })
            .collect())
    }

    /// `POST /api/webhooks/{id}/test`: queues a `webhook.test` for this endpoint only;
    /// answers its event id. A disabled endpoint is refused: enable it first.
    pub async fn test_webhook(&self, id: &str) -> AppResult<String> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let endpoint = webhooks::get(&mut tx, id).await?.ok_or_else(not_found)?;
        if !endpoint.enabled {
            return Err(AppError::Conflict(
                "this webhook is disabled; enable it to send a test".into(),
            ));
        }
        entities::lock_companies(
            &mut tx,
            self.db.dialect,
            std::slice::from_ref(&endpoint.company_id),
        )
        .await?;
        let event =
            outbox::record_test(&mut tx, &endpoint.company_id, id, Month::of(now), now).await?;
        tx.commit().await?;
        Ok(event)
    }
}
