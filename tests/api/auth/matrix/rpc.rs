//! The matrix's rows of server functions, posted as the hydrated app posts them: they ask
//! the same policy as the REST API.

use serde_json::json;

use super::*;

pub(super) fn rows(w: &World, ids: &Ids) -> Vec<Row> {
    let (a, b, a1, a2, pa) = (&ids.a, &ids.b, &ids.a1, &ids.a2, &ids.pa);
    let unknown = UNKNOWN;
    [
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
    ]
    .into_iter()
    .map(|(endpoint, form, expect)| {
        row(
            "POST",
            format!("/rpc/{endpoint}"),
            Some(json!(form)),
            expect,
        )
    })
    .collect()
}
