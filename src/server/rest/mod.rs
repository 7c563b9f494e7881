//! The REST API under `/api`: every route in one table, handlers one file per resource.
//! Handlers turn HTTP into service calls and back; the rules live in the service. Each
//! handler takes the caller ([`Actor`](crate::server::auth::Actor), 401 without one) and
//! asks [`authorize`](crate::server::auth::authorize) before it does anything. `/healthz`
//! and `/readyz` need no credential.

mod activity;
mod event_list;
mod events;
pub mod extract;
mod holds;
mod incidents;
mod keys;
pub mod metrics;
pub mod openapi;
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
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use crate::server::{error::AppError, service::Service};

/// Reporting cost events: kept apart from [`api_routes`] because these routes take no
/// request timeout (a request waits for the commit of an event it handed over, see
/// `service::committer`).
pub(crate) fn ingest_routes() -> OpenApiRouter<Service> {
    use events::*;
    OpenApiRouter::new()
        .routes(routes!(create_cost_event).layer(DefaultBodyLimit::max(extract::BODY_LIMIT)))
        .routes(
            routes!(create_cost_events_batch)
                .layer(DefaultBodyLimit::max(extract::BATCH_BODY_LIMIT)),
        )
}

/// The routes under `/api`, each from its handler's `#[utoipa::path]` annotation (path and
/// method included), so the OpenAPI document lists exactly what is routed. Their handlers
/// need only the service, so that is their state: axum clones a route's state for every
/// request, and the whole application state is larger.
pub(crate) fn api_routes() -> OpenApiRouter<Service> {
    use activity::*;
    use event_list::*;
    use holds::*;
    use incidents::*;
    use keys::*;
    use openapi::*;
    use price_import::*;
    use prices::*;
    use reports::*;
    use requests::*;
    use scopes::*;
    use webhooks::*;
    OpenApiRouter::new()
        .routes(routes!(list_companies, create_company))
        .routes(routes!(get_company, update_company))
        .routes(routes!(set_company_budget))
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(list_cost_events))
        .routes(routes!(get_summary))
        .routes(routes!(get_costs_by_agent))
        .routes(routes!(get_costs_by_project))
        .routes(routes!(get_costs_by_model))
        .routes(routes!(get_costs_daily))
        .routes(routes!(get_costs_monthly))
        .routes(routes!(list_budget_alerts))
        .routes(routes!(list_budget_holds, create_budget_hold))
        .routes(routes!(release_budget_hold))
        .routes(routes!(get_budget_status))
        .routes(routes!(list_incidents))
        .routes(routes!(resolve_incident))
        .routes(routes!(list_activity))
        .routes(routes!(create_budget_request))
        .routes(routes!(list_budget_requests))
        .routes(routes!(get_budget_request))
        .routes(routes!(approve_budget_request))
        .routes(routes!(deny_budget_request))
        .routes(routes!(reprice_company))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(test_webhook))
        .routes(routes!(list_model_prices, put_model_price))
        .routes(routes!(import_model_prices).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)))
        .routes(routes!(get_agent, update_agent))
        .routes(routes!(set_agent_budget))
        .routes(routes!(list_agent_keys, create_agent_key))
        .routes(routes!(revoke_agent_key))
        .routes(routes!(get_project, update_project))
        .routes(routes!(set_project_budget))
        .routes(routes!(openapi_json))
        .routes(routes!(docs_page))
}

/// The cost-event routes as axum serves them.
pub fn ingest_router() -> Router<Service> {
    ingest_routes().split_for_parts().0
}

/// The API under `/api`, the dashboard's price-map upload and the health checks.
pub fn router() -> Router<Service> {
    let (api, _) = api_routes().split_for_parts();
    let api = api
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT));
    Router::new()
        .nest("/api", api)
        // The dashboard's upload of a price map: a form post, larger than its other forms.
        .route(
            "/prices/import",
            axum::routing::post(price_import::upload_price_map)
                .layer(DefaultBodyLimit::max(price_import::IMPORT_BODY_LIMIT)),
        )
        .route("/metrics", get(metrics::scrape))
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
pub fn refuse_control_characters(uri: &axum::http::Uri) -> Result<(), AppError> {
    let clean = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .is_ok_and(|text| !text.chars().any(char::is_control))
    };
    if !clean(uri.path()) || !uri.query().is_none_or(|q| clean(&q.replace('+', " "))) {
        return Err(AppError::invalid(
            "the path or query string contains control characters or is not UTF-8",
        ));
    }
    Ok(())
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
