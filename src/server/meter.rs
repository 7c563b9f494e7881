//! Prometheus metrics: the one recorder of the process, the request middleware, and the
//! names every other module records under. The `metrics` crate's macros record into a
//! global recorder; the tests start many apps in one process, so it is installed once and
//! every app renders the same registry.

use std::{sync::OnceLock, time::Duration};

use axum::{
    extract::{MatchedPath, Request},
    http::Method,
    response::Response,
};
use metrics::Label;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "costline_http_requests_total";
pub const HTTP_SECONDS: &str = "costline_http_request_duration_seconds";
pub const EVENTS_INGESTED: &str = "costline_events_ingested_total";
pub const EVENTS_REPLAYED: &str = "costline_events_replayed_total";
pub const EVENTS_REFUSED: &str = "costline_events_refused_total";
pub const COMMIT_EVENTS: &str = "costline_commit_batch_events";
pub const COMMIT_SECONDS: &str = "costline_commit_duration_seconds";
pub const PAUSED_SCOPES: &str = "costline_paused_scopes";
pub const UTILIZATION: &str = "costline_budget_utilization_percent";
pub const WEBHOOK_QUEUE: &str = "costline_webhook_queue_depth";
pub const WEBHOOK_FAILURES: &str = "costline_webhook_failures_total";

const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const BATCH_SIZES: &[f64] = &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 512.0, 1000.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(COMMIT_EVENTS.into()), BATCH_SIZES)
            })
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows nothing");
        }
        describe();
        // Histograms buffer their samples until upkeep folds them into buckets: without a
        // scrape for a long time, that buffer would only grow.
        let upkeep = handle.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        });
        handle
    })
}

fn describe() {
    use ::metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by method, route and status"
    );
    describe_histogram!(HTTP_SECONDS, "Time to answer, by method, route and status");
    describe_counter!(EVENTS_INGESTED, "Cost events stored, by company");
    describe_counter!(
        EVENTS_REPLAYED,
        "Cost events answered from an idempotency key, by company"
    );
    describe_counter!(
        EVENTS_REFUSED,
        "Cost events refused, by the status they got"
    );
    describe_histogram!(
        COMMIT_EVENTS,
        "Events committed together in one ingest transaction"
    );
    describe_histogram!(
        COMMIT_SECONDS,
        "Time one ingest transaction took, retries included"
    );
    describe_gauge!(PAUSED_SCOPES, "Scopes paused now, by kind");
    describe_gauge!(
        UTILIZATION,
        "This month's spend against the budget, by company"
    );
    describe_gauge!(WEBHOOK_QUEUE, "Webhook deliveries waiting to be made");
    describe_counter!(WEBHOOK_FAILURES, "Webhook delivery attempts that failed");
}

/// Counts and times every answer by its method, its route template
/// (`/api/companies/{company_id}`) and its status, so ids never become labels; what no
/// route matched is `unmatched`. Every label has few values whatever a caller sends: a
/// method HTTP does not define is `other` (hyper accepts any token as a method, and each
/// new label value would be a new series, kept for the life of the process).
pub struct Track {
    method: &'static str,
    route: String,
    started: std::time::Instant,
}

/// The label of `method`: its name if HTTP defines it, else `other`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, name)| name)
}

impl Track {
    /// Starts timing `req`, after routing (its route template is known).
    pub fn start(req: &Request) -> Self {
        Self {
            method: method_label(req.method()),
            route: req
                .extensions()
                .get::<MatchedPath>()
                .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned()),
            started: std::time::Instant::now(),
        }
    }

    /// Counts and times the answer.
    pub fn finish(self, response: &Response) {
        let labels = vec![
            Label::from_static_parts("method", self.method),
            Label::new("route", self.route),
            Label::new("status", response.status().as_u16().to_string()),
        ];
        ::metrics::counter!(HTTP_REQUESTS, labels.clone()).increment(1);
        ::metrics::histogram!(HTTP_SECONDS, labels).record(self.started.elapsed().as_secs_f64());
    }
}

/// What became of one reported cost event: stored, replayed or refused with `status`.
pub fn event_outcome(company_id: &str, outcome: Result<bool, u16>) {
    match outcome {
        Ok(true) => {
            ::metrics::counter!(EVENTS_INGESTED, "company" => company_id.to_owned()).increment(1)
        }
        Ok(false) => {
            ::metrics::counter!(EVENTS_REPLAYED, "company" => company_id.to_owned()).increment(1)
        }
        // Not by company: a refused event may name a company that does not exist.
        Err(status) => {
            ::metrics::counter!(EVENTS_REFUSED, "status" => status.to_string()).increment(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_http_does_not_define_is_other() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::TRACE), "TRACE");
        let invented = Method::from_bytes(b"PROBE7").expect("a token");
        assert_eq!(method_label(&invented), "other");
    }
}
