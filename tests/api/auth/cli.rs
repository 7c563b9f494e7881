//! The real binary and its `board` commands, as an operator uses them.

use std::{process::Stdio, time::Duration};

use reqwest::{StatusCode, header};
use tokio::{io::AsyncWriteExt, process::Command};

use super::world::client;
use crate::helpers::free_port;

fn costline(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_costline"));
    cmd.env("DATABASE_URL", db)
        .env_remove("COSTLINE_BOARD_PASSWORD")
        .env_remove("COSTLINE_BIND")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn the_binary_refuses_0_0_0_0_without_a_board_credential() {
    let (db, _dir) = crate::helpers::fresh_database().await;
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        costline(&db).args(["--bind", "0.0.0.0:0"]).output(),
    )
    .await
    .expect("it stops by itself")
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 without a board credential"),
        "{stderr}"
    );
    assert!(
        stderr.contains("costline board create-user --email"),
        "{stderr}"
    );
}

#[tokio::test]
async fn board_commands_create_credentials_the_server_accepts() {
    let (db, _dir) = crate::helpers::fresh_database().await;
    let help = costline(&db).arg("--help").output().await.unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(
        help.contains("board") && help.contains("create-user"),
        "{help}"
    );
    let help = costline(&db)
        .args(["board", "create-user", "--help"])
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(
        help.contains("COSTLINE_BOARD_PASSWORD") && help.contains("--email"),
        "{help}"
    );

    // From the environment.
    let out = costline(&db)
        .args(["board", "create-user", "--email", "ops@example.com"])
        .env("COSTLINE_BOARD_PASSWORD", "a long enough password")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Created board user ops@example.com"));
    assert!(out.stdout.is_empty(), "nothing secret to print");
    // From standard input, for a second user; a short one is refused.
    let mut child = costline(&db)
        .args(["board", "create-user", "--email", "cfo@example.com"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"short\n")
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must have 12 to 1024 characters"));
    let mut child = costline(&db)
        .args(["board", "create-user", "--email", "cfo@example.com"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped in on stdin\n")
        .await
        .unwrap();
    assert!(child.wait_with_output().await.unwrap().status.success());
    // A token, printed once on stdout.
    let out = costline(&db)
        .args(["board", "create-token", "--name", "ci"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("clb_") && token.len() == 81, "{token}");

    // The server on that database now requires them, even on 0.0.0.0.
    let port = free_port();
    let mut server = costline(&db)
        .args(["--bind", &format!("0.0.0.0:{port}")])
        .env("COSTLINE_LOG", "warn")
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status() == StatusCode::OK
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the server did not start");
    let get = |token: Option<&str>| {
        let mut req = client().get(format!("{base}/api/companies"));
        if let Some(t) = token {
            req = req.bearer_auth(t.to_owned());
        }
        async { req.send().await.unwrap().status() }
    };
    assert_eq!(get(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(get(Some(&token)).await, StatusCode::OK);
    for (email, password) in [
        ("ops@example.com", "a long enough password"),
        ("CFO@example.com", "piped in on stdin"),
    ] {
        let r = client()
            .post(format!("{base}/auth/sign-in"))
            .header("origin", &base)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(
            r.headers().get(header::SET_COOKIE).is_some(),
            "{email} signs in"
        );
    }
    server.kill().await.unwrap();
}
