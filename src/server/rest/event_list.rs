//! Listing cost events: JSON pages with a cursor, or CSV.

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::extract::Params;
use crate::{
    model::CostEvent,
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::{
            Service,
            event_list::{EventFilter, MAX_PAGE},
        },
    },
};

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
        ("provider" = Option<String>, Query, description = "Only this provider's events (exact name)"),
        ("model" = Option<String>, Query, description = "Only this model's events (exact name)"),
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
        provider: params.get("provider"),
        model: params.get("model"),
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
