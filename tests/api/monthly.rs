//! The monthly history (`costs/monthly`): spend per month and per agent, project or model
//! from the rollups, every month of the span present, and the member pages' own history.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// At NOW (2026-11-15) the default span is 2025-12..=2026-11.
struct Seeded {
    company: String,
    a: String,
    b: String,
    project: String,
}

async fn seed(app: &TestApp) -> Seeded {
    let company = app.company("Acme", 50_000).await;
    let a = app.agent(&company, "alpha", 3_000).await;
    let b = app.agent(&company, "beta", 0).await;
    let project = app.project(&company, "website", 9_000).await;
    for (agent, cents, at, extra) in [
        (
            &a,
            100,
            "2026-09-10T08:00:00Z",
            json!({"projectId": project}),
        ),
        (&a, 50, "2026-11-02T08:00:00Z", json!({})),
        (
            &b,
            30,
            "2026-11-03T08:00:00Z",
            json!({"model": "gpt-4o", "provider": "openai"}),
        ),
        (&b, 7, "2025-12-01T00:00:00Z", json!({})),
        // Just before the default span: in no default series.
        (&b, 1_000, "2025-11-30T23:59:59.999Z", json!({})),
    ] {
        let mut extra = extra;
        extra["occurredAt"] = json!(at);
        let r = app.cost(&company, agent, cents, extra).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    Seeded {
        company,
        a,
        b,
        project,
    }
}

fn cents(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_i64().unwrap())
        .collect()
}

/// What a history card of the dashboard draws (its server function's answer): the title,
/// the months' labels, each band (name, cents per month) and the budget line in cents.
struct Card {
    title: String,
    labels: Vec<String>,
    bands: Vec<(String, Vec<i64>)>,
    budget: Option<Vec<i64>>,
}

fn card(body: &Value) -> Card {
    let option: Value = serde_json::from_str(body["chart"].as_str().expect("a chart")).unwrap();
    let to_cents = |data: &Value| -> Vec<i64> {
        let dollars = data.as_array().unwrap().iter();
        dollars
            .map(|d| (d.as_f64().unwrap() * 100.0).round() as i64)
            .collect()
    };
    // No series at all when nothing was spent.
    let series = option["series"].as_array().map_or(&[][..], Vec::as_slice);
    let named = |s: &Value| s["name"].as_str().unwrap().to_owned();
    Card {
        title: body["title"].as_str().unwrap().to_owned(),
        labels: serde_json::from_value(option["xAxis"]["data"].clone()).unwrap(),
        bands: series
            .iter()
            .filter(|s| s["type"] == "bar")
            .map(|s| (named(s), to_cents(&s["data"])))
            .collect(),
        budget: series
            .iter()
            .find(|s| s["type"] == "line")
            .map(|s| to_cents(&s["data"])),
    }
}

/// Twelve zeros with `cents` at the given month indexes.
fn months_with(cents: &[(usize, i64)]) -> Vec<i64> {
    let mut all = vec![0; 12];
    for (i, c) in cents {
        all[*i] = *c;
    }
    all
}

/// Each month's series add up to its total.
fn assert_series_sum_to_totals(r: &Value) {
    let totals = cents(&r["totalCents"]);
    for (i, total) in totals.iter().enumerate() {
        let sum: i64 = r["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["costCents"][i].as_i64().unwrap())
            .sum();
        assert_eq!(sum, *total, "month {i}: {r}");
    }
}

#[tokio::test]
async fn the_last_twelve_months_per_agent_with_empty_months_as_zero() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let r = app
        .get(&format!("/api/companies/{}/costs/monthly", s.company))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let months: Vec<&str> = r.body["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(months.len(), 12);
    assert_eq!(
        (months[0], months[9], months[11]),
        ("2025-12", "2026-09", "2026-11")
    );
    let series = r.body["series"].as_array().unwrap();
    assert_eq!(series.len(), 2, "{}", r.text);
    assert_eq!(series[0]["key"], s.a);
    assert_eq!(series[0]["name"], "alpha");
    assert_eq!(
        cents(&series[0]["costCents"]),
        months_with(&[(9, 100), (11, 50)])
    );
    assert_eq!(series[1]["key"], s.b);
    assert_eq!(series[1]["name"], "beta");
    assert_eq!(
        cents(&series[1]["costCents"]),
        months_with(&[(0, 7), (11, 30)])
    );
    assert_eq!(
        cents(&r.body["totalCents"]),
        months_with(&[(0, 7), (9, 100), (11, 80)])
    );
    assert_eq!(cents(&r.body["budgetCents"]), vec![50_000; 12]);
    assert_series_sum_to_totals(&r.body);
}

#[tokio::test]
async fn groups_by_project_with_unassigned_and_by_model() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let by_project = app
        .get(&format!(
            "/api/companies/{}/costs/monthly?groupBy=project",
            s.company
        ))
        .await;
    assert_eq!(by_project.status, StatusCode::OK, "{}", by_project.text);
    assert_eq!(
        by_project.body["series"],
        json!([
            {"key": s.project, "name": "website", "costCents": months_with(&[(9, 100)])},
            {"key": "", "name": "Unassigned", "costCents": months_with(&[(0, 7), (11, 80)])},
        ])
    );
    assert_series_sum_to_totals(&by_project.body);

    let by_model = app
        .get(&format!(
            "/api/companies/{}/costs/monthly?groupBy=model",
            s.company
        ))
        .await;
    assert_eq!(by_model.status, StatusCode::OK, "{}", by_model.text);
    assert_eq!(
        by_model.body["series"],
        json!([
            {
                "key": "anthropic/claude-sonnet-4-20250514",
                "name": "claude-sonnet-4-20250514 (anthropic)",
                "costCents": months_with(&[(0, 7), (9, 100), (11, 50)]),
            },
            {"key": "openai/gpt-4o", "name": "gpt-4o (openai)", "costCents": months_with(&[(11, 30)])},
        ])
    );
    assert_series_sum_to_totals(&by_model.body);
}

