//! A database made by an older Costline upgrades to this one: migration 0005 (prices from
//! LiteLLM's map) applies after 0004 alone, and after main's 0007 already ran without it.
//! Both dialects (PostgreSQL under `scripts/with-pg.sh`).

use std::path::Path;

use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::{
    helpers::{fresh_database, spawn_app_on},
    prices::event,
};

/// Applies only the migrations numbered in `versions` to a fresh database, then adds an
/// operator's price the way an older release stored it (no long-context columns yet).
pub(crate) async fn database_at(versions: &[u32]) -> (String, tempfile::TempDir) {
    let (url, dir) = fresh_database().await;
    let dialect = if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    let picked = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(Path::new("migrations").join(dialect)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let version: u32 = name[..4].parse().unwrap();
        if versions.contains(&version) {
            std::fs::copy(&path, picked.path().join(&name)).unwrap();
        }
    }
    let connect_url = if dialect == "sqlite" {
        let file = url.trim_start_matches("sqlite:");
        std::fs::create_dir_all(Path::new(file).parent().unwrap()).unwrap();
        format!("{url}?mode=rwc")
    } else {
        url.clone()
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&connect_url).await.unwrap();
    Migrator::new(picked.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO model_prices (id, provider, model, effective_from, input_micros_per_mtok, \
         cached_input_micros_per_mtok, cache_write_micros_per_mtok, output_micros_per_mtok, \
         source, created_at) VALUES ('op-1', 'acme', 'house-model', 0, 400000000, 400000000, \
         400000000, 0, 'set by an operator', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    (url, dir)
}

async fn upgrades_and_prices(versions: &[u32]) {
    let (url, _dir) = database_at(versions).await;
    let app = spawn_app_on(&url).await;
    let book = app.get("/api/model-prices").await;
    let prices = book.body.as_array().unwrap();
    let sources: Vec<&str> = prices
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert!(
        !sources.iter().any(|s| s.ends_with("as of 2025-09-01")),
        "the old seed is gone"
    );
    assert_eq!(
        sources.iter().filter(|s| s.starts_with("LiteLLM")).count(),
        331,
        "the map's prices are in"
    );
    let operator: Vec<&Value> = prices
        .iter()
        .filter(|p| p["model"] == "house-model")
        .collect();
    assert_eq!(operator.len(), 1, "the operator's price stays");
    assert_eq!(operator[0]["source"], "set by an operator");
    assert!(operator[0].get("longContext").is_none_or(Value::is_null));

    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    // $4 per million input tokens: 2M tokens are 800 cents.
    let r = event(
        &app,
        &company,
        json!({"agentId": agent, "provider": "acme", "model": "house-model",
            "inputTokens": 2_000_000, "eventKey": "k1"}),
    )
    .await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["costSource"].as_str(), r.body["costCents"].as_i64()),
        (Some("computed"), Some(800))
    );
    // A map price with a long-context tier, above its threshold: the tier's rates.
    let long = event(
        &app,
        &company,
        json!({"agentId": agent, "provider": "google", "model": "gemini-2.5-pro",
            "inputTokens": 300_000}),
    )
    .await;
    assert_eq!(long.body["costSource"], "computed", "{}", long.text);
    assert_eq!(
        long.body["costMicroCents"], 75_000_000,
        "300k tokens at $2.50/M, not the base $1.25/M"
    );
}

#[tokio::test]
async fn a_database_at_0004_upgrades_to_the_map_prices() {
    upgrades_and_prices(&[1, 2, 3, 4]).await;
}

#[tokio::test]
async fn a_database_that_already_ran_0007_still_takes_0005() {
    upgrades_and_prices(&[1, 2, 3, 4, 7]).await;
}
