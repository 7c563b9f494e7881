//! Cost events: report one, list them (JSON pages or CSV).

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{BATCH_BODY_LIMIT, Fields, JsonObject, Params, read_body};
use crate::{
    model::{CostEvent, Enforcement, FieldError, HoldOutcome, IngestedEvent},
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        meter,
        service::{
            IngestOutcome, NewCostEvent, Service,
            ingest::MAX_BATCH_EVENTS,
            reports::{EventFilter, MAX_PAGE},
        },
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

fn wants_csv(headers: &HeaderMap, params: &Params) -> bool {
    params.get("format").as_deref() == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))
}

/// `GET /api/companies/{companyId}/cost-events`: newest first, `limit` per page (default
/// 50, at most 1000) and `nextCursor` to continue. As CSV (`format=csv` or
/// `Accept: text/csv`), every matching event unless `limit` is given.
#[utoipa::path(get, path = "/companies/{company_id}/cost-events", tag = "cost events",
    params(("company_id" = String, Path, description = "A company's id"),
        ("agentId" = Option<String>, Query, description = "Only this agent's events"),
        ("projectId" = Option<String>, Query, description = "Only this project's events; `none` for events without one"),
        ("from" = Option<String>, Query, description = "`occurredAt` from, inclusive"),
        ("to" = Option<String>, Query, description = "`occurredAt` to, exclusive"),
        ("limit" = Option<i64>, Query, description = "Events per page: 1 to 1000, default 50"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the page before"),
        ("format" = Option<String>, Query, description = "`csv` for CSV"),
    ),
    responses((status = 200, description = "A page of events, newest first (or CSV)",
        content((crate::model::EventPage = "application/json"), (String = "text/csv")))))]
pub async fn list_cost_events(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> AppResult<Response> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    let filter = EventFilter {
        agent_id: params.get("agentId"),
        project_id: params.get("projectId"),
        from: params.get("from"),
        to: params.get("to"),
        limit: params.int("limit")?,
        cursor: params.get("cursor"),
    };
    if !wants_csv(&headers, &params) {
        return Ok(Json(service.list_events(&company_id, filter).await?).into_response());
    }
    let paged = filter.limit.is_some();
    let first = service
        .list_events(
            &company_id,
            EventFilter {
                limit: Some(filter.limit.unwrap_or(MAX_PAGE)),
                ..filter.clone()
            },
        )
        .await?;
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response_headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"cost-events.csv\""),
    );
    if paged
        && let Some(next) = first.next_cursor.as_deref()
        && let Ok(v) = HeaderValue::from_str(next)
    {
        response_headers.insert("x-next-cursor", v);
    }
    // Stream the rest page by page, so an export of any size uses little memory.
    let state = (Some(first), filter, service, company_id, true);
    let stream = futures::stream::unfold(
        state,
        move |(page, filter, service, company, first)| async move {
            let page = page?;
            let mut chunk = String::new();
            if first {
                chunk.push_str(CSV_HEADER);
            }
            for e in &page.items {
                csv_row(&mut chunk, e);
            }
            let next = match (&page.next_cursor, paged) {
                (Some(cursor), false) => {
                    let next = EventFilter {
                        cursor: Some(cursor.clone()),
                        limit: Some(MAX_PAGE),
                        ..filter.clone()
                    };
                    match service.list_events(&company, next).await {
                        Ok(p) => Some(p),
                        Err(err) => {
                            tracing::error!(error = ?err, "CSV export stopped early");
                            return Some((
                                Err(std::io::Error::other("export failed")),
                                (None, filter, service, company, false),
                            ));
                        }
                    }
                }
                _ => None,
            };
            Some((
                Ok::<_, std::io::Error>(chunk),
                (next, filter, service, company, false),
            ))
        },
    );
    Ok((StatusCode::OK, response_headers, Body::from_stream(stream)).into_response())
}

const CSV_HEADER: &str = "id,occurredAt,agentId,projectId,provider,model,inputTokens,\
cachedInputTokens,cacheWriteTokens,outputTokens,costCents,costMicroCents,costSource,eventKey,\
createdAt\n";

/// One CSV cell. A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) is prefixed with `'`, so an agent-supplied model name
/// like `=HYPERLINK(...)` stays text. No number Costline writes starts with one of them.
fn csv_field(out: &mut String, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if formula {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

fn csv_row(out: &mut String, e: &CostEvent) {
    let fields = [
        e.id.clone(),
        e.occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        e.agent_id.clone(),
        e.project_id.clone().unwrap_or_default(),
        e.provider.clone(),
        e.model.clone(),
        e.input_tokens.to_string(),
        e.cached_input_tokens.to_string(),
        e.cache_write_tokens.to_string(),
        e.output_tokens.to_string(),
        e.cost_cents.to_string(),
        e.cost_micro_cents.to_string(),
        e.cost_source.as_str().to_owned(),
        e.event_key.clone().unwrap_or_default(),
        e.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push('\n');
}
