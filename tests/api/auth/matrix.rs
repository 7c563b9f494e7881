//! Every route, page and server function against every kind of caller: the exact status,
//! the exact refusal, and nothing changed by a refused call.

use std::collections::BTreeSet;

use reqwest::header;
use serde_json::{Value, json};

use super::world::*;

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

#[tokio::test]
async fn every_route_against_every_caller() {
    let w = World::new().await;
    let (a, b, a1, a2, pa) = (&w.a, &w.b, &w.a1, &w.a2, &w.pa);
    let unknown = "01900000-0000-7000-8000-000000000000";
    let event = |agent: &str| {
        Some(
            json!({"agentId": agent, "provider": "anthropic", "model": "claude-sonnet-4",
                    "inputTokens": 10, "outputTokens": 5, "costCents": 1}),
        )
    };
    // Columns: none, bad key, revoked key, same-company key, other-company key, board
    // token, board session.
    const BOARD_ONLY_READ: [u16; 7] = [401, 401, 401, 403, 403, 200, 200];
    const BOARD_ONLY_CREATE: [u16; 7] = [401, 401, 401, 403, 403, 201, 201];
    const REPORT: [u16; 7] = [401, 401, 401, 200, 403, 200, 200];
    const NOT_FOUND_FOR_BOARD: [u16; 7] = [401, 401, 401, 403, 403, 404, 404];
    const PAGE: [u16; 7] = [303, 401, 401, 303, 303, 200, 200];
    const PUBLIC: [u16; 7] = [200, 401, 401, 200, 200, 200, 200];
    let hold = |agent: &str| Some(json!({"agentId": agent, "amountCents": 1}));
    let hold_path = format!("/api/companies/{a}/budget-holds");
    let a1_hold = w
        .ok(Cred::BoardToken, "POST", &hold_path, hold(a1).unwrap())
        .await;
    let a2_hold = w
        .ok(Cred::BoardToken, "POST", &hold_path, hold(a2).unwrap())
        .await;
    let a1_request = w
        .ok(
            Cred::BoardToken,
            "POST",
            &format!("/api/agents/{a1}/budget-requests"),
            json!({"amountCents": 100, "reason": "a long run"}),
        )
        .await;
    let ask = || Some(json!({"amountCents": 100, "reason": "more"}));
    let mut rows = vec![
        // Incidents and override requests: the board decides; a key asks for its own agent
        // and reads its own requests back.
        row(
            "GET",
            format!("/api/companies/{a}/incidents"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/budget-requests"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/activity"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/incidents/{unknown}/resolve"),
            Some(json!({"action": "dismiss"})),
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "POST",
            format!("/api/agents/{a1}/budget-requests"),
            ask(),
            [401, 401, 401, 409, 403, 409, 409],
        ),
        row(
            "POST",
            format!("/api/agents/{a2}/budget-requests"),
            ask(),
            [401, 401, 401, 403, 403, 201, 409],
        ),
        row(
            "GET",
            format!("/api/budget-requests/{a1_request}"),
            None,
            [401, 401, 401, 200, 403, 200, 200],
        ),
        row(
            "GET",
            format!("/api/budget-requests/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "POST",
            format!("/api/budget-requests/{unknown}/approve"),
            Some(json!({"mode": "extend_month"})),
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "POST",
            format!("/api/budget-requests/{a1_request}/deny"),
            Some(json!({})),
            [401, 401, 401, 403, 403, 200, 409],
        ),
        row(
            "POST",
            "/api/companies".into(),
            Some(json!({"name": "Initech"})),
            BOARD_ONLY_CREATE,
        ),
        row("GET", "/api/companies".into(), None, BOARD_ONLY_READ),
        row("GET", format!("/api/companies/{a}"), None, BOARD_ONLY_READ),
        row(
            "GET",
            format!("/api/companies/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "PATCH",
            format!("/api/companies/{a}"),
            Some(json!({"name": "Acme"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/companies/{a}"),
            Some(json!({"status": "active"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/companies/{a}/budgets"),
            Some(json!({"budgetMonthlyCents": 100000})),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/companies/{a}/agents"),
            Some(json!({"name": "new"})),
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/agents"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/companies/{a}/projects"),
            Some(json!({"name": "new"})),
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/projects"),
            None,
            BOARD_ONLY_READ,
        ),
        // Its own costs: yes. Another agent's, in its own company or not: no.
        row(
            "POST",
            format!("/api/companies/{a}/cost-events"),
            event(a1),
            [401, 401, 401, 201, 403, 201, 201],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/cost-events"),
            event(a2),
            [401, 401, 401, 403, 403, 201, 201],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/cost-events"),
            event(unknown),
            [401, 401, 401, 403, 403, 422, 422],
        ),
        row(
            "POST",
            format!("/api/companies/{b}/cost-events"),
            event(a1),
            [401, 401, 401, 403, 403, 422, 422],
        ),
        row(
            "POST",
            format!("/api/companies/{unknown}/cost-events"),
            event(a1),
            [401, 401, 401, 403, 403, 404, 404],
        ),
        row(
            "GET",
            format!("/api/companies/{a}/cost-events"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/cost-events?format=csv"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/summary"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/by-agent"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/by-project"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/by-model"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/daily"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/costs/monthly"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/budget-alerts"),
            None,
            REPORT,
        ),
        // Company B's reports: its own key reads them, company A's does not.
        row(
            "GET",
            format!("/api/companies/{b}/costs/summary"),
            None,
            [401, 401, 401, 403, 200, 200, 200],
        ),
        row(
            "GET",
            format!("/api/companies/{unknown}/costs/summary"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row("GET", format!("/api/agents/{a1}"), None, REPORT),
        row("GET", format!("/api/agents/{a2}"), None, BOARD_ONLY_READ),
        row(
            "GET",
            format!("/api/agents/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "PATCH",
            format!("/api/agents/{a1}"),
            Some(json!({"name": "writer"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/agents/{a1}"),
            Some(json!({"status": "active"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/agents/{a1}/budgets"),
            Some(json!({"budgetMonthlyCents": 0})),
            BOARD_ONLY_READ,
        ),
        row("GET", format!("/api/projects/{pa}"), None, BOARD_ONLY_READ),
        row(
            "PATCH",
            format!("/api/projects/{pa}"),
            Some(json!({"name": "Launch"})),
            BOARD_ONLY_READ,
        ),
        row(
            "PATCH",
            format!("/api/projects/{pa}/budgets"),
            Some(json!({"budgetMonthlyCents": 0})),
            BOARD_ONLY_READ,
        ),
        row(
            "POST",
            format!("/api/agents/{a1}/keys"),
            None,
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/agents/{a1}/keys"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/agents/{unknown}/keys"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "DELETE",
            format!("/api/agents/{a1}/keys/{}", w.doomed_key_id),
            None,
            [401, 401, 401, 403, 403, 204, 204],
        ),
        row(
            "DELETE",
            format!("/api/agents/{a1}/keys/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "GET",
            "/api/no-such-route".into(),
            None,
            [404, 401, 401, 404, 404, 404, 404],
        ),
        row("GET", "/healthz".into(), None, PUBLIC),
        row("GET", "/readyz".into(), None, PUBLIC),
        // The batch route applies the single route's rule to every event.
        row(
            "POST",
            format!("/api/companies/{a}/cost-events/batch"),
            Some(json!({"events": [event(a1)]})),
            [401, 401, 401, 200, 403, 200, 200],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/cost-events/batch"),
            Some(json!({"events": [event(a1), event(a2)]})),
            [401, 401, 401, 403, 403, 200, 200],
        ),
        row(
            "POST",
            format!("/api/companies/{b}/cost-events/batch"),
            Some(json!({"events": []})),
            // Company B's key may post to B (nothing, here); A's may not.
            [401, 401, 401, 403, 200, 200, 200],
        ),
        // Webhooks are the board's.
        row(
            "POST",
            format!("/api/companies/{a}/webhooks"),
            Some(json!({"url": "http://127.0.0.1:9/new", "events": ["alert.soft"]})),
            BOARD_ONLY_CREATE,
        ),
        row(
            "GET",
            format!("/api/companies/{a}/webhooks"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/companies/{unknown}/webhooks"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "PATCH",
            format!("/api/webhooks/{}", w.hook),
            Some(json!({"enabled": true})),
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/webhooks/{}/deliveries", w.hook),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/webhooks/{unknown}/deliveries"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "POST",
            format!("/api/webhooks/{}/test", w.hook),
            Some(json!({})),
            [401, 401, 401, 403, 403, 202, 202],
        ),
        row(
            "DELETE",
            format!("/api/webhooks/{}", w.doomed_hook),
            None,
            [401, 401, 401, 403, 403, 204, 404],
        ),
        // Budget status and holds: an agent key asks and holds for its own agent only.
        row(
            "GET",
            format!("/api/agents/{a1}/budget-status"),
            None,
            REPORT,
        ),
        row(
            "GET",
            format!("/api/agents/{a2}/budget-status"),
            None,
            BOARD_ONLY_READ,
        ),
        row(
            "GET",
            format!("/api/agents/{unknown}/budget-status"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        row(
            "POST",
            hold_path.clone(),
            hold(a1),
            [401, 401, 401, 201, 403, 201, 201],
        ),
        row(
            "POST",
            hold_path.clone(),
            hold(a2),
            [401, 401, 401, 403, 403, 201, 201],
        ),
        row(
            "POST",
            format!("/api/companies/{b}/budget-holds"),
            hold(a1),
            [401, 401, 401, 403, 403, 422, 422],
        ),
        row("GET", hold_path.clone(), None, REPORT),
        row(
            "DELETE",
            format!("/api/budget-holds/{a1_hold}"),
            None,
            [401, 401, 401, 200, 403, 200, 200],
        ),
        row(
            "DELETE",
            format!("/api/budget-holds/{a2_hold}"),
            None,
            [401, 401, 401, 403, 403, 200, 200],
        ),
        row(
            "DELETE",
            format!("/api/budget-holds/{unknown}"),
            None,
            NOT_FOUND_FOR_BOARD,
        ),
        // The price book and repricing are the board's.
        row("GET", "/api/model-prices".into(), None, BOARD_ONLY_READ),
        row(
            "PUT",
            "/api/model-prices".into(),
            Some(
                json!({"provider": "acme", "model": "m-*", "effectiveFrom": "2026-01-01",
                "inputMicroCentsPerMTok": 1, "outputMicroCentsPerMTok": 1}),
            ),
            [401, 401, 401, 403, 403, 201, 200],
        ),
        row(
            "POST",
            format!("/api/companies/{a}/reprice?apply=true"),
            Some(json!({})),
            BOARD_ONLY_READ,
        ),
        // An empty price map: nothing to import, a dry run.
        row(
            "POST",
            "/api/model-prices/import".into(),
            Some(json!({})),
            BOARD_ONLY_READ,
        ),
    ];
    // The dashboard: every page sends whoever is not the board to sign-in.
    for page in DASHBOARD_PAGES {
        let path = page
            .replace("{a1}", a1)
            .replace("{pa}", pa)
            .replace("{a}", a);
        rows.push(row("GET", path, None, PAGE));
    }
    rows.push(row("GET", "/signin".into(), None, PUBLIC));
    // Every server function, posted as the hydrated app posts it: they ask the same policy
    // as the REST API.
    for (endpoint, form, expect) in [
        ("viewer", String::new(), PUBLIC),
        ("directory", String::new(), BOARD_ONLY_READ),
        ("companies", String::new(), BOARD_ONLY_READ),
        ("company", format!("company_id={a}"), BOARD_ONLY_READ),
        (
            "company",
            format!("company_id={unknown}"),
            NOT_FOUND_FOR_BOARD,
        ),
        ("overview", format!("company_id={a}"), BOARD_ONLY_READ),
        ("agent_rows", format!("company_id={a}"), REPORT),
        ("project_rows", format!("company_id={a}"), REPORT),
        ("alerts", format!("company_id={a}"), REPORT),
        (
            "monthly",
            format!("company_id={a}&group_by=project"),
            REPORT,
        ),
        ("events", format!("company_id={a}"), REPORT),
        (
            "events",
            format!("company_id={b}"),
            [401, 401, 401, 403, 200, 200, 200],
        ),
        ("filter_options", format!("company_id={a}"), BOARD_ONLY_READ),
        ("attention", format!("company_id={a}"), BOARD_ONLY_READ),
        ("activity", format!("company_id={a}"), BOARD_ONLY_READ),
        (
            "resolve_incident",
            format!("id={unknown}&action=dismiss&amount=&note="),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "approve_request",
            format!("id={unknown}&mode=extend_month&amount=&note="),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "deny_request",
            format!("id={unknown}&note="),
            NOT_FOUND_FOR_BOARD,
        ),
        ("prices", String::new(), BOARD_ONLY_READ),
        ("unpriced_models", String::new(), BOARD_ONLY_READ),
        ("price_import", format!("id={unknown}"), NOT_FOUND_FOR_BOARD),
        (
            "apply_price_import",
            format!("draft_id={unknown}"),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "set_budget",
            format!("scope=agent&id={a1}&budget=0"),
            BOARD_ONLY_READ,
        ),
        (
            "set_budget",
            format!("scope=company&id={a}&budget=1000"),
            BOARD_ONLY_READ,
        ),
        (
            "set_max_hourly",
            format!("scope=agent&id={a1}&max_hourly="),
            BOARD_ONLY_READ,
        ),
        (
            "set_status",
            format!("scope=project&id={pa}&status=active"),
            BOARD_ONLY_READ,
        ),
        (
            "set_status",
            format!("scope=agent&id={a2}&status=active"),
            BOARD_ONLY_READ,
        ),
        (
            "update_company",
            format!("id={a}&name=Acme&budget=1000"),
            BOARD_ONLY_READ,
        ),
        (
            "create_company",
            "name=Initech&budget=100".into(),
            BOARD_ONLY_READ,
        ),
        (
            "create_member",
            format!("company_id={a}&scope=project&name=new&budget="),
            BOARD_ONLY_READ,
        ),
        (
            "create_member",
            format!("company_id={unknown}&scope=agent&name=new&budget="),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "rename",
            format!("scope=agent&id={a1}&name=writer"),
            BOARD_ONLY_READ,
        ),
        (
            "terminate_agent",
            format!("id={unknown}"),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "member_month",
            format!("company_id={a}&scope=agent&id={a1}"),
            BOARD_ONLY_READ,
        ),
        (
            "member_month",
            format!("company_id={b}&scope=project&id={pa}"),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "member_monthly",
            format!("company_id={a}&scope=agent&id={a1}"),
            BOARD_ONLY_READ,
        ),
        (
            "member_monthly",
            format!("company_id={b}&scope=project&id={pa}"),
            NOT_FOUND_FOR_BOARD,
        ),
        ("agent_keys", format!("agent_id={a1}"), BOARD_ONLY_READ),
        (
            "create_agent_key",
            format!("agent_id={a2}"),
            BOARD_ONLY_READ,
        ),
        (
            "revoke_agent_key",
            format!("agent_id={a1}&key_id={unknown}"),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "reprice_dry_run",
            format!("company_id={a}"),
            BOARD_ONLY_READ,
        ),
        (
            "reprice_apply",
            format!("company_id={a}&month="),
            BOARD_ONLY_READ,
        ),
        ("webhooks", format!("company_id={a}"), BOARD_ONLY_READ),
        (
            "add_webhook",
            format!(
                "company_id={a}&url=http%3A%2F%2F127.0.0.1%3A9%2Fdash&format=json\
                 &events%5B0%5D=alert.soft"
            ),
            BOARD_ONLY_READ,
        ),
        (
            "enable_webhook",
            format!("id={}&enabled=true", w.hook),
            BOARD_ONLY_READ,
        ),
        ("test_webhook", format!("id={}", w.hook), BOARD_ONLY_READ),
        (
            "webhook_deliveries",
            format!("id={}", w.hook),
            BOARD_ONLY_READ,
        ),
        (
            "delete_webhook",
            format!("id={unknown}"),
            NOT_FOUND_FOR_BOARD,
        ),
        (
            "put_price",
            "provider=acme&model=m-%2A&effective_from=2026-01-01&input=1&cached_input=\
             &cache_write=&output=1"
                .into(),
            BOARD_ONLY_READ,
        ),
    ] {
        rows.push(row(
            "POST",
            format!("/rpc/{endpoint}"),
            Some(json!(form)),
            expect,
        ));
    }
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
