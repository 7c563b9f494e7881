//! The REST API under `/api`: every route in one table, handlers one file per resource.
//! Handlers turn HTTP into service calls and back; the rules live in the service. Each
//! handler takes the caller ([`Actor`](crate::server::auth::Actor), 401 without one) and
//! asks [`authorize`](crate::server::auth::authorize) before it does anything. `/healthz`
//! and `/readyz` need no credential.

mod activity;
mod events;
pub mod extract;
mod holds;
mod incidents;
mod keys;
mod price_import;
mod prices;
mod reports;
mod requests;
mod scopes;
mod webhooks;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    response::IntoResponse,
    routing::get,
};
use serde_json::json;

use crate::server::{error::AppError, service::Service};

/// Reporting cost events: kept apart from [`router`] because these routes take no request
/// timeout (a request waits for the commit of an event it handed over, see
/// `service::committer`).
pub fn ingest_router() -> Router<Service> {
    use events::*;
    Router::new()
        .route(
            "/api/companies/{company_id}/cost-events",
            axum::routing::post(create_cost_event)
                .layer(DefaultBodyLimit::max(extract::BODY_LIMIT)),
        )
        .route(
            "/api/companies/{company_id}/cost-events/batch",
            axum::routing::post(create_cost_events_batch)
                .layer(DefaultBodyLimit::max(extract::BATCH_BODY_LIMIT)),
        )
}

/// The API's routes. Their handlers need only the service, so that is their state: axum
/// clones a route's state for every request, and the whole application state is larger.
pub fn router() -> Router<Service> {
    use activity::*;
    use events::*;
    use holds::*;
    use incidents::*;
    use keys::*;
    use price_import::*;
    use prices::*;
    use reports::*;
    use requests::*;
    use scopes::*;
    use webhooks::*;
    let api = Router::new()
        .route("/companies", get(list_companies).post(create_company))
        .route(
            "/companies/{company_id}",
            get(get_company).patch(update_company),
        )
        .route(
            "/companies/{company_id}/budgets",
            axum::routing::patch(set_company_budget),
        )
        .route(
            "/companies/{company_id}/agents",
            get(list_agents).post(create_agent),
        )
        .route(
            "/companies/{company_id}/projects",
            get(list_projects).post(create_project),
        )
        .route("/companies/{company_id}/cost-events", get(list_cost_events))
        .route("/companies/{company_id}/costs/summary", get(get_summary))
        .route(
            "/companies/{company_id}/costs/by-agent",
            get(get_costs_by_agent),
        )
        .route(
            "/companies/{company_id}/costs/by-project",
            get(get_costs_by_project),
        )
        .route(
            "/companies/{company_id}/costs/by-model",
            get(get_costs_by_model),
        )
        .route("/companies/{company_id}/costs/daily", get(get_costs_daily))
        .route(
            "/companies/{company_id}/budget-alerts",
            get(list_budget_alerts),
        )
        .route(
            "/companies/{company_id}/budget-holds",
            get(list_budget_holds).post(create_budget_hold),
        )
        .route(
            "/budget-holds/{hold_id}",
            axum::routing::delete(release_budget_hold),
        )
        .route("/agents/{agent_id}/budget-status", get(get_budget_status))
        .route("/companies/{company_id}/incidents", get(list_incidents))
        .route("/companies/{company_id}/activity", get(list_activity))
        .route(
            "/incidents/{incident_id}/resolve",
            axum::routing::post(resolve_incident),
        )
        .route(
            "/agents/{agent_id}/budget-requests",
            axum::routing::post(create_budget_request),
        )
        .route(
            "/companies/{company_id}/budget-requests",
            get(list_budget_requests),
        )
        .route("/budget-requests/{request_id}", get(get_budget_request))
        .route(
            "/budget-requests/{request_id}/approve",
            axum::routing::post(approve_budget_request),
        )
        .route(
            "/budget-requests/{request_id}/deny",
            axum::routing::post(deny_budget_request),
        )
        .route(
            "/companies/{company_id}/reprice",
            axum::routing::post(reprice_company),
        )
        .route(
            "/companies/{company_id}/webhooks",
            get(list_webhooks).post(create_webhook),
        )
        .route(
            "/webhooks/{webhook_id}",
            axum::routing::patch(update_webhook).delete(delete_webhook),
        )
        .route(
            "/webhooks/{webhook_id}/deliveries",
            get(list_webhook_deliveries),
        )
        .route(
            "/webhooks/{webhook_id}/test",
            axum::routing::post(test_webhook),
        )
        .route("/model-prices", get(list_model_prices).put(put_model_price))
        .route(
            "/model-prices/import",
            axum::routing::post(import_model_prices)
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/agents/{agent_id}", get(get_agent).patch(update_agent))
        .route(
            "/agents/{agent_id}/budgets",
            axum::routing::patch(set_agent_budget),
        )
        .route(
            "/agents/{agent_id}/keys",
            get(list_agent_keys).post(create_agent_key),
        )
        .route(
            "/agents/{agent_id}/keys/{key_id}",
            axum::routing::delete(revoke_agent_key),
        )
        .route(
            "/projects/{project_id}",
            get(get_project).patch(update_project),
        )
        .route(
            "/projects/{project_id}/budgets",
            axum::routing::patch(set_project_budget),
        )
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT));
    Router::new()
        .nest("/api", api)
        // The dashboard's upload of a price map: a form post, larger than its other forms.
        .route(
            "/prices/import",
            axum::routing::post(upload_price_map).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn unknown_route() -> AppError {
    AppError::NotFound("no such route".into())
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({"error": "this method is not allowed on this route"})),
    )
}

/// Refuses a request whose path or query string holds control characters (`%00`, `%0A`,
/// ...) or is not UTF-8 once decoded, before any handler sees it: no id, filter or name can
/// contain them, and PostgreSQL refuses a NUL outright.
pub async fn refuse_control_characters(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = req.uri();
    let clean = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .is_ok_and(|text| !text.chars().any(char::is_control))
    };
    if !clean(uri.path()) || !uri.query().is_none_or(|q| clean(&q.replace('+', " "))) {
        return AppError::invalid(
            "the path or query string contains control characters or is not UTF-8",
        )
        .into_response();
    }
    next.run(req).await
}

/// `GET /healthz`: the process is up.
async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the process can reach its database and commit to it.
async fn readyz(State(service): State<Service>) -> impl IntoResponse {
    match service.readiness().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(reason) => {
            tracing::warn!(reason, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "error": reason})),
            )
        }
    }
}