#[tokio::test]
async fn a_chosen_span_crosses_years_and_reaches_before_the_default() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let r = app
        .get(&format!(
            "/api/companies/{}/costs/monthly?from=2025-11&to=2026-01",
            s.company
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["months"], json!(["2025-11", "2025-12", "2026-01"]));
    assert_eq!(
        r.body["series"],
        json!([{"key": s.b, "name": "beta", "costCents": [1_000, 7, 0]}])
    );
    assert_eq!(r.body["totalCents"], json!([1_000, 7, 0]));
    // Twenty-four months is the most.
    let most = app
        .get(&format!(
            "/api/companies/{}/costs/monthly?from=2024-12&to=2026-11",
            s.company
        ))
        .await;
    assert_eq!(most.status, StatusCode::OK, "{}", most.text);
    assert_eq!(most.body["months"].as_array().unwrap().len(), 24);
    assert_eq!(
        cents(&most.body["totalCents"]).iter().sum::<i64>(),
        1_187,
        "every event of the span"
    );
}

#[tokio::test]
async fn bad_spans_and_groups_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    for (query, field) in [
        ("from=2024-11&to=2026-11", "from"),
        ("from=2026-05&to=2026-04", "to"),
        ("from=2026-13", "from"),
        ("to=2026-1", "to"),
        ("from=2026-01-01", "from"),
        ("groupBy=day", "groupBy"),
    ] {
        let r = app
            .get(&format!(
                "/api/companies/{}/costs/monthly?{query}",
                s.company
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert_eq!(r.fields(), [field], "{query}: {}", r.text);
    }
    let unknown = app
        .get("/api/companies/01900000-0000-7000-8000-000000000000/costs/monthly")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
}

#[tokio::test]
async fn a_member_page_shows_its_own_twelve_months_against_its_own_budget() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let agent = app
        .rpc(
            "member_monthly",
            &[("company_id", &s.company), ("scope", "agent"), ("id", &s.a)],
        )
        .await;
    assert_eq!(agent.status, StatusCode::OK, "{}", agent.text);
    let agent = card(&agent.body);
    assert_eq!(agent.title, "Spend per month, Dec 2025 – Nov 2026");
    assert_eq!(agent.labels[11], "Nov 26");
    assert_eq!(
        agent.bands,
        [("alpha".to_owned(), months_with(&[(9, 100), (11, 50)]))]
    );
    assert_eq!(agent.budget, Some(vec![3_000; 12]));

    let project = app
        .rpc(
            "member_monthly",
            &[
                ("company_id", &s.company),
                ("scope", "project"),
                ("id", &s.project),
            ],
        )
        .await;
    assert_eq!(project.status, StatusCode::OK, "{}", project.text);
    let project = card(&project.body);
    assert_eq!(
        project.bands,
        [("website".to_owned(), months_with(&[(9, 100)]))]
    );
    assert_eq!(project.budget, Some(vec![9_000; 12]));

    // An agent with no spend: one flat series, not an error.
    let idle = app.agent(&s.company, "idle", 0).await;
    let r = app
        .rpc(
            "member_monthly",
            &[
                ("company_id", &s.company),
                ("scope", "agent"),
                ("id", &idle),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let idle = card(&r.body);
    assert_eq!(idle.labels.len(), 12);
    assert!(idle.bands.is_empty(), "{:?}", idle.bands);
    assert_eq!(idle.budget, None);

    // Another company's agent is not found through this company.
    let other = app.company("Other", 0).await;
    let r = app
        .rpc(
            "member_monthly",
            &[("company_id", &other), ("scope", "agent"), ("id", &s.b)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn the_dashboards_histories_take_the_months_of_the_range_shown() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let span = [("from", "2026-09"), ("to", "2026-10")];
    let member = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        let mut args = vec![
            ("company_id", s.company.as_str()),
            ("scope", "agent"),
            ("id", s.a.as_str()),
        ];
        args.extend_from_slice(extra);
        args
    };
    let agent = app.rpc("member_monthly", &member(&span)).await;
    assert_eq!(agent.status, StatusCode::OK, "{}", agent.text);
    let agent = card(&agent.body);
    assert_eq!(agent.title, "Spend per month, Sep 2026 – Oct 2026");
    assert_eq!(agent.labels, ["Sep 26", "Oct 26"]);
    assert_eq!(agent.bands, [("alpha".to_owned(), vec![100, 0])]);
    assert_eq!(agent.budget, Some(vec![3_000; 2]));

    let company = app
        .rpc(
            "monthly",
            &[
                ("company_id", s.company.as_str()),
                ("group_by", "agent"),
                ("from", "2026-09"),
                ("to", "2026-10"),
            ],
        )
        .await;
    assert_eq!(company.status, StatusCode::OK, "{}", company.text);
    let company = card(&company.body);
    assert_eq!(company.labels, ["Sep 26", "Oct 26"]);
    let rest = app
        .get(&format!(
            "/api/companies/{}/costs/monthly?from=2026-09&to=2026-10",
            s.company
        ))
        .await;
    // The card draws the report's figures: a band per series, the budget as a line.
    let series = rest.body["series"].as_array().unwrap();
    let report: Vec<(String, Vec<i64>)> = series
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                cents(&s["costCents"]),
            )
        })
        .collect();
    assert_eq!(company.bands, report);
    assert_eq!(company.budget, Some(cents(&rest.body["budgetCents"])));

    // The report's own rules: a span the API refuses is refused here, naming the field.
    let malformed: &[(&str, &str)] = &[("to", "2026-1")];
    let too_long: &[(&str, &str)] = &[("from", "2024-01"), ("to", "2026-11")];
    for (bad, field) in [(malformed, "to"), (too_long, "from")] {
        let r = app.rpc("member_monthly", &member(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.text);
        assert_eq!(r.fields(), [field], "{bad:?}: {}", r.text);
    }
}

/// Each name's color in a chart option's series (bands) or data items (a donut's slices).
fn colors(option: &str) -> std::collections::BTreeMap<String, String> {
    let option: Value = serde_json::from_str(option).expect("an option");
    let named = |v: &Value| {
        Some((
            v["name"].as_str()?.to_owned(),
            v["itemStyle"]["color"].as_str()?.to_owned(),
        ))
    };
    let series = option["series"].as_array().map_or(&[][..], Vec::as_slice);
    series
        .iter()
        .filter_map(named)
        .chain(
            series
                .iter()
                .filter_map(|s| s["data"].as_array())
                .flatten()
                .filter_map(named),
        )
        .collect()
}

#[tokio::test]
async fn a_project_has_the_same_color_in_the_donut_and_the_history() {
    let app = spawn_app().await;
    let s = seed(&app).await;
    // Projects that never spend still hold their places in the palette: "late" is fourth of
    // the company's projects (after "Unassigned", "website", "idle"), not third of those
    // that spent.
    app.project(&s.company, "idle", 0).await;
    let late = app.project(&s.company, "late", 0).await;
    let r = app
        .cost(&s.company, &s.a, 20, json!({"projectId": late}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let overview = app
        .rpc("overview", &[("company_id", s.company.as_str())])
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    let donut = colors(overview.body["charts"]["projects"].as_str().unwrap());
    let history = app
        .rpc(
            "monthly",
            &[("company_id", s.company.as_str()), ("group_by", "project")],
        )
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    let mut history = colors(card_option(&history.body));
    assert!(history.remove("Budget").is_some(), "the budget line");
    assert_eq!(
        donut.keys().collect::<Vec<_>>(),
        ["Unassigned", "late"],
        "this month's spenders"
    );
    assert_eq!(
        history.keys().collect::<Vec<_>>(),
        ["Unassigned", "late", "website"]
    );
    for (name, color) in &donut {
        assert_eq!(history[name], *color, "{name}");
    }
    assert_ne!(history["late"], history["website"]);
}

fn card_option(body: &Value) -> &str {
    body["chart"].as_str().expect("a chart")
}
