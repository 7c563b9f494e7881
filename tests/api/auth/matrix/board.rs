//! The matrix's rows of reports, the batch route, webhooks, budget status and holds, and
//! the price book.

use serde_json::json;

use super::*;

pub(super) fn rows(w: &World, ids: &Ids) -> Vec<Row> {
    let (a, b, a1, a2, pa) = (&ids.a, &ids.b, &ids.a1, &ids.a2, &ids.pa);
    let unknown = UNKNOWN;
    let (a1_hold, a2_hold) = (&ids.a1_hold, &ids.a2_hold);
    let hold_path = format!("/api/companies/{a}/budget-holds");
    vec![
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
    ]
}
