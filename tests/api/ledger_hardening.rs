//! Hostile or wrong input that must never corrupt the ledger: totals that would overflow,
//! idempotency keys of another agent, control characters, a bad company at the month
//! rollover, oversized batches and spreadsheet formulas in exports.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{TestApp, at, spawn_app, spawn_authenticated_app};

pub(crate) fn is_sqlite(app: &TestApp) -> bool {
    app.database_url.starts_with("sqlite:")
}

/// A connection of the test's own to the app's database, beside the app's pools.
pub(crate) async fn own_connection(app: &TestApp) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.database_url)
        .await
        .expect("the test connects to the app's database")
}

pub(crate) async fn summary(app: &TestApp, company: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/companies/{company}/costs/summary{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn totals_that_would_overflow_are_refused_and_every_report_stays_readable() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "spender", 0).await;
    let event = json!({
        "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
        "costCents": 100_000_000, "occurredAt": "2026-10-10T10:00:00Z",
    });
    let batch = json!({"events": vec![event; 1_000]});
    // 1,000 events of $1,000,000 each is 10^17 micro-cents a batch: the 93rd batch crosses
    // i64::MAX (about 9.22 x 10^18).
    let mut accepted = 0i64;
    let mut refused = 0;
    for _ in 0..93 {
        let r = app
            .post(
                &format!("/api/companies/{company}/cost-events/batch"),
                batch.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        accepted += r.body["created"].as_i64().unwrap();
        for item in r.body["results"].as_array().unwrap() {
            if item["status"] == 422 {
                refused += 1;
                assert_eq!(item["details"][0]["field"], "costCents", "{item}");
            }
        }
    }
    assert_eq!(
        accepted,
        i64::MAX / 100_000_000_000_000,
        "92,233 events fit"
    );
    assert_eq!(refused, 93_000 - accepted);

    let month = "?month=2026-10";
    let s = summary(&app, &company, month).await;
    assert_eq!(s["spendCents"], accepted * 100_000_000);
    assert_eq!(s["eventCount"], accepted);
    for report in ["by-agent", "by-project", "by-model", "daily"] {
        let r = app
            .get(&format!("/api/companies/{company}/costs/{report}{month}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{report}: {}", r.text);
        let rows = r.body.as_array().unwrap();
        assert!(!rows.is_empty(), "{report}");
        let total: i64 = rows
            .iter()
            .map(|row| row["costCents"].as_i64().unwrap())
            .sum();
        assert_eq!(total, accepted * 100_000_000, "{report} adds up");
        assert!(
            rows.iter()
                .all(|row| row["costCents"].as_i64().unwrap() >= 0)
        );
    }
    // A window over several months reads the same rows: still exact.
    let r = summary(&app, &company, "?from=2026-01-01&to=2026-12-01").await;
    assert_eq!(r["spendCents"], accepted * 100_000_000);
    // The company has about 72 million cents of room left, in any month: more is refused,
    // less still fits.
    let r = app.cost(&company, &agent, 100_000_000, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), ["costCents"]);
    let r = app.cost(&company, &agent, 72_000_000, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(summary(&app, &company, "").await["spendCents"], 72_000_000);
}

#[tokio::test]
async fn idempotency_keys_belong_to_their_agent() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let a1 = app.agent(&company, "a1", 0).await;
    let a2 = app.agent(&company, "a2", 0).await;
    let keyed = |agent: &str, cents: i64| {
        let req = app
            .client
            .post(format!("{}/api/companies/{company}/cost-events", app.base))
            .header("Idempotency-Key", "hb-0001")
            .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": cents}));
        async move { TestApp::reply(req.send().await.unwrap()).await }
    };
    let first_a2 = keyed(&a2, 5).await;
    assert_eq!(first_a2.status, StatusCode::CREATED, "{}", first_a2.text);
    let first_a1 = keyed(&a1, 7).await;
    assert_eq!(first_a1.status, StatusCode::CREATED, "{}", first_a1.text);
    assert_ne!(first_a1.id(), first_a2.id());
    // Each agent's retry answers its own event and counts nothing twice.
    let again = keyed(&a1, 7).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.id(), first_a1.id());
    assert_eq!(keyed(&a1, 8).await.status, StatusCode::CONFLICT);
    let s = summary(&app, &company, "").await;
    assert_eq!(
        (s["spendCents"].as_i64(), s["eventCount"].as_i64()),
        (Some(12), Some(2))
    );
}

