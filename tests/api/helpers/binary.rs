//! The real `costline` binary on a port of its own, and what tests read from it over plain
//! HTTP.

use reqwest::{Client, StatusCode};
use serde_json::json;

use super::{NOW, TestApp};

/// The ids of every event `company` has stored, read page by page from `api` (a base URL
/// ending in `/api`).
#[allow(dead_code)]
pub async fn stored_event_ids(
    http: &Client,
    api: &str,
    company: &str,
) -> std::collections::HashSet<String> {
    let mut stored = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{api}/companies/{company}/cost-events?limit=1000&cursor={c}"),
            None => format!("{api}/companies/{company}/cost-events?limit=1000"),
        };
        let page = TestApp::reply(http.get(url).send().await.unwrap()).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for e in page.body["items"].as_array().unwrap() {
            stored.insert(e["id"].as_str().unwrap().to_owned());
        }
        match page.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return stored,
        }
    }
}

/// Creates a company and one agent without a budget through `api`; answers their ids.
#[allow(dead_code)]
pub async fn company_and_agent(http: &Client, api: &str) -> (String, String) {
    let create = async |path: String, name: &str| {
        let r = http.post(path).json(&json!({"name": name})).send().await;
        TestApp::reply(r.unwrap()).await.id()
    };
    let company = create(format!("{api}/companies"), "Acme").await;
    let agent = create(format!("{api}/companies/{company}/agents"), "a").await;
    (company, agent)
}

/// Starts the real `costline` binary on `db` and `port`, its clock starting at [`NOW`],
/// and waits until it is ready. Killed when the handle drops.
pub async fn start_binary(db: &str, port: u16) -> tokio::process::Child {
    start_binary_with(db, port, &[]).await
}

pub async fn start_binary_with(db: &str, port: u16, env: &[(&str, &str)]) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_costline"));
    command
        .env("DATABASE_URL", db)
        .env("COSTLINE_BIND", format!("127.0.0.1:{port}"))
        .env("COSTLINE_LOG", "warn")
        .env("COSTLINE_CLOCK_START", NOW)
        .env("COSTLINE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1,localhost,::1")
        .env("COSTLINE_WEBHOOK_POLL_MS", "20")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("the binary starts");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return child;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
