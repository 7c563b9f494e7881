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

/// `costline board ARGS` on `db`: success, stdout, stderr.
async fn board(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = costline(db).arg("board").args(args).output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn board_credentials_are_listed_revoked_and_deleted_at_once() {
    use crate::helpers::{TestApp, spawn_authenticated_app};

    let (app, board_user) = spawn_authenticated_app(|_| {}).await;
    let db = app.database_url.clone();
    let (ok, ci_token, _) = board(&db, &["create-token", "--name", "ci"]).await;
    assert!(ok);
    let ci_token = ci_token.trim().to_owned();
    let ci_prefix = &ci_token[..16];
    let cookie = super::world::sign_in(&app, &board_user.email, &board_user.password)
        .await
        .0;
    let get = |bearer: Option<&str>, cookie: Option<&str>| {
        let mut req = client().get(format!("{}/api/companies", app.base));
        if let Some(b) = bearer {
            req = req.bearer_auth(b.to_owned());
        }
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c.to_owned());
        }
        async { TestApp::reply(req.send().await.unwrap()).await.status }
    };
    assert_eq!(get(Some(&ci_token), None).await, StatusCode::OK);
    assert_eq!(get(Some(&board_user.token), None).await, StatusCode::OK);
    assert_eq!(get(None, Some(&cookie)).await, StatusCode::OK);

    let (ok, listed, _) = board(&db, &["list"]).await;
    assert!(ok);
    assert!(
        listed.starts_with("Board users: 1\n  board@example.com  created "),
        "{listed}"
    );
    // (The session was opened on the test's clock, days behind the CLI's: not counted open.)
    assert!(listed.contains("open sessions: "), "{listed}");
    assert!(listed.contains("Board tokens: 2\n"), "{listed}");
    assert!(listed.contains(&format!("  {ci_prefix}  id ")), "{listed}");
    assert!(
        listed.contains("name \"ci\"") && listed.contains("name \"tests\""),
        "{listed}"
    );
    assert!(!listed.contains("REVOKED"), "{listed}");
    for secret in [&ci_token[17..], &board_user.token[17..], "$argon2"] {
        assert!(
            !listed.contains(secret),
            "a secret or hash in the list: {listed}"
        );
    }

    // Revoked: refused from the very next request, while the other token still works.
    let (ok, _, said) = board(&db, &["revoke-token", ci_prefix]).await;
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!("Revoked board token {ci_prefix}")),
        "{said}"
    );
    assert_eq!(get(Some(&ci_token), None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(get(Some(&board_user.token), None).await, StatusCode::OK);
    let (_, listed, _) = board(&db, &["list"]).await;
    let line = listed.lines().find(|l| l.contains(ci_prefix)).unwrap();
    assert!(line.contains("REVOKED"), "{listed}");
    let (ok, _, said) = board(&db, &["revoke-token", "clb_000000000000"]).await;
    assert!(!ok);
    assert!(
        said.contains("no board token has this prefix or id: clb_000000000000"),
        "{said}"
    );

    // Deleted: the user's session ends, and they cannot sign in again.
    let (ok, _, said) = board(&db, &["delete-user", "--email", "BOARD@example.com"]).await;
    assert!(ok, "{said}");
    assert!(
        said.contains("Deleted board user BOARD@example.com"),
        "{said}"
    );
    assert_eq!(get(None, Some(&cookie)).await, StatusCode::UNAUTHORIZED);
    let r = super::world::sign_in_reply(&app, &board_user.email, &board_user.password, &[]).await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/signin?error=invalid&next=/companies"
    );
    let (ok, _, said) = board(&db, &["delete-user", "--email", "board@example.com"]).await;
    assert!(!ok);
    assert!(said.contains("no board user has this email"), "{said}");

    // Revoking the last credential warns what the next start will do.
    let (ok, _, said) = board(&db, &["revoke-token", &board_user.token[..16]]).await;
    assert!(ok);
    assert!(said.contains("No board user or token is left"), "{said}");
    assert_eq!(
        get(Some(&board_user.token), None).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, listed, _) = board(&db, &["list"]).await;
    assert!(
        listed.starts_with("Board users: 0\nBoard tokens: 2\n"),
        "{listed}"
    );
}
