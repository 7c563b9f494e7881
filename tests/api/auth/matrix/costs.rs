//! The matrix's rows of incidents, budget requests and cost events.

use serde_json::json;

use super::*;

pub(super) fn rows(ids: &Ids) -> Vec<Row> {
    let (a, b, a1, a2) = (&ids.a, &ids.b, &ids.a1, &ids.a2);
    let unknown = UNKNOWN;
    let a1_request = &ids.a1_request;
    vec![
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
    ]
}
