//! `/metrics` in a process of its own: the recorder is the process's, so what this test
//! sends is exactly what the counters show.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used)]

// The helpers serve the API suite; this test uses a few of them.
#[allow(dead_code, unused_imports)]
#[path = "api/helpers/mod.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "api/webhooks/receiver.rs"]
mod receiver;

use std::collections::BTreeMap;

use helpers::{TestApp, spawn_app, spawn_authenticated_app};
use reqwest::StatusCode;
use serde_json::json;

/// The value of the sample `name` whose labels include all of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            let found: BTreeMap<&str, &str> = rest
                .trim_end_matches('}')
                .split(',')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k, v.trim_matches('"')))
                .collect();
            (metric == name && labels.iter().all(|(k, v)| found.get(k) == Some(v)))
                .then(|| value.parse().unwrap())
        })
}

async fn scrape(app: &TestApp) -> String {
    let reply = app.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    reply.text
}

#[tokio::test]
async fn metrics_count_exactly_what_was_sent_and_need_a_board_credential_in_auth_mode() {
    let app = spawn_app().await;
    let company = app.company("Acme", 10_000).await;
    let agent = app.agent(&company, "worker", 100).await;
    let route = format!("/api/companies/{company}/cost-events");
    let event = |cents: i64| json!({"agentId": agent, "provider": "openai", "model": "gpt-4o", "costCents": cents});

    for n in 0..3 {
        let r = app
            .client
            .post(format!("{}{route}", app.base))
            .header("idempotency-key", format!("k{n}"))
            .json(&event(40))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let replay = app
        .client
        .post(format!("{}{route}", app.base))
        .header("idempotency-key", "k0")
        .json(&event(40))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::OK);
    let batch = app
        .post(
            &format!("{route}/batch"),
            json!({"events": [event(10), event(-1), event(10)]}),
        )
        .await;
    assert_eq!(batch.body["created"], 2, "{}", batch.text);
    let refused = app.post(&route, json!({"agentId": agent})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let text = scrape(&app).await;
    let company_label = [("company", company.as_str())];
    assert_eq!(
        sample(&text, "costline_events_ingested_total", &company_label),
        Some(5.0)
    );
    assert_eq!(
        sample(&text, "costline_events_replayed_total", &company_label),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "costline_events_refused_total", &[("status", "400")]),
        Some(2.0)
    );
    let requests = |status| {
        sample(
            &text,
            "costline_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/companies/{company_id}/cost-events"),
                ("status", status),
            ],
        )
    };
    assert_eq!(requests("201"), Some(3.0));
    assert_eq!(requests("200"), Some(1.0));
    assert_eq!(requests("400"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "costline_http_request_duration_seconds_count",
            &[
                ("route", "/api/companies/{company_id}/cost-events"),
                ("status", "201")
            ],
        ),
        Some(3.0)
    );
    // A method HTTP does not define is counted as `other`: a caller cannot mint series.
    for n in 0..3 {
        let r = app
            .client
            .request(
                reqwest::Method::from_bytes(format!("PROBE{n}").as_bytes()).unwrap(),
                format!("{}{route}", app.base),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let text = scrape(&app).await;
    assert!(!text.contains("PROBE"), "{text}");
    assert_eq!(
        sample(
            &text,
            "costline_http_requests_total",
            &[
                ("method", "other"),
                ("route", "/api/companies/{company_id}/cost-events"),
                ("status", "405"),
            ],
        ),
        Some(3.0),
        "{text}"
    );
    // Three single events, the replay, and the batch's two valid events in one commit.
    assert_eq!(
        sample(&text, "costline_commit_batch_events_count", &[]),
        Some(5.0)
    );
    assert_eq!(
        sample(&text, "costline_commit_batch_events_sum", &[]),
        Some(6.0)
    );
    assert_eq!(
        sample(&text, "costline_commit_duration_seconds_count", &[]),
        Some(5.0)
    );
    // The agent spent 140 of its 100: paused by its budget; the company 140 of 10,000.
    assert_eq!(
        sample(&text, "costline_paused_scopes", &[("kind", "agent")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "costline_paused_scopes", &[("kind", "company")]),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "costline_budget_utilization_percent", &company_label),
        Some(1.4)
    );
    assert_eq!(
        sample(&text, "costline_webhook_queue_depth", &[]),
        Some(0.0)
    );
    // One failed delivery attempt is one failure (the clock stands still, so no retry).
    let broken = receiver::Receiver::start(Vec::new(), receiver::Answer::Status(500)).await;
    let hook = app
        .post(
            &format!("/api/companies/{company}/webhooks"),
            json!({"url": broken.url, "events": ["alert.soft"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
    let hook = hook.id();
    let test = app
        .post(&format!("/api/webhooks/{hook}/test"), json!({}))
        .await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.text);
    let attempts = || async {
        let r = app.get(&format!("/api/webhooks/{hook}/deliveries")).await;
        r.body[0]["attempts"].as_array().map_or(0, Vec::len)
    };
    for _ in 0..1500 {
        if attempts().await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(attempts().await, 1);
    assert_eq!(broken.hits().len(), 1);
    assert_eq!(
        sample(&scrape(&app).await, "costline_webhook_failures_total", &[]),
        Some(1.0)
    );
    drop(app);

    // Authenticated mode: a board credential on the main listener, none on its own one.
    let (app, board) = spawn_authenticated_app(|s| {
        s.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    assert_eq!(app.get("/metrics").await.status, StatusCode::UNAUTHORIZED);
    let with_token = app
        .client
        .get(format!("{}/metrics", app.base))
        .bearer_auth(&board.token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::OK);
    let own = app.metrics_base.clone().unwrap();
    let open = app
        .client
        .get(format!("{own}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    let text = open.text().await.unwrap();
    assert_eq!(
        sample(
            &text,
            "costline_http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "401")],
        ),
        Some(1.0),
        "{text}"
    );
    // Only /metrics there.
    let other = app
        .client
        .get(format!("{own}/api/companies"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}
