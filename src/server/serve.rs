//! Serving HTTP/1 connections with limits a slow or silent client cannot outlast:
//!
//! - a header read timeout (hyper's): a connection that has not sent a whole request head
//!   within it, including an idle one between requests, is closed;
//! - a body deadline, counted from the end of the head: a body still incomplete then ends
//!   in an error, so the handler answers 400 instead of waiting for the next byte. (An idle
//!   timeout per chunk would not do: one byte every few seconds would hold it for hours.)
//! - a bound on connections open at once: past it the server stops accepting until one
//!   closes, so clients wait in the listen queue instead of using up file descriptors.
//!
//! `axum::serve` exposes none of these; this is its accept loop with them, keeping
//! graceful shutdown and the peer address (`ConnectInfo<SocketAddr>`).

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::Request,
};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{
    net::TcpListener,
    sync::Semaphore,
    time::{Instant, Sleep},
};
use tower::ServiceBuilder;

use crate::server::config::Settings;

/// How long and how many: see the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            header_read_timeout: settings.header_read_timeout(),
            body_read_timeout: settings.body_read_timeout(),
            max_connections: settings.max_connections.max(1),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets the
/// requests in flight finish and returns once every connection is closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(per_connection(
            router.clone(),
            peer,
            limits.body_read_timeout,
        ));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The router as one connection sees it: each request knows its peer and has a body
/// deadline.
fn per_connection(
    router: Router,
    peer: SocketAddr,
    body_read_timeout: Duration,
) -> impl tower::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send {
    ServiceBuilder::new()
        .map_request(move |req: Request<Incoming>| {
            let deadline = Instant::now() + body_read_timeout;
            let mut req = req.map(|body| Body::new(DeadlineBody::new(body, deadline)));
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        })
        .service(router)
}

/// Errors of `accept` that concern one connection are skipped; others (too many open
/// files) get a pause first, as `axum::serve` does, rather than a busy loop.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "could not accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A request body that fails once its deadline has passed. The timer is only set if the
/// body is not all there at the first read, which is the common case for small bodies.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

impl DeadlineBody {
    fn new(inner: Incoming, deadline: Instant) -> Self {
        Self {
            inner,
            deadline,
            timer: None,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
