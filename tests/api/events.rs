//! Cost events: the seed's example, idempotency, paused agents, the batch route.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_seed_example_body_exactly_as_written() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100000).await;
    let agent = app.agent(&company, "writer", 5000).await;
    // The body of seed-costs.md, character for character but for the agent id.
    let body = format!(
        "{{\n\"agentId\": \"{agent}\",\n\"provider\": \"anthropic\",\n\"model\": \"claude-sonnet-4-20250514\",\n\"inputTokens\": 15000,\n\"outputTokens\": 3000,\n\"costCents\": 12\n}}"
    );
    let r = app
        .raw(
            reqwest::Method::POST,
            &format!("/api/companies/{company}/cost-events"),
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let e = &r.body;
    assert_eq!(e["companyId"], company.as_str());
    assert_eq!(e["agentId"], agent.as_str());
    assert_eq!(e["projectId"], Value::Null);
    assert_eq!(e["provider"], "anthropic");
    assert_eq!(e["model"], "claude-sonnet-4-20250514");
    assert_eq!(e["inputTokens"], 15000);
    assert_eq!(e["cachedInputTokens"], 0);
    assert_eq!(e["outputTokens"], 3000);
    assert_eq!(e["costCents"], 12);
    assert_eq!(e["costSource"], "reported");
    assert_eq!(e["eventKey"], Value::Null);
    assert!(e["id"].as_str().is_some_and(|id| id.len() == 36));
    assert_eq!(
        e["enforcement"],
        json!({
            "agentStatus": "active",
            "agentUtilizationPercent": 0.24,
            "companyStatus": "active",
            "companyUtilizationPercent": 0.01,
            "projectStatus": null,
            "projectUtilizationPercent": null,
            "softAlert": false,
            "hardStop": false,
        })
    );
    let summary = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(summary.body["spendCents"], 12);
    assert_eq!(summary.body["inputTokens"], 15000);
    assert_eq!(summary.body["outputTokens"], 3000);
    assert_eq!(summary.body["eventCount"], 1);
}

#[tokio::test]
async fn missing_cost_is_stored_unpriced_at_zero() {
    let app = spawn_app().await;
    let company = app.company("Acme", 1000).await;
    let agent = app.agent(&company, "a", 0).await;
    let r = app
        .post(
            &format!("/api/companies/{company}/cost-events"),
            json!({"agentId": agent, "provider": "openai", "model": "gpt-9-unknown", "inputTokens": 500}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["costCents"].as_i64(), r.body["costSource"].as_str()),
        (Some(0), Some("unpriced"))
    );
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s.body["eventCount"].as_i64(),
            s.body["unpricedEventCount"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(s.body["inputTokens"], 500);
}

#[tokio::test]
async fn idempotency_key_header_and_field() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let url = format!("{}/api/companies/{company}/cost-events", app.base);
    let body = json!({"agentId": agent, "provider": "anthropic", "model": "m", "costCents": 7});
    let send = |key: &'static str, body: Value| {
        let req = app
            .client
            .post(&url)
            .header("Idempotency-Key", key)
            .json(&body);
        async move { crate::helpers::TestApp::reply(req.send().await.unwrap()).await }
    };
    let first = send("hb-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["eventKey"], "hb-1");
    let again = send("hb-1", body.clone()).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a retry answers 200 with the first event"
    );
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["enforcement"]["agentStatus"], "active");

    let mut changed = body.clone();
    changed["costCents"] = json!(8);
    let conflict = send("hb-1", changed).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.text);

    // The key can also come in the body.
    let mut keyed = body.clone();
    keyed["eventKey"] = json!("hb-2");
    let r = app
        .post(
            &format!("/api/companies/{company}/cost-events"),
            keyed.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post(&format!("/api/companies/{company}/cost-events"), keyed)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Keys are per company: another company may use the same one.
    let other = app.company("Globex", 0).await;
    let other_agent = app.agent(&other, "b", 0).await;
    let r = app
        .client
        .post(format!("{}/api/companies/{other}/cost-events", app.base))
        .header("Idempotency-Key", "hb-1")
        .json(
            &json!({"agentId": other_agent, "provider": "anthropic", "model": "m", "costCents": 7}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    assert_eq!(app.event_count(&company).await, 2);
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s.body["spendCents"], 14, "retries are counted once");
}

#[tokio::test]
async fn sixteen_concurrent_retries_make_one_event() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let url = format!("{}/api/companies/{company}/cost-events", app.base);
    let body = json!({"agentId": agent, "provider": "anthropic", "model": "m", "costCents": 25});
    let replies = join_all((0..16).map(|_| {
        let req = app
            .client
            .post(&url)
            .header("Idempotency-Key", "same")
            .json(&body);
        async move { crate::helpers::TestApp::reply(req.send().await.unwrap()).await }
    }))
    .await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let replayed = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!((created, replayed), (1, 15));
    let ids: std::collections::HashSet<&str> = replies
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the same event");
    assert_eq!(app.event_count(&company).await, 1);
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s.body["spendCents"], 25);
}

#[tokio::test]
async fn events_are_accepted_and_counted_for_a_paused_agent() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let r = app
        .patch(&format!("/api/agents/{agent}"), json!({"status": "paused"}))
        .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["pauseReason"].as_str()),
        (Some("paused"), Some("manual"))
    );
    let e = app.spend(&company, &agent, 30).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    assert_eq!(
        e["enforcement"]["hardStop"], true,
        "a paused agent is told to stop"
    );
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["spentMonthlyCents"],
        30
    );
}

