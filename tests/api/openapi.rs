//! The OpenAPI document against the routes: every route the code registers is in it, every
//! operation in it is routed, and the reference page is served.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::spawn_app;

/// Routes outside `/api` that are not part of the JSON API: the dashboard's upload form, the
/// health checks and the Prometheus scrape.
const NOT_API: &[&str] = &["/prices/import", "/healthz", "/readyz", "/metrics"];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(*method).is_some() {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

/// Every `.route("<path>", ...)` in the REST module: a route registered that way has no
/// annotation behind it (annotated routes come from `routes!`, the path in the annotation).
fn plain_routes() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/server/rest");
    let mut found = Vec::new();
    let mut files = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let literal = rest.trim_start();
            if let Some(literal) = literal.strip_prefix('"') {
                let end = literal.find('"').unwrap();
                found.push((path.display().to_string(), literal[..end].to_owned()));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_lists_every_route_the_code_registers() {
    let app = spawn_app().await;
    let reply = app.get("/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = operations(&doc);
    let paths: BTreeSet<&str> = ops.iter().map(|(_, p)| p.as_str()).collect();
    let undocumented: Vec<String> = plain_routes()
        .into_iter()
        .filter(|(_, route)| !NOT_API.contains(&route.as_str()))
        .filter(|(_, route)| {
            !paths.contains(route.as_str()) && !paths.contains(format!("/api{route}").as_str())
        })
        .map(|(file, route)| format!("{route} (in {file})"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes without an OpenAPI annotation (register them with routes!(handler) and \
         #[utoipa::path] on the handler): {undocumented:?}"
    );
    // What the API had when the document came: it may only grow.
    assert_eq!(ops.len(), 52, "{ops:#?}");
    for op in [
        ("POST", "/api/companies/{company_id}/cost-events"),
        ("GET", "/api/companies/{company_id}/cost-events"),
        ("POST", "/api/companies/{company_id}/cost-events/batch"),
        ("DELETE", "/api/agents/{agent_id}/keys/{key_id}"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/companies/{company_id}/costs/monthly"),
    ] {
        assert!(ops.contains(&(op.0.into(), op.1.into())), "{op:?} missing");
    }
    // Every operation answers with the error shape on the statuses any route may give.
    let create = &doc["paths"]["/api/companies"]["post"]["responses"];
    assert_eq!(
        create["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ScopeView"
    );
    assert_eq!(
        create["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorAnswer"
    );
}

/// The other direction: every operation the document lists is routed (a made-up id gets the
/// handler's own answer, never the API's "no such route" or a 405).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json").await.body;
    for (method, path) in operations(&doc) {
        let concrete = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "0190a6e0-0000-7000-8000-000000000000"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body =
            (method != Method::GET && method != Method::DELETE).then(|| serde_json::json!({}));
        let reply = app.request(method.clone(), &concrete, body).await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_ne!(
            reply.body["error"], "no such route",
            "{method} {path}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn the_reference_page_is_served_by_the_binary_without_a_cdn() {
    let app = spawn_app().await;
    let reply = app.get("/api/docs").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        reply
            .text
            .contains(r#"<script src="/redoc.standalone.js"></script>"#),
        "{}",
        reply.text
    );
    assert!(reply.text.contains(r#"spec-url="/api/openapi.json""#));
    assert!(
        !reply.text.contains("http"),
        "no outside address: {}",
        reply.text
    );
}