#[tokio::test]
async fn control_characters_are_refused_everywhere_and_nothing_is_stored() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    for (field, value) in [
        ("model", "claude\u{0}"),
        ("provider", "anth\u{0}ropic"),
        ("eventKey", "key\u{0}"),
        ("projectId", "p\u{0}"),
        ("model", "line\nbreak"),
    ] {
        let r = app.cost(&company, &agent, 1, json!({ field: value })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {}", r.text);
        assert_eq!(r.fields(), [field]);
    }
    let r = app
        .post(
            &format!("/api/companies/{company}/agents"),
            json!({"name": "a\u{0}b"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.fields(), ["name"]);
    let r = app
        .patch(
            &format!("/api/companies/{company}"),
            json!({"name": "\u{0}"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    for path in [
        "/api/agents/a%00b".to_owned(),
        format!("/api/companies/{company}/cost-events?agentId=%00"),
        format!("/api/companies/{company}/costs/summary?month=2026-11%0A"),
        format!("/companies/{company}%00"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text);
        assert!(r.body["error"].is_string(), "{path}: {}", r.text);
    }
    assert_eq!(app.event_count(&company).await, 0);
    let agents = app.get(&format!("/api/companies/{company}/agents")).await;
    assert_eq!(agents.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_bad_company_does_not_keep_the_others_paused_at_the_rollover() {
    let app = spawn_app().await;
    let mut companies = Vec::new();
    for name in ["first", "second", "third"] {
        let company = app.company(name, 0).await;
        let agent = app.agent(&company, "a", 100).await;
        let r = app.spend(&company, &agent, 100).await;
        assert_eq!(r["enforcement"]["agentStatus"], "paused");
        companies.push((company, agent));
    }
    // A stored value the rules cannot read, in the company the rollover meets first and in
    // the middle one.
    let mut own = own_connection(&app).await;
    for (company, _) in &companies[..2] {
        let update = if is_sqlite(&app) {
            "UPDATE companies SET status = 'bogus' WHERE id = ?"
        } else {
            "UPDATE companies SET status = 'bogus' WHERE id = $1"
        };
        sqlx::query(update)
            .bind(company)
            .execute(&mut own)
            .await
            .unwrap();
    }
    app.clock.set(at("2026-12-01T00:00:05Z"));
    let (company, agent) = &companies[2];
    app.eventually("the good company's agent resumes", || async {
        app.get(&format!("/api/agents/{agent}")).await.body["status"] == "active"
    })
    .await;
    let r = app.get(&format!("/api/agents/{}", companies[0].1)).await;
    assert_eq!(r.body["status"], "paused", "the bad ones wait for a fix");
    let _ = company;
}

#[tokio::test]
async fn the_batch_route_checks_caller_company_and_size_before_reading_events() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    // An unknown company: 404, however the events look.
    let r = app
        .post(
            "/api/companies/nope/cost-events/batch",
            json!({"events": [{}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // 1,001 items are refused while parsing, before any is judged.
    let r = app
        .post(
            &format!("/api/companies/{company}/cost-events/batch"),
            json!({"events": vec![json!({}); 1_001]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.len() < 1_000, "a short answer: {}", r.text.len());
    let r = app
        .raw(
            Method::POST,
            &format!("/api/companies/{company}/cost-events/batch"),
            format!("{{\"events\": [{}{{}}]}}", "{},".repeat(200_000)),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "{}",
        &r.text[..r.text.len().min(200)]
    );
    assert!(r.text.len() < 1_000);

    // Another company's agent key: 403 before anything is read.
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let board_post = |path: String, body: Value| {
        let req = app
            .client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&board.token)
            .json(&body);
        async move { TestApp::reply(req.send().await.unwrap()).await }
    };
    let a = board_post("/api/companies".into(), json!({"name": "A"}))
        .await
        .id();
    let b = board_post("/api/companies".into(), json!({"name": "B"}))
        .await
        .id();
    let agent_b = board_post(format!("/api/companies/{b}/agents"), json!({"name": "x"}))
        .await
        .id();
    let key = board_post(format!("/api/agents/{agent_b}/keys"), json!({}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_owned();
    for company in [a.as_str(), "nope"] {
        let r = app
            .client
            .post(format!(
                "{}/api/companies/{company}/cost-events/batch",
                app.base
            ))
            .bearer_auth(&key)
            .json(&json!({"events": [{}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{company}");
    }
}

#[tokio::test]
async fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let r = app
        .cost(
            &company,
            &agent,
            1,
            json!({"provider": "+cmd", "model": "=HYPERLINK(\"http://x.example\",\"y\")",
                   "eventKey": "@SUM(1)"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let csv = app
        .get(&format!("/api/companies/{company}/cost-events?format=csv"))
        .await
        .text;
    let row = csv.lines().nth(1).expect("one event row");
    assert!(row.contains(",'+cmd,"), "{row}");
    assert!(
        row.contains(",\"'=HYPERLINK(\"\"http://x.example\"\",\"\"y\"\")\","),
        "{row}"
    );
    assert!(row.contains(",'@SUM(1),"), "{row}");
    assert!(
        !row.contains(",=") && !row.contains(",+") && !row.contains(",@"),
        "{row}"
    );
}

/// Text that JSON and SQL escape (quotes, backslashes, a line separator, characters past
/// the basic plane) is stored and answered exactly as sent, through the single route and
/// the batch route; on PostgreSQL the rows travel as one JSON parameter.
#[tokio::test]
async fn text_that_json_escapes_is_stored_exactly_as_sent() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let model = "o'brien \"quoted\" C:\\path\\ \u{2028} é 😀 '); DROP TABLE cost_events; --";
    let key = "key \"\\ 😀";
    let one = json!({"agentId": agent, "provider": "anthropic", "model": model,
        "costCents": 3, "eventKey": key});
    let r = app
        .post(&format!("/api/companies/{company}/cost-events"), one)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let batch = json!({"events": [{"agentId": agent, "provider": "open\"ai\\", "model": model,
        "costCents": 4}]});
    let r = app
        .post(
            &format!("/api/companies/{company}/cost-events/batch"),
            batch,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["created"], 1, "{}", r.text);

    let list = app
        .get(&format!("/api/companies/{company}/cost-events"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let mut stored: Vec<(String, String, Option<String>)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap().to_owned(),
                e["model"].as_str().unwrap().to_owned(),
                e["eventKey"].as_str().map(str::to_owned),
            )
        })
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        vec![
            (
                "anthropic".to_owned(),
                model.to_owned(),
                Some(key.to_owned())
            ),
            ("open\"ai\\".to_owned(), model.to_owned(), None),
        ]
    );
    assert_eq!(summary(&app, &company, "").await["spendCents"], 7);
}
