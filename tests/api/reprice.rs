//! Repricing: a dry run that changes nothing, an apply that changes exactly that, in
//! chunks while ingest goes on, and never past 64 bits.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::{
    helpers::{spawn_app, spawn_app_with},
    prices::{event, put_price},
};

#[tokio::test]
async fn reprice_dry_run_changes_nothing_and_apply_does_exactly_that() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 1000).await;
    let other = app.agent(&company, "b", 0).await;
    // Unpriced spend the budget cannot see: a model with no price yet.
    for (who, tokens) in [(&agent, 2_000_000), (&agent, 1_000_000), (&other, 500_000)] {
        let r = event(
            &app,
            &company,
            json!({
                "agentId": who, "provider": "acme", "model": "new-model", "inputTokens": tokens,
            }),
        )
        .await;
        assert_eq!(r.body["costSource"], "unpriced");
    }
    // And one unknown to any price even after.
    event(
        &app,
        &company,
        json!({"agentId": other, "provider": "acme", "model": "other", "inputTokens": 5}),
    )
    .await;
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s.body["spendCents"].as_i64(),
            s.body["unpricedEventCount"].as_i64()
        ),
        (Some(0), Some(4))
    );
    assert_eq!(s.body["unpricedTokens"], 3_500_005);

    // $4 per million input tokens from the start of the month.
    put_price(
        &app,
        json!({"provider": "acme", "model": "new-model", "effectiveFrom": "2026-11-01",
        "inputMicroCentsPerMTok": 400_000_000, "outputMicroCentsPerMTok": 0}),
    )
    .await;

    let path = format!("/api/companies/{company}/reprice?month=2026-11");
    let dry = app.post(&path, json!({})).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
    assert_eq!(dry.body["applied"], false);
    assert_eq!(dry.body["unpricedEvents"], 4);
    assert_eq!(dry.body["repricedEvents"], 3);
    assert_eq!(dry.body["stillUnpricedEvents"], 1);
    assert_eq!(dry.body["addedCents"], 1400); // 3.5M tokens x $4 per million
    let s2 = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s2.body, s.body, "a dry run changes nothing");
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["status"],
        "active"
    );

    let applied = app.post(&format!("{path}&apply=true"), json!({})).await;
    assert_eq!(applied.status, StatusCode::OK);
    assert_eq!(applied.body["applied"], true);
    for k in [
        "unpricedEvents",
        "repricedEvents",
        "stillUnpricedEvents",
        "addedCents",
        "addedMicroCents",
    ] {
        assert_eq!(
            applied.body[k], dry.body[k],
            "{k}: applied exactly what the dry run said"
        );
    }
    let s3 = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s3.body["spendCents"].as_i64(),
            s3.body["unpricedEventCount"].as_i64()
        ),
        (Some(1400), Some(1))
    );
    assert_eq!(s3.body["unpricedTokens"], 5);
    let by_agent = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    let a = by_agent
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agentId"] == agent.as_str())
        .unwrap();
    assert_eq!(a["costCents"], 1200);
    // ... which pushed the agent over its $10 budget: a hard stop, in the same transaction.
    let a = app.get(&format!("/api/agents/{agent}")).await;
    assert_eq!(
        (a.body["status"].as_str(), a.body["pauseReason"].as_str()),
        (Some("paused"), Some("budget"))
    );
    let mut kinds: Vec<(String, String)> = app
        .alerts(&company)
        .await
        .iter()
        .map(|x| {
            (
                x["scopeId"].as_str().unwrap().to_owned(),
                x["threshold"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (agent.clone(), "hard".into()),
            (agent.clone(), "soft".into())
        ]
    );
    let events = app
        .get(&format!(
            "/api/companies/{company}/cost-events?agentId={agent}"
        ))
        .await;
    let mut priced: Vec<(i64, &str, bool)> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["costCents"].as_i64().unwrap(),
                e["costSource"].as_str().unwrap(),
                e["priceId"].is_string(),
            )
        })
        .collect();
    priced.sort();
    assert_eq!(
        priced,
        vec![(400, "computed", true), (800, "computed", true)],
        "both of the agent's events were priced"
    );

    // Nothing left to do: a second apply changes nothing.
    let again = app.post(&format!("{path}&apply=true"), json!({})).await;
    assert_eq!(
        (
            again.body["repricedEvents"].as_i64(),
            again.body["addedCents"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(
        app.get(&format!("/api/companies/{company}/costs/summary"))
            .await
            .body["spendCents"],
        1400
    );
    let r = app.post(&format!("{path}&apply=maybe"), json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.post("/api/companies/nope/reprice", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_apply_works_in_chunks_while_ingest_keeps_answering() {
    // Writers wait at most 2 s for the database. A reprice that held the only SQLite writer
    // for all its events (seconds here) would make ingest answer 503 meanwhile; one chunk
    // holds it for a fraction of that.
    let app = spawn_app_with(|s| s.db_acquire_timeout_ms = 2_000).await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    let unpriced =
        json!({"agentId": agent, "provider": "acme", "model": "bulk", "inputTokens": 1000});
    let batch = json!({"events": vec![unpriced; 1_000]});
    for _ in 0..10 {
        let r = app
            .post(
                &format!("/api/companies/{company}/cost-events/batch"),
                batch.clone(),
            )
            .await;
        assert_eq!(r.body["created"], 1_000, "{}", r.text);
    }
    // $1 per million input tokens: 0.1 cents an event, $10 for the 10,000.
    let r = put_price(
        &app,
        json!({"provider": "acme", "model": "bulk", "effectiveFrom": "2026-11-01",
               "inputMicroCentsPerMTok": 100_000_000, "outputMicroCentsPerMTok": 0}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let path = format!("/api/companies/{company}/reprice?month=2026-11&apply=true");
    let reprice = {
        let (client, url) = (app.client.clone(), format!("{}{path}", app.base));
        tokio::spawn(async move { client.post(url).json(&json!({})).send().await })
    };
    let mut during = 0;
    loop {
        // Reported costs (one cent each) while the reprice runs: every one is stored.
        let r = app.cost(&company, &agent, 1, json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        during += 1;
        if reprice.is_finished() {
            break;
        }
    }
    let done = reprice.await.unwrap().unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["repricedEvents"], 10_000, "{done}");
    assert_eq!(done["stillUnpricedEvents"], 0);
    assert_eq!(done["addedMicroCents"], 1_000_000_000);
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(s.body["unpricedEventCount"], 0);
    assert_eq!(s.body["spendCents"], 1_000 + during);
    assert_eq!(s.body["eventCount"], 10_000 + during);
    // Everything was priced once: a second apply finds nothing.
    let again = app.post(&path, json!({})).await;
    assert_eq!(
        (
            again.body["unpricedEvents"].as_i64(),
            again.body["addedMicroCents"].as_i64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn an_apply_that_would_pass_64_bits_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // The company's history: as 92,233 events of $1,000,000 in January would leave it, about
    // $720,368 below i64::MAX micro-cents. Written to the rollup directly: posting 92,233
    // events would take minutes.
    let history: i64 = 92_233 * 100_000_000_000_000;
    let mut own = {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&app.database_url)
            .await
            .unwrap()
    };
    let insert = format!(
        "INSERT INTO rollup_company_month (company_id, month, cost_micros, input_tokens, \
         cached_input_tokens, output_tokens, event_count, unpriced_count) \
         VALUES ('{company}', 202601, {history}, 0, 0, 0, 92233, 0)"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(insert))
        .execute(&mut own)
        .await
        .unwrap();
    // 10 million output tokens at $0.1 per million output token are $1,000,000.
    let r = event(
        &app,
        &company,
        json!({"agentId": agent, "provider": "acme", "model": "dear", "outputTokens": 10_000_000}),
    )
    .await;
    assert_eq!(r.body["costSource"], "unpriced", "{}", r.text);
    let r = put_price(
        &app,
        json!({"provider": "acme", "model": "dear", "effectiveFrom": "2026-11-01",
               "inputMicroCentsPerMTok": 0, "outputMicroCentsPerMTok": 10_000_000_000_000_i64}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let before = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await
        .body;
    let path = format!("/api/companies/{company}/reprice?month=2026-11");
    let dry = app.post(&path, json!({})).await;
    assert_eq!(dry.status, StatusCode::OK);
    assert_eq!(dry.body["addedMicroCents"], 100_000_000_000_000_i64);
    let r = app.post(&format!("{path}&apply=true"), json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.fields(), vec!["apply"]);
    let after = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body, before, "nothing changed");
    assert_eq!(after.body["unpricedEventCount"], 1);
}
