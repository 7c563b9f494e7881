//! `COSTLINE_LOG_FORMAT=json`: one JSON object per line, and a request's line names its
//! request id, kept from the request.

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::helpers::{NOW, free_port};

#[tokio::test]
async fn json_logs_name_the_request_id_of_each_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_costline"))
        .env(
            "DATABASE_URL",
            format!("sqlite:{}", dir.path().join("c.db").display()),
        )
        .env("COSTLINE_BIND", format!("127.0.0.1:{port}"))
        .env("COSTLINE_LOG", "info")
        .env("COSTLINE_LOG_FORMAT", "json")
        .env("COSTLINE_CLOCK_START", NOW)
        .env("COSTLINE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1,localhost,::1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "the server did not become ready");
    let answer = client
        .get(format!("{base}/api/companies"))
        .header("x-request-id", "log-test-4711")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["x-request-id"], "log-test-4711");
    child.start_kill().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = lines
        .iter()
        .find(|l| l["span"]["id"] == "log-test-4711")
        .unwrap_or_else(|| panic!("no line names the request id: {stderr}"));
    assert_eq!(line["span"]["path"], "/api/companies");
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(line["fields"]["status"], 200, "{line}");
}
