//! How long browsers keep the dashboard's files. The bundle cargo-leptos builds with
//! `hash-files` (`/pkg/costline.<hash>.{js,wasm,css}`) changes its name whenever its content
//! changes, so it is cached for a year and never asked for again. Everything else the
//! dashboard serves (pages, `/echarts.min.js`, the favicon) is revalidated on every use
//! (`no-cache`): a page is per viewer and per minute, and an unhashed file may change under
//! its name. Answers that chose their own policy keep it. A file may be sent brotli- or
//! gzip-compressed (`make build` writes both beside it), so its answers vary by
//! `Accept-Encoding`.

use std::path::Path;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, Response, StatusCode, header},
    middleware::Next,
};

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Whether this build's bundle has hashed names: cargo-leptos writes the hashes to
/// `hash.txt` beside the server binary it built (leptos reads them from there too).
pub(crate) fn bundle_is_hashed() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|file| file.is_file())
}

/// The `Cache-Control` of a dashboard answer to `path`.
pub(crate) fn policy(method: &Method, path: &str, status: StatusCode, hashed: bool) -> HeaderValue {
    let bundle = path.starts_with("/pkg/") && Path::new(path).extension().is_some();
    if hashed && bundle && method == Method::GET && status == StatusCode::OK {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// Middleware: sets [`policy`] on answers that have no `Cache-Control` of their own.
pub(crate) async fn cache_control(
    State(hashed): State<bool>,
    request: Request,
    next: Next,
) -> Response<Body> {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut response = next.run(request).await;
    let status = response.status();
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            policy(&method, &path, status, hashed),
        );
    }
    if headers.contains_key(header::LAST_MODIFIED) && !headers.contains_key(header::VARY) {
        // Only files have a modification time; pages are never compressed.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hashed_bundle_is_immutable() {
        let get = Method::GET;
        let ok = StatusCode::OK;
        assert_eq!(
            policy(&get, "/pkg/costline.1a2b3c.wasm", ok, true),
            IMMUTABLE
        );
        assert_eq!(
            policy(&get, "/pkg/costline.1a2b3c.css", ok, true),
            IMMUTABLE
        );
        // Without hashes the name stays when the content changes.
        assert_eq!(policy(&get, "/pkg/costline.wasm", ok, false), REVALIDATE);
        assert_eq!(policy(&get, "/echarts.min.js", ok, true), REVALIDATE);
        assert_eq!(policy(&get, "/companies/x", ok, true), REVALIDATE);
        // A miss must not be remembered for a year.
        assert_eq!(
            policy(&get, "/pkg/costline.1a2b3c.js", StatusCode::NOT_FOUND, true),
            REVALIDATE
        );
        assert_eq!(policy(&Method::POST, "/pkg/x.js", ok, true), REVALIDATE);
    }
}
