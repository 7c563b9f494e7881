//! `GET /metrics`: Prometheus text. On the main listener it is board-only in authenticated
//! mode (it names every company); on its own listener (`COSTLINE_METRICS_BIND`) it needs
//! no credential, that address being the operator's private one.

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::server::{
    auth::{Action, Actor, authorize},
    error::AppResult,
    meter,
    service::Service,
};

pub async fn scrape(State(service): State<Service>, actor: Actor) -> AppResult<Response> {
    authorize(&actor, Action::ReadMetrics)?;
    render(&service).await
}

async fn scrape_own_listener(State(service): State<Service>) -> AppResult<Response> {
    render(&service).await
}

/// The router of the metrics-only listener.
pub fn own_listener(service: Service) -> Router {
    Router::new()
        .route("/metrics", get(scrape_own_listener))
        .with_state(service)
}

/// Reads the levels of the moment into the gauges, then renders everything.
async fn render(service: &Service) -> AppResult<Response> {
    let handle = meter::handle();
    let gauges = service.gauges().await?;
    for (kind, count) in gauges.paused {
        ::metrics::gauge!(meter::PAUSED_SCOPES, "kind" => kind.as_str()).set(count as f64);
    }
    for (company, percent) in gauges.utilization {
        ::metrics::gauge!(meter::UTILIZATION, "company" => company).set(percent);
    }
    ::metrics::gauge!(meter::WEBHOOK_QUEUE).set(gauges.pending_deliveries as f64);
    handle.run_upkeep();
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response())
}
