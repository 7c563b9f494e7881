//! Every route, page and server function against every kind of caller: the exact status,
//! the exact refusal, and nothing changed by a refused call.

use std::collections::BTreeSet;

use reqwest::header;
use serde_json::{Value, json};

use super::world::*;

mod board;
mod costs;
mod rpc;

/// Every page of the dashboard (`src/app/mod.rs`), `{a}` standing for a company, `{a1}`
/// for one of its agents and `{pa}` for one of its projects.
pub const DASHBOARD_PAGES: [&str; 13] = [
    "/",
    "/prices",
    "/companies/{a}",
    "/companies/{a}/agents",
    "/companies/{a}/projects",
    "/companies/{a}/agents/{a1}",
    "/companies/{a}/projects/{pa}",
    "/companies/{a}/alerts",
    "/companies/{a}/events",
    "/companies/{a}/settings",
    "/companies/{a}/notifications",
    "/companies/{a}/activity",
    "/companies/{a}/reprice",
];

/// The endpoints of every `#[server]` function, read from the files of `src/api/`
/// themselves, so a new one cannot be left out of the table.
fn server_function_endpoints() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut endpoints = BTreeSet::new();
    let mut attributes = 0;
    for file in std::fs::read_dir(dir).expect("src/api") {
        let api = std::fs::read_to_string(file.expect("a file of src/api").path()).unwrap();
        attributes += api.matches("#[server(").count();
        endpoints.extend(
            api.split("#[server(")
                .skip(1)
                .filter_map(|attr| attr.split("endpoint = \"").nth(1)?.split('"').next())
                .map(str::to_owned),
        );
    }
    assert_eq!(endpoints.len(), attributes, "endpoints are unique");
    assert!(attributes > 10, "found the server functions");
    endpoints
}

/// One route of the table: the request, and the exact status for each caller in
/// [`CREDS`] order: none, bad key, revoked key, same-company key, other-company key, board
/// token, board session.
struct Row {
    method: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 7],
}

fn row(method: &'static str, path: String, body: Option<Value>, expect: [u16; 7]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

/// The statuses of a row for each caller in [`CREDS`] order: none, bad key, revoked key,
/// same-company key, other-company key, board token, board session.
const BOARD_ONLY_READ: [u16; 7] = [401, 401, 401, 403, 403, 200, 200];
const BOARD_ONLY_CREATE: [u16; 7] = [401, 401, 401, 403, 403, 201, 201];
const REPORT: [u16; 7] = [401, 401, 401, 200, 403, 200, 200];
const NOT_FOUND_FOR_BOARD: [u16; 7] = [401, 401, 401, 403, 403, 404, 404];
const PAGE: [u16; 7] = [303, 401, 401, 303, 303, 200, 200];
const PUBLIC: [u16; 7] = [200, 401, 401, 200, 200, 200, 200];

/// An id no row names.
const UNKNOWN: &str = "01900000-0000-7000-8000-000000000000";

/// What the rows name, made once: the world's ids, and a hold and a budget request to act on.
struct Ids {
    a: String,
    b: String,
    a1: String,
    a2: String,
    pa: String,
    a1_hold: String,
    a2_hold: String,
    a1_request: String,
}

impl Ids {
    async fn new(w: &World) -> Self {
        let hold_path = format!("/api/companies/{}/budget-holds", w.a);
        let a1_hold = w
            .ok(Cred::BoardToken, "POST", &hold_path, hold(&w.a1).unwrap())
            .await;
        let a2_hold = w
            .ok(Cred::BoardToken, "POST", &hold_path, hold(&w.a2).unwrap())
            .await;
        let a1_request = w
            .ok(
                Cred::BoardToken,
                "POST",
                &format!("/api/agents/{}/budget-requests", w.a1),
                json!({"amountCents": 100, "reason": "a long run"}),
            )
            .await;
        Self {
            a: w.a.clone(),
            b: w.b.clone(),
            a1: w.a1.clone(),
            a2: w.a2.clone(),
            pa: w.pa.clone(),
            a1_hold,
            a2_hold,
            a1_request,
        }
    }
}

fn event(agent: &str) -> Option<Value> {
    Some(
        json!({"agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
                "inputTokens": 10, "outputTokens": 5, "costCents": 1}),
    )
}

fn hold(agent: &str) -> Option<Value> {
    Some(json!({"agentId": agent, "amountCents": 1}))
}

fn ask() -> Option<Value> {
    Some(json!({"amountCents": 100, "reason": "more"}))
}

#[tokio::test]
async fn every_route_against_every_caller() {
    let w = World::new().await;
    let ids = Ids::new(&w).await;
    let mut rows = costs::rows(&ids);
    rows.extend(board::rows(&w, &ids));
    let (a, a1, pa) = (&ids.a, &ids.a1, &ids.pa);
    // The dashboard: every page sends whoever is not the board to sign-in.
    for page in DASHBOARD_PAGES {
        let path = page
            .replace("{a1}", a1)
            .replace("{pa}", pa)
            .replace("{a}", a);
        rows.push(row("GET", path, None, PAGE));
    }
    rows.push(row("GET", "/signin".into(), None, PUBLIC));
    rows.extend(rpc::rows(&w, &ids));
    let covered: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| r.path.strip_prefix("/rpc/").map(str::to_owned))
        .collect();
    assert_eq!(
        covered,
        server_function_endpoints(),
        "every server function has a row"
    );

    let mut failures = Vec::new();
    for row in &rows {
        for (i, cred) in CREDS.iter().enumerate() {
            let expected = row.expect[i];
            let write = row.method != "GET";
            let before = if write && expected >= 400 {
                Some(w.snapshot().await)
            } else {
                None
            };
            let r = w.send(*cred, row.method, &row.path, row.body.clone()).await;
            let what = format!("{} {} as {cred:?}", row.method, row.path);
            if r.status.as_u16() != expected {
                failures.push(format!(
                    "{what}: expected {expected}, got {} {}",
                    r.status, r.text
                ));
                continue;
            }
            match expected {
                401 => {
                    let challenge = r
                        .headers
                        .get(header::WWW_AUTHENTICATE)
                        .map(|v| v.to_str().unwrap());
                    assert!(
                        challenge.is_some_and(|c| c.starts_with("Bearer")),
                        "{what}: {challenge:?}"
                    );
                    // REST errors say `error`; server functions' (ApiError) say `message`.
                    let message = r.body["error"]
                        .as_str()
                        .or_else(|| r.body["message"].as_str());
                    assert!(
                        message.is_some_and(|e| e.starts_with("authentication required")
                            || e.starts_with("the credential is not valid")),
                        "{what}: {}",
                        r.text
                    );
                }
                403 => {
                    let own_costs = row.path.contains("/cost-events")
                        && matches!(cred, Cred::SameCompanyKey | Cred::OtherCompanyKey)
                        && r.body["error"] == OWN_COSTS;
                    let message = r.body["error"]
                        .as_str()
                        .or_else(|| r.body["message"].as_str());
                    assert!(
                        own_costs || message == Some(FORBIDDEN),
                        "{what}: {}",
                        r.text
                    );
                }
                303 => {
                    let to = r.headers[header::LOCATION].to_str().unwrap();
                    assert!(to.starts_with("/signin?next=/"), "{what}: {to}");
                }
                _ => {}
            }
            if let Some(before) = before {
                let after = w.snapshot().await;
                let changed: Vec<&String> = after
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(path, body)| before.get(path.as_str()) != Some(*body))
                    .map(|(path, _)| path)
                    .collect();
                assert!(
                    changed.is_empty(),
                    "{what} was refused but changed {changed:?}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
