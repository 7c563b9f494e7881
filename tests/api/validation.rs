//! Bad input: every case answers a 4xx JSON error naming the field, and stores nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn bad_cost_events_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let company = app.company("Acme", 1000).await;
    let agent = app.agent(&company, "a", 100).await;
    let other = app.company("Globex", 0).await;
    let foreign_agent = app.agent(&other, "theirs", 0).await;
    let foreign_project = app.project(&other, "theirs", 0).await;
    let good = json!({"agentId": agent, "provider": "anthropic", "model": "m", "costCents": 5});
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "missing agentId",
            without("agentId"),
            StatusCode::BAD_REQUEST,
            "agentId",
        ),
        (
            "missing provider",
            without("provider"),
            StatusCode::BAD_REQUEST,
            "provider",
        ),
        (
            "missing model",
            without("model"),
            StatusCode::BAD_REQUEST,
            "model",
        ),
        (
            "empty provider",
            with("provider", json!("  ")),
            StatusCode::BAD_REQUEST,
            "provider",
        ),
        (
            "empty model",
            with("model", json!("")),
            StatusCode::BAD_REQUEST,
            "model",
        ),
        (
            "null model",
            with("model", Value::Null),
            StatusCode::BAD_REQUEST,
            "model",
        ),
        (
            "provider as number",
            with("provider", json!(7)),
            StatusCode::BAD_REQUEST,
            "provider",
        ),
        (
            "agentId as object",
            with("agentId", json!({})),
            StatusCode::BAD_REQUEST,
            "agentId",
        ),
        (
            "cost as string",
            with("costCents", json!("12")),
            StatusCode::BAD_REQUEST,
            "costCents",
        ),
        (
            "cost fractional",
            with("costCents", json!(12.5)),
            StatusCode::BAD_REQUEST,
            "costCents",
        ),
        (
            "cost negative",
            with("costCents", json!(-1)),
            StatusCode::BAD_REQUEST,
            "costCents",
        ),
        (
            "cost beyond 64 bits",
            with("costCents", json!(18446744073709551615u64)),
            StatusCode::BAD_REQUEST,
            "costCents",
        ),
        (
            "cost absurd",
            with("costCents", json!(9_000_000_000_000_000_000i64)),
            StatusCode::BAD_REQUEST,
            "costCents",
        ),
        (
            "cost boolean",
            with("costCents", json!(true)),
            StatusCode::BAD_REQUEST,
            "costCents",
        ),
        (
            "input tokens negative",
            with("inputTokens", json!(-5)),
            StatusCode::BAD_REQUEST,
            "inputTokens",
        ),
        (
            "cached tokens fractional",
            with("cachedInputTokens", json!(0.5)),
            StatusCode::BAD_REQUEST,
            "cachedInputTokens",
        ),
        (
            "output tokens as string",
            with("outputTokens", json!("3000")),
            StatusCode::BAD_REQUEST,
            "outputTokens",
        ),
        (
            "occurredAt not a date",
            with("occurredAt", json!("yesterday")),
            StatusCode::BAD_REQUEST,
            "occurredAt",
        ),
        (
            "occurredAt without offset",
            with("occurredAt", json!("2026-11-15T10:00:00")),
            StatusCode::BAD_REQUEST,
            "occurredAt",
        ),
        (
            "occurredAt as number",
            with("occurredAt", json!(1700000000)),
            StatusCode::BAD_REQUEST,
            "occurredAt",
        ),
        (
            "occurredAt far future",
            with("occurredAt", json!("2026-11-15T12:10:00Z")),
            StatusCode::BAD_REQUEST,
            "occurredAt",
        ),
        (
            "projectId as number",
            with("projectId", json!(1)),
            StatusCode::BAD_REQUEST,
            "projectId",
        ),
        (
            "eventKey as number",
            with("eventKey", json!(1)),
            StatusCode::BAD_REQUEST,
            "eventKey",
        ),
        (
            "unknown agent",
            with("agentId", json!("no-such-agent")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "agentId",
        ),
        (
            "agent of another company",
            with("agentId", json!(foreign_agent)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "agentId",
        ),
        (
            "unknown project",
            with("projectId", json!("no-such-project")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "projectId",
        ),
        (
            "project of another company",
            with("projectId", json!(foreign_project)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "projectId",
        ),
    ];
    for (what, body, status, field) in cases {
        let r = app
            .post(&format!("/api/companies/{company}/cost-events"), body)
            .await;
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert!(
            r.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}: {}",
            r.text
        );
        assert!(
            r.fields().contains(&field.to_owned()),
            "{what}: details name {field}: {}",
            r.text
        );
    }
    // Several bad fields at once: one detail each.
    let r = app
        .post(
            &format!("/api/companies/{company}/cost-events"),
            json!({"costCents": -1, "inputTokens": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, vec!["agentId", "inputTokens", "model", "provider"]);

    assert_eq!(app.event_count(&company).await, 0, "nothing was stored");
    assert!(app.alerts(&company).await.is_empty());
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (s.body["spendCents"].as_i64(), s.body["eventCount"].as_i64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_json() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let path = format!("/api/companies/{company}/cost-events");
    for (what, body) in [
        ("truncated JSON", "{\"agentId\": "),
        ("not JSON", "agentId=1"),
        ("empty body", ""),
        ("a JSON array", "[1,2]"),
        ("a JSON string", "\"hello\""),
        ("number out of range", "{\"costCents\": 1e400}"),
        ("trailing garbage", "{} x"),
    ] {
        let r = app.raw(Method::POST, &path, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {}", r.text);
        assert!(r.body["error"].is_string(), "{what}: {}", r.text);
    }
    for path in [
        "/api/companies".to_owned(),
        format!("/api/companies/{company}/agents"),
    ] {
        let r = app.raw(Method::POST, &path, "{oops").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(app.event_count(&company).await, 0);
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let padding = "x".repeat(70 * 1024);
    let body = json!({"agentId": agent, "provider": "anthropic", "model": "m", "costCents": 1, "note": padding});
    let r = app
        .post(&format!("/api/companies/{company}/cost-events"), body)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body["error"].as_str().unwrap().contains("64 KiB"));
    let r = app.post("/api/companies", json!({"name": padding})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.event_count(&company).await, 0);
    // Just under the limit is fine (unknown fields are ignored).
    let body = json!({"agentId": agent, "provider": "anthropic", "model": "m", "costCents": 1, "note": "y".repeat(60 * 1024)});
    let r = app
        .post(&format!("/api/companies/{company}/cost-events"), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_scopes_and_budgets() {
    let app = spawn_app().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (
            json!({"name": "ok", "budgetMonthlyCents": -1}),
            "budgetMonthlyCents",
        ),
        (
            json!({"name": "ok", "budgetMonthlyCents": 1.5}),
            "budgetMonthlyCents",
        ),
        (
            json!({"name": "ok", "budgetMonthlyCents": "100"}),
            "budgetMonthlyCents",
        ),
        (
            json!({"name": "ok", "budgetMonthlyCents": 1_000_000_000_001i64}),
            "budgetMonthlyCents",
        ),
    ];
    for (body, field) in &cases {
        let r = app.post("/api/companies", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert!(
            r.fields().contains(&field.to_string()),
            "{body}: {}",
            r.text
        );
    }
    assert_eq!(
        app.get("/api/companies")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let company = app.company("Acme", 500).await;
    let agent = app.agent(&company, "a", 100).await;
    for (body, field) in &cases[1..] {
        let r = app
            .post(&format!("/api/companies/{company}/agents"), body.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(r.fields().contains(&field.to_string()));
    }
    for (path, body, field) in [
        (
            format!("/api/companies/{company}"),
            json!({"budgetMonthlyCents": -5}),
            "budgetMonthlyCents",
        ),
        (
            format!("/api/companies/{company}"),
            json!({"name": ""}),
            "name",
        ),
        (
            format!("/api/agents/{agent}"),
            json!({"status": "sleeping"}),
            "status",
        ),
        (
            format!("/api/agents/{agent}"),
            json!({"status": "terminated"}),
            "status",
        ),
        (
            format!("/api/agents/{agent}"),
            json!({"status": 1}),
            "status",
        ),
        (
            format!("/api/agents/{agent}/budgets"),
            json!({}),
            "budgetMonthlyCents",
        ),
        (
            format!("/api/companies/{company}/budgets"),
            json!({"budgetMonthlyCents": null}),
            "budgetMonthlyCents",
        ),
    ] {
        let r = app.patch(&path, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{path} {body}: {}",
            r.text
        );
        assert!(
            r.fields().contains(&field.to_string()),
            "{path} {body}: {}",
            r.text
        );
    }
    // Nothing above changed anything.
    let c = app.get(&format!("/api/companies/{company}")).await;
    assert_eq!(
        (
            c.body["name"].as_str(),
            c.body["budgetMonthlyCents"].as_i64()
        ),
        (Some("Acme"), Some(500))
    );
    let a = app.get(&format!("/api/agents/{agent}")).await;
    assert_eq!(
        (
            a.body["status"].as_str(),
            a.body["budgetMonthlyCents"].as_i64()
        ),
        (Some("active"), Some(100))
    );
    assert_eq!(
        app.get(&format!("/api/companies/{company}/agents"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_report_windows_are_400() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    for query in [
        "month=2026-13",
        "month=26-11",
        "month=november",
        "month=2026-11&from=2026-11-01&to=2026-11-02",
        "from=2026-11-01",
        "to=2026-11-01",
        "from=2026-11-05&to=2026-11-01",
        "from=2026-11-01&to=2026-11-01",
        "from=not-a-date&to=2026-11-01",
        "from=2000-01-01&to=2026-11-01",
    ] {
        for report in ["summary", "by-agent", "by-project", "by-model", "daily"] {
            let r = app
                .get(&format!("/api/companies/{company}/costs/{report}?{query}"))
                .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{report}?{query}: {}",
                r.text
            );
            assert!(r.body["error"].is_string());
        }
    }
    let r = app
        .get(&format!(
            "/api/companies/{company}/budget-alerts?month=2026-00"
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
