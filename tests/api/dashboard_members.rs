//! An agent's and a project's own dashboard pages: the same numbers as the API's, a
//! member of another company is a 404, and an agent's keys made and revoked from the page.
//! The Events page's provider and model filters.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{NOW, TestApp, spawn_app, spawn_authenticated_app};

async fn month_of(app: &TestApp, company: &str, scope: &str, id: &str) -> Value {
    let r = app
        .rpc(
            "member_month",
            &[("company_id", company), ("scope", scope), ("id", id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn sum_daily(month: &Value) -> i64 {
    month["month"]["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["costCents"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn an_agents_and_a_projects_month_are_the_apis_numbers() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let writer = app.agent(&company, "writer", 1000).await;
    let reviewer = app.agent(&company, "reviewer", 0).await;
    let launch = app.project(&company, "Launch", 5000).await;
    let other = app.company("Globex", 0).await;
    let stranger = app.agent(&other, "stranger", 0).await;
    let yesterday = "2026-11-14T09:00:00Z";
    for (agent, cents, extra) in [
        (
            &writer,
            300,
            json!({"projectId": launch, "occurredAt": yesterday}),
        ),
        (
            &writer,
            500,
            json!({"model": "gpt-5", "provider": "openai"}),
        ),
        (&reviewer, 700, json!({"projectId": launch})),
        (&stranger, 900, json!({})),
    ] {
        let co = if agent == &stranger { &other } else { &company };
        let r = app.cost(co, agent, cents, extra).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    let m = month_of(&app, &company, "agent", &writer).await;
    let api = app.get(&format!("/api/agents/{writer}")).await.body;
    assert_eq!(m["member"], api, "the member as the API shows it");
    let s = &m["month"]["summary"];
    assert_eq!(s["spendCents"], 800);
    assert_eq!(s["spendCents"], api["spentMonthlyCents"]);
    assert_eq!(s["budgetCents"], 1000);
    assert_eq!(s["utilizationPercent"], 80.0);
    assert_eq!(s["status"], "warning");
    assert_eq!(s["eventCount"], 2);
    assert_eq!(sum_daily(&m), 800, "the daily spend adds up");
    let daily = m["month"]["daily"].as_array().unwrap();
    assert_eq!(
        daily[13],
        json!({"date": "2026-11-14", "costCents": 300, "eventCount": 1})
    );
    assert_eq!(daily[14]["costCents"], 500);
    assert_eq!(daily.len(), 30);
    assert_eq!(m["month"]["daysElapsed"], 15, "{NOW}");
    let models: Vec<(&str, i64)> = m["month"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["model"].as_str().unwrap(),
                r["costCents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        models,
        vec![("gpt-5", 500), ("claude-sonnet-4-20250514", 300)]
    );
    let projects: Vec<(&str, i64)> = m["month"]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["projectName"].as_str().unwrap(),
                r["costCents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(projects, vec![("Unassigned", 500), ("Launch", 300)]);
    assert_eq!(m["month"]["agents"], json!([]));

    let p = month_of(&app, &company, "project", &launch).await;
    assert_eq!(p["month"]["summary"]["spendCents"], 1000);
    assert_eq!(p["month"]["summary"]["budgetCents"], 5000);
    assert_eq!(p["month"]["summary"]["utilizationPercent"], 20.0);
    assert_eq!(sum_daily(&p), 1000);
    let agents: Vec<(&str, i64)> = p["month"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["agentName"].as_str().unwrap(),
                r["costCents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(agents, vec![("reviewer", 700), ("writer", 300)]);

    // Another company's member, or a company asked for as a member: not found.
    for (company, scope, id) in [
        (&company, "agent", &stranger),
        (&other, "project", &launch),
        (&company, "agent", &launch),
    ] {
        let r = app
            .rpc(
                "member_month",
                &[("company_id", company), ("scope", scope), ("id", id)],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{scope} {id}: {}", r.text);
    }
    let r = app
        .rpc(
            "member_month",
            &[
                ("company_id", &company),
                ("scope", "company"),
                ("id", &company),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

/// Keys are only checked where a board credential exists (local mode trusts the machine):
/// every call here is the board's, by its token, except the agent's own reports.
#[tokio::test]
async fn a_key_made_on_the_agents_page_works_until_revoked_there() {
    let (app, board) = spawn_authenticated_app(|_| {}).await;
    let as_board = |path: &str, form: &[(&str, &str)]| {
        app.client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&board.token)
            .header("accept", "application/json")
            .form(form)
            .send()
    };
    let made = as_board("/rpc/create_company", &[("name", "Acme"), ("budget", "")]);
    let company: String = made.await.unwrap().json().await.unwrap();
    let member = |name: &'static str| {
        let company = company.clone();
        let call = &as_board;
        async move {
            let form = [
                ("company_id", company.as_str()),
                ("scope", "agent"),
                ("name", name),
                ("budget", ""),
            ];
            call("/rpc/create_member", &form)
                .await
                .unwrap()
                .json::<String>()
                .await
                .unwrap()
        }
    };
    let (agent, other) = (member("writer").await, member("reviewer").await);
    let made = TestApp::reply(
        as_board("/rpc/create_agent_key", &[("agent_id", &agent)])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let key = made.body["key"].as_str().unwrap().to_owned();
    let key_id = made.body["id"].as_str().unwrap().to_owned();
    let listed = TestApp::reply(
        as_board("/rpc/agent_keys", &[("agent_id", &agent)])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body[0]["id"], key_id.as_str());
    assert!(key.starts_with(listed.body[0]["prefix"].as_str().unwrap()));
    assert!(!listed.text.contains(&key), "a listing never shows the key");

    let report = || {
        app.client
            .post(format!("{}/api/companies/{company}/cost-events", app.base))
            .bearer_auth(&key)
            .json(
                &json!({"agentId": agent, "provider": "openai", "model": "gpt-5", "costCents": 1}),
            )
            .send()
    };
    assert_eq!(report().await.unwrap().status(), StatusCode::CREATED);
    let revoke = |agent: &str| {
        as_board(
            "/rpc/revoke_agent_key",
            &[("agent_id", agent), ("key_id", &key_id)],
        )
    };
    let r = revoke(&other).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another agent's key");
    assert_eq!(report().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(revoke(&agent).await.unwrap().status(), StatusCode::OK);
    assert_eq!(report().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let listed = TestApp::reply(
        as_board("/rpc/agent_keys", &[("agent_id", &agent)])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.body, json!([]));
}

#[tokio::test]
async fn events_filter_by_provider_and_model() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    for (provider, model, cents) in [
        ("openai", "gpt-5", 1),
        ("openai", "gpt-5-mini", 2),
        ("anthropic", "gpt-5", 3),
    ] {
        app.cost(
            &company,
            &agent,
            cents,
            json!({"provider": provider, "model": model}),
        )
        .await;
    }
    let costs = |body: &Value| -> Vec<i64> {
        let mut c: Vec<i64> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["costCents"].as_i64().unwrap())
            .collect();
        c.sort_unstable();
        c
    };
    let list = format!("/api/companies/{company}/cost-events");
    for (query, expect) in [
        ("?provider=openai", vec![1, 2]),
        ("?model=gpt-5", vec![1, 3]),
        ("?provider=openai&model=gpt-5", vec![1]),
        ("?model=gpt", vec![]),
        ("?provider=", vec![1, 2, 3]),
    ] {
        let r = app.get(&format!("{list}{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(costs(&r.body), expect, "{query}");
    }
    let r = app
        .rpc(
            "events",
            &[
                ("company_id", &company),
                ("provider", "anthropic"),
                ("model", "gpt-5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(costs(&r.body), vec![3]);
}

#[tokio::test]
async fn a_members_page_follows_a_from_to_range_to_the_millisecond() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let writer = app.agent(&company, "writer", 0).await;
    let launch = app.project(&company, "Launch", 0).await;
    let events = [
        ("2026-11-01T23:59:59.999Z", 1_000), // just before
        ("2026-11-02T00:00:00Z", 100),       // first instant in
        ("2026-11-05T12:00:00Z", 10),
        ("2026-11-08T23:59:59.999Z", 1),  // last instant in
        ("2026-11-09T00:00:00Z", 10_000), // just after
    ];
    crate::dashboard_range::spend_at(&app, &company, &writer, &launch, &events).await;
    for (scope, id) in [("agent", &writer), ("project", &launch)] {
        let r = app
            .rpc(
                "member_month",
                &[
                    ("company_id", company.as_str()),
                    ("scope", scope),
                    ("id", id.as_str()),
                    ("from", "2026-11-02"),
                    ("to", "2026-11-09"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{scope}: {}", r.text);
        assert_eq!(r.body["month"]["summary"]["spendCents"], 111, "{scope}");
        assert_eq!(sum_daily(&r.body), 111, "{scope}");
        assert_eq!(r.body["month"]["daily"].as_array().unwrap().len(), 7);
        assert_eq!(r.body["month"]["models"][0]["costCents"], 111, "{scope}");
    }
    let reversed = app
        .rpc(
            "member_month",
            &[
                ("company_id", company.as_str()),
                ("scope", "agent"),
                ("id", writer.as_str()),
                ("from", "2026-11-09"),
                ("to", "2026-11-02"),
            ],
        )
        .await;
    assert_eq!(
        reversed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        reversed.text
    );
}
