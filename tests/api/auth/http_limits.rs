//! Connections a slow or silent client cannot hold: header and body deadlines, and a bound
//! on connections open at once. Short settings here; the defaults are 10 s, 30 s, 4,096.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

use crate::helpers::{TestApp, spawn_app_with};

/// Far longer than any deadline under test: reaching it means the server held on.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection; `None` if it is still open
/// after [`PATIENCE`].
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match timeout(PATIENCE, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn half_sent_headers_are_cut_off() {
    let app = spawn_app_with(|s| s.header_read_timeout_ms = 300).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..100 {
        let mut stream = connect(&app).await;
        let partial = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: ");
        stream.write_all(partial.as_bytes()).await.unwrap();
        held.push(stream);
    }
    // A client that sends nothing at all is cut off too.
    held.push(connect(&app).await);
    for (i, stream) in held.iter_mut().enumerate() {
        let answer = until_closed(stream).await;
        assert!(answer.is_some(), "connection {i} is still open");
    }
    // Whoever sends a whole request in time is served as usual.
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn a_body_that_stops_coming_is_answered_and_closed() {
    let app = spawn_app_with(|s| s.body_read_timeout_ms = 300).await;
    let company = app.company("Acme", 0).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    // The ingest route has no request timeout (it waits for its commit): the body deadline
    // is all that stops a trickle here.
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /api/companies/{company}/cost-events HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"agentId\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut stream)
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        answer.contains(r#"{"error":"the request body could not be read"}"#),
        "{answer}"
    );
    assert_eq!(app.event_count(&company).await, 0);
}

#[tokio::test]
async fn connections_past_the_limit_wait_for_one_to_close() {
    let app = spawn_app_with(|s| s.max_connections = 2).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    // Two kept-alive connections, each answered once: both slots are taken.
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&app).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 "));
        open.push(stream);
    }
    // A third waits in the listen queue, unanswered...
    let mut third = connect(&app).await;
    third.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    assert!(
        timeout(Duration::from_millis(500), third.read(&mut buf))
            .await
            .is_err(),
        "served past the limit"
    );
    // ...until one of the two closes.
    drop(open.pop());
    let n = timeout(PATIENCE, third.read(&mut buf))
        .await
        .expect("served once a slot was free")
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200 "),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
}
