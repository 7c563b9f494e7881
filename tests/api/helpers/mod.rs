//! Spawning the app and talking to it; the release binary and plain HTTP in `binary`.

mod binary;
pub use binary::*;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use costline::server::{Service, clock::ShiftedClock, config::Settings, startup::Application};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// Mid-month, so month edges are only crossed on purpose.
pub const NOW: &str = "2026-11-15T12:00:00Z";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub struct TestApp {
    pub base: String,
    /// The metrics-only listener, when the settings asked for one.
    #[allow(dead_code)]
    pub metrics_base: Option<String>,
    pub client: Client,
    pub clock: ShiftedClock,
    /// The app's service, to run a background job (the rollover) at a chosen moment.
    #[allow(dead_code)]
    pub service: Service,
    #[allow(dead_code)]
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: TempDir,
}

/// The app on a fresh database: a new SQLite file, or a new PostgreSQL database when
/// `COSTLINE_TEST_POSTGRES` names a server (its admin URL) to create it on. No board
/// credential exists, so it runs in local_trusted mode.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with `tweak` applied to the settings first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, dir) = fresh_database().await;
    spawn_on(database_url, dir, tweak).await
}

/// Another instance of the app on `database_url` (a database an earlier app made), with a
/// clock of its own: several instances sharing one PostgreSQL database.
#[allow(dead_code)]
pub async fn spawn_app_on(database_url: &str) -> TestApp {
    spawn_on(
        database_url.to_owned(),
        tempfile::tempdir().unwrap(),
        |_| {},
    )
    .await
}

/// A board user and a board token, made as `costline board ...` makes them.
#[allow(dead_code)]
pub struct Board {
    pub email: String,
    pub password: String,
    pub token: String,
}

/// The app in authenticated mode: a board user and a board token are created on its fresh
/// database before it starts, by the same code as `costline board create-user` and
/// `create-token`.
#[allow(dead_code)]
pub async fn spawn_authenticated_app(tweak: impl FnOnce(&mut Settings)) -> (TestApp, Board) {
    let (database_url, dir) = fresh_database().await;
    let board = create_board_credentials(&database_url).await;
    let app = spawn_on(database_url, dir, tweak).await;
    (app, board)
}

#[allow(dead_code)]
pub async fn create_board_credentials(database_url: &str) -> Board {
    use costline::server::{Db, PoolSettings, board};
    let db = Db::connect(
        database_url,
        &PoolSettings {
            max_connections: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
            sqlite_fsync_each_commit: true,
            sqlite_max_pages: 0,
        },
    )
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let email = "Board@Example.com".to_owned();
    let password = "correct horse battery staple".to_owned();
    board::create_user(&db, &email, &password).await.unwrap();
    let token = board::create_token(&db, Some("tests".into()))
        .await
        .unwrap()
        .value;
    db.close().await;
    Board {
        email,
        password,
        token,
    }
}

/// A database URL nobody else uses, and the folder that holds it (SQLite) or nothing.
pub async fn fresh_database() -> (String, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    match std::env::var("COSTLINE_TEST_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Connection;
            let name = format!("costline_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), dir)
        }
        _ => {
            let url = format!("sqlite:{}", dir.path().join("nested/costline.db").display());
            (url, dir)
        }
    }
}

async fn spawn_on(
    database_url: String,
    dir: TempDir,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    // The apps' warnings and errors, which the harness shows for a failing test only: a
    // 500 names its cause there.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let mut settings = Settings::for_database(database_url.clone());
    settings.reconcile_interval_ms = 50;
    settings.log = "warn".into();
    // These machines may reach loopback only: every test says so, whatever the default.
    settings.webhook_allow_hosts = "127.0.0.1,localhost,::1".into();
    settings.webhook_poll_ms = 20;
    settings.webhook_retry_base_ms = 50;
    tweak(&mut settings);
    costline::server::telemetry::init(
        &std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()),
        costline::server::config::LogFormat::Text,
    );
    let clock = ShiftedClock::starting_at(at(NOW));
    let app = Application::build(&settings, Arc::new(clock.clone()))
        .await
        .expect("the app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let metrics_base = app.metrics_address().map(|a| format!("http://{a}"));
    let service = app.service().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        base,
        metrics_base,
        // A guard against hangs (an unanswered request fails after a minute, naming
        // itself), not a measure of speed.
        client: Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap(),
        clock,
        service,
        database_url,
        stop: Some(stop),
        task: Some(task),
        _dir: dir,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
    #[allow(dead_code)]
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_owned()
    }

    /// The fields named in a 400/422 `details` list.
    pub fn fields(&self) -> Vec<String> {
        self.body["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        Self::reply(req.send().await.unwrap()).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: impl Into<reqwest::Body>) -> Reply {
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        Self::reply(req.send().await.unwrap()).await
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            text,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(body)).await
    }

    /// Calls a dashboard server function as the hydrated app does: a form body, JSON back.
    pub async fn rpc(&self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        Self::reply(
            self.client
                .post(format!("{}/rpc/{endpoint}", self.base))
                .header("origin", &self.base)
                .header("accept", "application/json")
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn company(&self, name: &str, budget: i64) -> String {
        self.create("/api/companies", name, budget).await
    }

    pub async fn agent(&self, company: &str, name: &str, budget: i64) -> String {
        self.create(&format!("/api/companies/{company}/agents"), name, budget)
            .await
    }

    pub async fn project(&self, company: &str, name: &str, budget: i64) -> String {
        self.create(&format!("/api/companies/{company}/projects"), name, budget)
            .await
    }

    /// Creates a company, agent or project at `path`; answers its id.
    async fn create(&self, path: &str, name: &str, budget: i64) -> String {
        let r = self
            .post(path, json!({"name": name, "budgetMonthlyCents": budget}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
        r.id()
    }

    /// Posts a cost event for `agent` with `cents`, plus any extra fields.
    pub async fn cost(&self, company: &str, agent: &str, cents: i64, extra: Value) -> Reply {
        let mut body = json!({
            "agentId": agent,
            "provider": "anthropic",
            "model": "claude-sonnet-4-20250514",
            "inputTokens": 1000,
            "outputTokens": 100,
            "costCents": cents,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post(&format!("/api/companies/{company}/cost-events"), body)
            .await
    }

    /// Like [`TestApp::cost`], asserting a 201.
    pub async fn spend(&self, company: &str, agent: &str, cents: i64) -> Value {
        let r = self.cost(company, agent, cents, json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    pub async fn event_count(&self, company: &str) -> usize {
        let r = self
            .get(&format!("/api/companies/{company}/cost-events?limit=1000"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["items"].as_array().unwrap().len()
    }

    pub async fn alerts(&self, company: &str) -> Vec<Value> {
        let r = self
            .get(&format!("/api/companies/{company}/budget-alerts"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body.as_array().unwrap().clone()
    }

    /// Polls `check` until it holds, for at most 5 seconds.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..100 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for: {what}");
    }
}

/// Waits until `check` holds; a guard against hangs (30 s), not a measure of speed.
#[allow(dead_code)]
pub async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The PostgreSQL-only tests are `#[ignore]`d, so the SQLite pass skips them visibly;
/// `make unit` runs them under `scripts/with-pg.sh` with `--include-ignored`. Run any other
/// way they fail: a PostgreSQL test never passes without PostgreSQL.
#[allow(dead_code)]
pub fn require_postgres() {
    assert!(
        std::env::var("COSTLINE_TEST_POSTGRES").is_ok_and(|v| !v.is_empty()),
        "a PostgreSQL test: run it through scripts/with-pg.sh (it sets COSTLINE_TEST_POSTGRES)"
    );
}
