//! Faults and hostile input that must never corrupt the ledger: a full disk, totals that
//! would overflow, idempotency keys of another agent, control characters, a commit that
//! outlasts the request timeout, a bad company at the month rollover, oversized batches and
//! spreadsheet formulas in exports.

use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{TestApp, at, spawn_app, spawn_app_with, spawn_authenticated_app};

fn is_sqlite(app: &TestApp) -> bool {
    app.database_url.starts_with("sqlite:")
}

/// A connection of the test's own to the app's database, beside the app's pools.
async fn own_connection(app: &TestApp) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.database_url)
        .await
        .expect("the test connects to the app's database")
}

async fn summary(app: &TestApp, company: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/companies/{company}/costs/summary{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn a_full_disk_never_acknowledges_an_event_it_did_not_store() {
    // SQLite only: PostgreSQL's disk is the database server's business.
    let app = spawn_app_with(|s| s.sqlite_max_pages = 2_000).await;
    if !is_sqlite(&app) {
        return;
    }
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;

    // Fill the file up to a few pages below the limit with a table of the test's own.
    let mut own = own_connection(&app).await;
    sqlx::raw_sql("CREATE TABLE filler (pad BLOB)")
        .execute(&mut own)
        .await
        .unwrap();
    loop {
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut own)
            .await
            .unwrap();
        if pages >= 1_960 {
            break;
        }
        sqlx::raw_sql("INSERT INTO filler VALUES (zeroblob(32768))")
            .execute(&mut own)
            .await
            .unwrap();
    }

    // 16 clients post until the disk is full; count what was acknowledged.
    let path = format!("/api/companies/{company}/cost-events");
    let post = |i: usize| {
        let body = json!({
            "agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
            "inputTokens": 1000, "outputTokens": 100, "costCents": 3,
            "eventKey": format!("fill-{i:05}-{}", "k".repeat(150)),
        });
        app.post(&path, body)
    };
    let mut acknowledged = 0i64;
    let mut refused = 0;
    for round in 0..200 {
        let replies = join_all((0..16).map(|c| post(round * 16 + c))).await;
        for r in &replies {
            match r.status {
                StatusCode::CREATED => acknowledged += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    refused += 1;
                    assert!(r.body["error"].is_string(), "a JSON error: {}", r.text);
                }
                other => panic!("only 201 or 503, got {other}: {}", r.text),
            }
        }
        if refused >= 32 {
            break;
        }
    }
    assert!(acknowledged > 0, "some events fit before the disk filled");
    assert!(refused >= 32, "the disk filled up: {refused} refusals");
    let s = summary(&app, &company, "").await;
    assert_eq!(
        s["eventCount"], acknowledged,
        "every 201 is stored, nothing else"
    );
    assert_eq!(s["spendCents"], acknowledged * 3);
    let ready = app.get("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );

    // Space comes back: the server turns ready and takes events again, by itself.
    sqlx::raw_sql("DROP TABLE filler")
        .execute(&mut own)
        .await
        .unwrap();
    app.eventually("ready again once space is back", || async {
        app.get("/readyz").await.status == StatusCode::OK
    })
    .await;
    let r = post(1_000_000).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let s = summary(&app, &company, "").await;
    assert_eq!(s["eventCount"], acknowledged + 1);
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
async fn an_event_handed_to_the_committer_is_answered_by_its_commit_not_a_timeout() {
    let app = spawn_app_with(|s| s.request_timeout_ms = 300).await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // The test holds the write lock (SQLite) or the company's row lock (PostgreSQL) for a
    // second: the commit waits for it, far past the request timeout.
    let mut own = own_connection(&app).await;
    if is_sqlite(&app) {
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut own)
            .await
            .unwrap();
    } else {
        sqlx::raw_sql("BEGIN").execute(&mut own).await.unwrap();
        sqlx::query("SELECT id FROM companies WHERE id = $1 FOR UPDATE")
            .bind(&company)
            .execute(&mut own)
            .await
            .unwrap();
    }
    let pending = tokio::spawn({
        let (client, base, company, agent) = (
            app.client.clone(),
            app.base.clone(),
            company.clone(),
            agent.clone(),
        );
        async move {
            let r = client
                .post(format!("{base}/api/companies/{company}/cost-events"))
                .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 4}))
                .send()
                .await
                .unwrap();
            TestApp::reply(r).await
        }
    });
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    sqlx::raw_sql("COMMIT").execute(&mut own).await.unwrap();
    let r = pending.await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let s = summary(&app, &company, "").await;
    assert_eq!(
        (s["spendCents"].as_i64(), s["eventCount"].as_i64()),
        (Some(4), Some(1))
    );
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

/// SQLite may roll back a whole transaction by itself (a full disk, an I/O error). Here
/// `INSERT OR ROLLBACK` makes it do so on purpose. With sqlx's own transactions that left
/// the connection's bookkeeping believing a transaction was open: the next "transaction"
/// became a savepoint, a failed statement in it rolled back to the savepoint but left the
/// transaction open, and every later commit answered success while committing nothing.
#[tokio::test]
async fn after_sqlite_rolls_back_by_itself_a_commit_that_answers_ok_is_stored() {
    use costline::server::{Db, PoolSettings};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tx.db").display());
    let db = Db::connect(
        &url,
        &PoolSettings {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
            sqlite_fsync_each_commit: true,
            sqlite_max_pages: 0,
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let insert = |id: i64, how: &'static str| {
        sqlx::query(if how == "rollback" {
            "INSERT OR ROLLBACK INTO write_probe (id, pad) VALUES (?, 'x')"
        } else {
            "INSERT INTO write_probe (id, pad) VALUES (?, 'x')"
        })
        .bind(id)
    };

    // 1. SQLite cancels the whole transaction by itself.
    let mut tx = db.begin_write().await.unwrap();
    insert(1, "rollback").execute(&mut *tx).await.unwrap();
    assert!(insert(1, "rollback").execute(&mut *tx).await.is_err());
    drop(tx);
    // 2. A transaction whose statement fails (the statement alone is undone).
    let mut tx = db.begin_write().await.unwrap();
    insert(2, "plain").execute(&mut *tx).await.unwrap();
    assert!(insert(2, "plain").execute(&mut *tx).await.is_err());
    drop(tx);
    // 3. A transaction that commits with Ok must be visible to everyone.
    let mut tx = db.begin_write().await.unwrap();
    insert(3, "plain").execute(&mut *tx).await.unwrap();
    tx.commit().await.expect("committed");
    let mut reader = db.read_conn().await.unwrap();
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM write_probe ORDER BY id")
        .fetch_all(&mut *reader)
        .await
        .unwrap();
    assert_eq!(ids, [(3,)], "what was committed, and only that");
    drop(reader);
    db.close().await;
}
