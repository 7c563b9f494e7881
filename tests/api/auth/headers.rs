//! What every answer carries: security headers on pages, `no-store` on the API, and a
//! request id on everything.

use reqwest::{StatusCode, header};

use super::world::client;
use crate::helpers::{TestApp, spawn_app};

async fn get(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut req = client().get(format!("{}{path}", app.base));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    TestApp::reply(req.send().await.unwrap()).await
}

/// The `'nonce-...'` of a Content-Security-Policy.
fn nonce_of(csp: &str) -> Option<&str> {
    csp.split("'nonce-").nth(1)?.split('\'').next()
}

#[tokio::test]
async fn pages_get_a_policy_naming_their_own_nonce() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100_000).await;
    let mut nonces = Vec::new();
    for path in [
        "/".to_owned(),
        "/signin".into(),
        format!("/companies/{company}"),
        "/prices".into(),
    ] {
        let page = get(&app, &path, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "'wasm-unsafe-eval'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing from {csp}"
            );
        }
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{csp}");
        // Nothing is evaluated from a string: chart options arrive as JSON.
        assert!(!scripts.contains("'unsafe-eval'"), "{csp}");
        let nonce = nonce_of(csp).unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
        // Every inline script of the page carries it; scripts from files need none.
        let inline = page
            .text
            .split("<script")
            .skip(1)
            .filter(|tag| !tag.split('>').next().unwrap().contains("src="))
            .collect::<Vec<_>>();
        assert!(!inline.is_empty(), "{path}: the hydration script is inline");
        for tag in inline {
            let opening = tag.split('>').next().unwrap();
            assert!(
                opening.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: an inline script without the nonce: <script{opening}>"
            );
        }
        assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(page.headers[header::REFERRER_POLICY], "same-origin");
        nonces.push(nonce.to_owned());
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce for every page");

    // A page that does not exist is HTML too, and gets a policy.
    let missing = get(&app, "/no/such/page", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let csp = missing.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn api_answers_are_never_cached_and_every_answer_has_a_request_id() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100_000).await;
    for path in [
        "/api/companies".to_owned(),
        format!("/api/companies/{company}/cost-events?format=csv"),
        "/api/no-such-route".into(),
        "/healthz".into(),
    ] {
        let r = get(&app, &path, &[]).await;
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{path}");
        assert_eq!(
            r.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
        assert!(
            r.headers.get(header::CONTENT_SECURITY_POLICY).is_none(),
            "{path}: not a page"
        );
        let id = r.headers["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 36, "{path}: a UUID, {id}");
    }
    let page = get(&app, "/", &[]).await;
    assert!(page.headers.contains_key("x-request-id"));
    // A caller's own id is kept, on success and refusal alike.
    for path in ["/api/companies", "/api/companies/%00"] {
        let r = get(&app, path, &[("x-request-id", "adapter-7f3a")]).await;
        assert_eq!(r.headers["x-request-id"], "adapter-7f3a", "{path}");
    }
    // One too long or with other characters is replaced by a fresh UUID: it would be
    // copied into the answer and into every log line of the request.
    let longest = "a".repeat(128);
    let r = get(&app, "/healthz", &[("x-request-id", &longest)]).await;
    assert_eq!(r.headers["x-request-id"], longest.as_str());
    for odd in [
        "a".repeat(129),
        "two words".into(),
        "quote\"d".into(),
        "ünï".into(),
    ] {
        let r = get(&app, "/healthz", &[("x-request-id", &odd)]).await;
        let id = r.headers["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 36, "{odd:?} replaced by a UUID, {id}");
        assert_ne!(id, odd);
    }
    let ids: Vec<String> = futures::future::join_all((0..3).map(|_| get(&app, "/healthz", &[])))
        .await
        .into_iter()
        .map(|r| r.headers["x-request-id"].to_str().unwrap().to_owned())
        .collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
}
