//! What every answer carries, whatever route made it: a request id (kept from the request
//! when it has one, and named in the request's log span), security headers, and a plain
//! JSON 500 instead of a dropped connection when a handler panics. tower-http's layers do
//! the work; this module only chooses them.
//!
//! HTML pages get a Content-Security-Policy. Leptos marks its inline scripts (hydration,
//! resolved resources) with a fresh nonce per render, and [`provide_page_csp`] puts that
//! nonce in the page's policy, so only those scripts run; `'wasm-unsafe-eval'` lets the
//! dashboard's WASM start. Nothing is evaluated from a string (`'unsafe-eval'` is not
//! allowed): the charts' options arrive as JSON and their one function, the money format,
//! is in the page's ECharts script. Inline styles stay allowed: ECharts and a few views set
//! them.
//! Any other HTML (an error page rendered without a nonce) gets the policy without one.

use std::{any::Any, convert::Infallible};

use axum::{
    Router,
    body::Body,
    extract::State,
    http::{HeaderName, HeaderValue, Request, Response, header},
    response::IntoResponse,
    routing::Route,
};
use leptos::prelude::use_context;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::server::{
    auth::middleware::{Gate, authenticate},
    error::AppError,
    meter, rest,
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id a caller may bring.
const REQUEST_ID_MAX: usize = 128;

/// Drops a caller's request id unless it is 1 to [`REQUEST_ID_MAX`] letters, digits or
/// `.`, `_`, `:`, `-`: the id is echoed in the answer and named in every log line of the
/// request, so a long or odd one would be copied into each of them. A dropped id is
/// replaced by a fresh one.
fn drop_odd_request_id<B>(mut req: Request<B>) -> Request<B> {
    let fits = |id: &HeaderValue| {
        (1..=REQUEST_ID_MAX).contains(&id.len())
            && id
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
    };
    if req.headers().get(&REQUEST_ID).is_some_and(|id| !fits(id)) {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

/// The Content-Security-Policy of an HTML page whose inline scripts carry `nonce`.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Called in every Leptos render's context: a page gets the policy naming its own nonce.
/// Server functions render no page and have no nonce; they get nothing here.
pub fn provide_page_csp() {
    let options = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(options)) = (leptos::nonce::use_nonce(), options)
        && let Ok(value) = HeaderValue::from_str(&content_security_policy(Some(&nonce)))
    {
        options.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

fn is_html<B>(response: &Response<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The policy without a nonce, for HTML that did not set its own (an error page).
fn html_csp<B>(response: &Response<B>) -> Option<HeaderValue> {
    is_html(response).then(|| HeaderValue::from_str(&content_security_policy(None)).ok())?
}

/// `Cache-Control: no-store`, unless the route set its own: API answers are per caller and
/// change with every event.
pub fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    )
}

/// Clears the one-time secret cookie ([`crate::api::flash`]) on the answer to the first
/// page load that carried it: the page rendered it, and a reload must not show it again.
pub async fn clear_flash(req: Request<Body>, next: axum::middleware::Next) -> Response<Body> {
    let carried = req.method() == axum::http::Method::GET
        && crate::server::auth::middleware::cookie(req.headers(), crate::api::flash::COOKIE)
            .is_some();
    let mut response = next.run(req).await;
    if carried {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "costline_secret=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            ),
        );
    }
    response
}

/// The application's own checks, in order, as one middleware: counted and timed
/// ([`meter::Track`], also when refused); no control characters in the path or query; who
/// is calling ([`authenticate`]); the API takes JSON bodies only (415). One middleware
/// rather than four: each `from_fn` boxes its future and clones what is inside it on every
/// request.
pub async fn front_door(
    State(gate): State<Gate>,
    mut req: Request<Body>,
    next: axum::middleware::Next,
) -> Response<Body> {
    let track = meter::Track::start(&req);
    let admitted = async {
        rest::refuse_control_characters(req.uri()).map_err(IntoResponse::into_response)?;
        authenticate(&gate, &mut req).await?;
        rest::extract::require_json_writes(&req).map_or(Ok(()), Err)
    }
    .await;
    let response = match admitted {
        Ok(()) => next.run(req).await,
        Err(refused) => refused,
    };
    track.finish(&response);
    response
}

/// A panic in a handler: logged, and answered like any other fault, without its message.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    axum::response::IntoResponse::into_response(AppError::internal(format!(
        "a request handler panicked: {message}"
    )))
}

/// `app` with every answer hardened, traced and given a request id, and `inner` (the
/// application's own middleware) inside that, around each route.
///
/// All of it is one layer. axum boxes a route again for each `layer` call, and a boxed
/// route clones everything inside it on every request: eleven layers added one by one
/// cost an ingest request 113 allocations of its 350 (`benches/mallocs.py`), the largest
/// share of the request threads' time in its profile. Composed, a route is boxed once.
pub fn around<L>(app: Router, inner: L) -> Router
where
    L: Layer<Route> + Clone + Send + Sync + 'static,
    L::Service: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    <L::Service as Service<Request<Body>>>::Future: Send + 'static,
{
    // Outermost first.
    app.layer(
        ServiceBuilder::new()
            .map_request(drop_odd_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                html_csp,
            ))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(&REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
                    })
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(inner),
    )
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use tower::{ServiceExt, layer::util::Identity};

    use super::*;

    async fn call(app: Router, req: Request<Body>) -> (Response<Body>, String) {
        let response = app.oneshot(req).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.expect("body");
        (
            Response::from_parts(parts, Body::empty()),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    #[tokio::test]
    async fn a_panic_is_a_plain_json_500_with_a_request_id() {
        async fn boom() -> &'static str {
            panic!("secret detail of the fault")
        }
        let app = around(Router::new().route("/boom", get(boom)), Identity::new());
        let req = Request::get("/boom").body(Body::empty()).expect("request");
        let (response, body) = call(app, req).await;
        assert_eq!(response.status(), 500);
        assert_eq!(body, r#"{"error":"internal server error"}"#);
        assert!(response.headers().contains_key(&REQUEST_ID));
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
    }

    #[tokio::test]
    async fn request_ids_are_kept_or_made() {
        let app = around(
            Router::new().route("/", get(|| async { "ok" })),
            Identity::new(),
        );
        let req = Request::get("/")
            .header(&REQUEST_ID, "abc-123")
            .body(Body::empty())
            .expect("request");
        let (response, _) = call(app.clone(), req).await;
        assert_eq!(response.headers()[&REQUEST_ID], "abc-123");
        let req = Request::get("/").body(Body::empty()).expect("request");
        let (response, _) = call(app, req).await;
        let made = response.headers()[&REQUEST_ID].to_str().expect("ascii");
        assert_eq!(made.len(), 36, "a UUID: {made}");
    }

    #[test]
    fn the_policy_names_the_nonce_and_forbids_framing() {
        let csp = content_security_policy(Some("n0nce"));
        assert!(csp.contains("script-src 'self' 'nonce-n0nce' 'wasm-unsafe-eval';"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!content_security_policy(None).contains("nonce"));
        let scripts = csp.split(';').find(|d| d.trim().starts_with("script-src"));
        assert!(
            scripts.is_some_and(|d| !d.contains("unsafe-inline") && !d.contains("'unsafe-eval'")),
            "{csp}"
        );
    }
}