#[tokio::test]
async fn the_batch_route_judges_each_event_and_commits_the_valid_ones() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 100).await;
    let other = app.company("Globex", 0).await;
    let foreign = app.agent(&other, "x", 0).await;
    let ev = |cents: i64| json!({"agentId": agent, "provider": "anthropic", "model": "m", "costCents": cents});
    let mut keyed = ev(5);
    keyed["eventKey"] = json!("k-1");
    let path = format!("/api/companies/{company}/cost-events/batch");
    let r = app
        .post(&path, json!({"events": [
            ev(30), keyed.clone(), ev(-1), {"agentId": foreign, "provider": "p", "model": "m"}, "oops", ev(70), keyed,
        ]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let statuses: Vec<i64> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![201, 201, 400, 422, 400, 201, 200]);
    assert_eq!(
        (
            r.body["created"].as_i64(),
            r.body["replayed"].as_i64(),
            r.body["failed"].as_i64()
        ),
        (Some(3), Some(1), Some(3))
    );
    assert_eq!(
        r.body["results"][1]["id"], r.body["results"][6]["id"],
        "a key repeated in one batch is one event"
    );
    assert_eq!(r.body["results"][2]["details"][0]["field"], "costCents");
    // 30 + 5 + 70 = 105 of a 100 budget: the batch's verdict for the agent is a stop.
    assert_eq!(r.body["enforcement"][&agent]["agentStatus"], "paused");
    assert_eq!(app.event_count(&company).await, 3);
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["spentMonthlyCents"],
        105
    );
    let mut alerts: Vec<(String, String, String)> = app
        .alerts(&company)
        .await
        .iter()
        .map(|x| {
            (
                x["scopeType"].as_str().unwrap().to_owned(),
                x["scopeId"].as_str().unwrap().to_owned(),
                x["threshold"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    alerts.sort();
    assert_eq!(
        alerts,
        vec![
            ("agent".into(), agent.clone(), "hard".into()),
            ("agent".into(), agent.clone(), "soft".into())
        ],
        "one soft, one hard"
    );

    // The same key in a later batch replays.
    let mut again = ev(5);
    again["eventKey"] = json!("k-1");
    let r = app.post(&path, json!({"events": [again]})).await;
    assert_eq!(r.body["results"][0]["status"], 200);

    // Shape and size limits.
    assert_eq!(
        app.post(&path, json!({"events": "nope"})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.post(&path, json!({})).await.status,
        StatusCode::BAD_REQUEST
    );
    let many: Vec<Value> = (0..1001).map(|_| ev(1)).collect();
    let r = app.post(&path, json!({"events": many})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let big: Vec<Value> = (0..1000)
        .map(|_| json!({"agentId": agent, "provider": "p", "model": "x".repeat(1100)}))
        .collect();
    assert_eq!(
        app.post(&path, json!({"events": big})).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let thousand: Vec<Value> = (0..1000).map(|_| ev(0)).collect();
    let r = app.post(&path, json!({"events": thousand})).await;
    assert_eq!(
        (r.status, r.body["created"].as_i64()),
        (StatusCode::OK, Some(1000))
    );
    assert_eq!(
        app.post(
            "/api/companies/nope/cost-events/batch",
            json!({"events": [ev(1)]})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (s.body["spendCents"].as_i64(), s.body["eventCount"].as_i64()),
        (Some(105), Some(1003))
    );
}

#[tokio::test]
async fn the_binary_dates_events_by_the_clock_it_is_given() {
    use crate::helpers::{NOW, at, company_and_agent, free_port, fresh_database, start_binary};
    let bin = env!("CARGO_BIN_EXE_costline");
    let (db, _dir) = fresh_database().await;
    let port = free_port();
    // COSTLINE_CLOCK_START=NOW, as for every binary the tests start.
    let _server = start_binary(&db, port).await;
    let api = format!("http://127.0.0.1:{port}/api");
    let http = reqwest::Client::new();
    let (company, agent) = company_and_agent(&http, &api).await;
    let r = http
        .post(format!("{api}/companies/{company}/cost-events"))
        .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 5}))
        .send()
        .await
        .unwrap();
    let e = crate::helpers::TestApp::reply(r).await;
    assert_eq!(e.status, StatusCode::CREATED, "{}", e.text);
    let occurred = at(e.body["occurredAt"].as_str().unwrap());
    assert!(
        occurred >= at(NOW) && occurred < at(NOW) + chrono::Duration::minutes(5),
        "dated by the given clock, not today: {occurred}"
    );
    let s: Value = http
        .get(format!("{api}/companies/{company}/costs/summary"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (s["windowStart"].as_str(), s["spendCents"].as_i64()),
        (Some("2026-11-01T00:00:00Z"), Some(5))
    );

    // The setting is documented, and a value that is not an instant stops the start.
    let help = tokio::process::Command::new(bin)
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--clock-start") && help.contains("COSTLINE_CLOCK_START"),
        "{help}"
    );
    let bad = tokio::process::Command::new(bin)
        .env("DATABASE_URL", &db)
        .env("COSTLINE_BIND", format!("127.0.0.1:{}", free_port()))
        .env("COSTLINE_CLOCK_START", "tomorrow")
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--clock-start"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
