//! Reporting cost events: one, or a batch (listing them is `event_list`).

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{BATCH_BODY_LIMIT, Fields, JsonObject, read_body};
use crate::{
    model::{Enforcement, FieldError, HoldOutcome, IngestedEvent},
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        meter,
        service::{IngestOutcome, NewCostEvent, Service, ingest::MAX_BATCH_EVENTS},
    },
};

/// `POST /api/companies/{companyId}/cost-events`: 201 with the stored event and the
/// enforcement verdict; 200 with the first event when an idempotency key is replayed.
#[utoipa::path(post, path = "/api/companies/{company_id}/cost-events", tag = "cost events",
    params(("company_id" = String, Path, description = "A company's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body answer 200 with the first event")),
    request_body = crate::server::rest::openapi::bodies::NewCostEvent,
    responses(
        (status = 201, description = "Stored, with the enforcement verdict", body = IngestedEvent),
        (status = 200, description = "A replayed idempotency key: the first event, the verdict as it stands now", body = IngestedEvent),
    ))]
pub async fn create_cost_event(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    headers: HeaderMap,
    body: JsonObject,
) -> AppResult<Response> {
    let outcome = report_one(&service, &actor, &company_id, &headers, &body).await;
    meter::event_outcome(
        &company_id,
        match &outcome {
            Ok(o) => Ok(matches!(o, IngestOutcome::Created(_))),
            Err(e) => Err(e.status_code().as_u16()),
        },
    );
    Ok(match outcome? {
        IngestOutcome::Created(e) => (StatusCode::CREATED, Json(e)).into_response(),
        IngestOutcome::Replayed(e) => (StatusCode::OK, Json(e)).into_response(),
    })
}

async fn report_one(
    service: &Service,
    actor: &Actor,
    company_id: &str,
    headers: &HeaderMap,
    body: &JsonObject,
) -> AppResult<IngestOutcome> {
    let mut event = new_cost_event(&body.0)?;
    authorize(
        actor,
        Action::ReportCost {
            company: company_id,
            agent: &event.agent_id,
        },
    )?;
    if let Some(key) = headers.get("idempotency-key") {
        let key = key.to_str().map_err(|_| {
            AppError::invalid_fields(vec![FieldError::new(
                "Idempotency-Key",
                "must be visible ASCII",
            )])
        })?;
        match &event.event_key {
            Some(field) if field != key => {
                return Err(AppError::invalid_fields(vec![FieldError::new(
                    "eventKey",
                    "differs from the Idempotency-Key header; send one or make them equal",
                )]));
            }
            _ => event.event_key = Some(key.to_owned()),
        }
    }
    service.ingest_event(company_id, event).await
}

/// One cost event from its JSON object, types checked.
fn new_cost_event(body: &Map<String, Value>) -> AppResult<NewCostEvent> {
    let mut f = Fields::of(body);
    let event = NewCostEvent {
        agent_id: f.required_string("agentId"),
        project_id: f.string("projectId"),
        provider: f.required_string("provider"),
        model: f.required_string("model"),
        input_tokens: f.int("inputTokens"),
        cached_input_tokens: f.int("cachedInputTokens"),
        cache_write_tokens: f.int("cacheWriteTokens"),
        output_tokens: f.int("outputTokens"),
        cost_cents: f.int("costCents"),
        occurred_at: f.instant("occurredAt"),
        event_key: f.string("eventKey"),
        hold_id: f.string("holdId"),
    };
    f.finish()?;
    Ok(event)
}

/// One item's outcome in a batch answer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchItem {
    index: usize,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_micro_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold: Option<HoldOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<FieldError>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    created: usize,
    replayed: usize,
    failed: usize,
    results: Vec<BatchItem>,
    /// The verdict for each agent of the batch, after all of it.
    enforcement: BTreeMap<String, Enforcement>,
}

/// `POST /api/companies/{companyId}/cost-events/batch`: `{"events": [...]}`, up to 1,000
/// events (1 MiB). Each event is judged on its own, as the single route would (201, 200
/// for a replayed `eventKey`, 4xx); the valid ones commit together. Answers 200 with one
/// result per event, in order.
///
/// The caller and the company are checked before a byte of the body is read, and the list
/// is refused at its 1,001st item while parsing, so a request can cost at most one bounded
/// parse and one bounded answer.
#[utoipa::path(post, path = "/api/companies/{company_id}/cost-events/batch", tag = "cost events",
    params(("company_id" = String, Path, description = "A company's id")),
    request_body = crate::server::rest::openapi::bodies::CostEventBatch,
    responses((status = 200, description = "One result per event, in order", body = BatchAnswer)))]
pub async fn create_cost_events_batch(
    actor: Actor,
    State(service): State<Service>,
    Path(company_id): Path<String>,
    request: axum::extract::Request,
) -> AppResult<Json<BatchAnswer>> {
    authorize(&actor, Action::ReportCosts(&company_id))?;
    service
        .get_scope(crate::domain::scope::ScopeType::Company, &company_id)
        .await?;
    let body = read_body::<BATCH_BODY_LIMIT>(request).await?;
    let items = serde_json::from_slice::<BatchBody>(&body)
        .map_err(|e| AppError::invalid(format!("the request body is not a batch of events: {e}")))?
        .events;
    let parsed: Vec<AppResult<NewCostEvent>> = items
        .iter()
        .map(|item| match item {
            Value::Object(map) => new_cost_event(map),
            _ => Err(AppError::invalid("each event must be a JSON object")),
        })
        .collect();
    // The single route's rule, for every event: a key reports only for its own agent in its
    // own company, and a batch naming another is refused whole.
    for event in parsed.iter().flatten() {
        authorize(
            &actor,
            Action::ReportCost {
                company: &company_id,
                agent: &event.agent_id,
            },
        )?;
    }
    let valid: Vec<NewCostEvent> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().cloned())
        .collect();
    let mut outcomes = service.ingest_events(&company_id, valid).await?.into_iter();
    let mut answer = BatchAnswer {
        created: 0,
        replayed: 0,
        failed: 0,
        results: Vec::with_capacity(parsed.len()),
        enforcement: BTreeMap::new(),
    };
    for (index, p) in parsed.into_iter().enumerate() {
        let outcome = match p {
            Ok(_) => outcomes
                .next()
                .unwrap_or_else(|| Err(AppError::internal("no result"))),
            Err(e) => Err(e),
        };
        let item = match outcome {
            Ok(IngestOutcome::Created(e)) => {
                answer.created += 1;
                event_item(index, 201, e, &mut answer.enforcement)
            }
            Ok(IngestOutcome::Replayed(e)) => {
                answer.replayed += 1;
                event_item(index, 200, e, &mut answer.enforcement)
            }
            Err(e) => {
                // A company that does not exist fails the whole request, like the single route.
                if matches!(e, AppError::NotFound(_)) {
                    return Err(e);
                }
                answer.failed += 1;
                BatchItem {
                    index,
                    status: e.status_code().as_u16(),
                    id: None,
                    cost_cents: None,
                    cost_micro_cents: None,
                    cost_source: None,
                    hold: None,
                    details: e.details().to_vec(),
                    error: Some(e.to_string()),
                }
            }
        };
        meter::event_outcome(
            &company_id,
            match item.status {
                201 => Ok(true),
                200 => Ok(false),
                status => Err(status),
            },
        );
        answer.results.push(item);
    }
    Ok(Json(answer))
}

/// `{"events": [...]}` with at most [`MAX_BATCH_EVENTS`] items; the parse stops at the
/// first item past it.
#[derive(serde::Deserialize)]
struct BatchBody {
    #[serde(deserialize_with = "at_most_max_events")]
    events: Vec<Value>,
}

fn at_most_max_events<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    struct Bounded;
    impl<'de> serde::de::Visitor<'de> for Bounded {
        type Value = Vec<Value>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "an array of at most {MAX_BATCH_EVENTS} cost events")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Value>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<Value>()? {
                if items.len() == MAX_BATCH_EVENTS {
                    return Err(serde::de::Error::custom(format!(
                        "`events` may hold at most {MAX_BATCH_EVENTS} events"
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    d.deserialize_seq(Bounded)
}

fn event_item(
    index: usize,
    status: u16,
    e: IngestedEvent,
    enforcement: &mut BTreeMap<String, Enforcement>,
) -> BatchItem {
    enforcement.insert(e.event.agent_id.clone(), e.enforcement);
    BatchItem {
        index,
        status,
        id: Some(e.event.id),
        cost_cents: Some(e.event.cost_cents),
        cost_micro_cents: Some(e.event.cost_micro_cents),
        cost_source: Some(e.event.cost_source.as_str()),
        hold: e.hold,
        error: None,
        details: Vec::new(),
    }
}
