//! Reports: exact sums, the window forms, and rollups that always equal the events.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// Posts a fixed, varied set of events across two months, three agents, two projects and
/// three models; answers what each report must say, computed from the events themselves.
#[tokio::test]
async fn reports_add_up_to_the_events() {
    let app = spawn_app().await;
    let company = app.company("Acme", 10_000).await;
    let agents = [
        app.agent(&company, "alpha", 2_000).await,
        app.agent(&company, "beta", 0).await,
        app.agent(&company, "gamma", 0).await,
    ];
    let projects = [
        app.project(&company, "Launch", 5_000).await,
        app.project(&company, "Ops", 0).await,
    ];
    // Models the price book does not know, so an event without a cost stays unpriced (0).
    let models = [
        ("anthropic", "claude-test"),
        ("openai", "gpt-test"),
        ("google", "gemini-test"),
    ];

    struct Sent {
        agent: usize,
        project: Option<usize>,
        model: usize,
        cents: Option<i64>,
        day: u32,
        month: u32,
        input: i64,
    }
    let mut sent = Vec::new();
    for i in 0..60u32 {
        let s = Sent {
            agent: (i % 3) as usize,
            project: match i % 4 {
                0 => None,
                1 | 2 => Some(0),
                _ => Some(1),
            },
            model: (i % 5 % 3) as usize,
            cents: if i % 11 == 0 {
                None
            } else {
                Some(i64::from(i * 7 % 50))
            },
            day: 1 + i % 14,
            month: if i % 6 == 0 { 10 } else { 11 },
            input: i64::from(i) * 100,
        };
        let mut body = json!({
            "agentId": agents[s.agent],
            "provider": models[s.model].0,
            "model": models[s.model].1,
            "inputTokens": s.input,
            "cachedInputTokens": i64::from(i),
            "outputTokens": 10,
            "occurredAt": format!("2026-{:02}-{:02}T{:02}:30:00Z", s.month, s.day, i % 24),
        });
        if let Some(c) = s.cents {
            body["costCents"] = json!(c);
        }
        if let Some(p) = s.project {
            body["projectId"] = json!(projects[p]);
        }
        let r = app
            .post(&format!("/api/companies/{company}/cost-events"), body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        sent.push(s);
    }
    let nov: Vec<&Sent> = sent.iter().filter(|s| s.month == 11).collect();
    let cost = |xs: &[&Sent]| xs.iter().map(|s| s.cents.unwrap_or(0)).sum::<i64>();

    // Summary: the month from the rollups equals the sum of the events posted.
    let s = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?month=2026-11"
        ))
        .await;
    assert_eq!(s.body["spendCents"], cost(&nov));
    assert_eq!(s.body["eventCount"], nov.len());
    assert_eq!(
        s.body["unpricedEventCount"],
        nov.iter().filter(|s| s.cents.is_none()).count()
    );
    assert_eq!(
        s.body["inputTokens"],
        nov.iter().map(|s| s.input).sum::<i64>()
    );
    assert_eq!(s.body["outputTokens"], 10 * nov.len());
    assert_eq!(s.body["budgetCents"], 10_000);
    assert_eq!(s.body["windowStart"], "2026-11-01T00:00:00Z");
    assert_eq!(s.body["windowEnd"], "2026-12-01T00:00:00Z");
    let default = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(default.body, s.body, "no window means the current month");

    // The same month as a custom window that is not month-aligned sums the events
    // directly: both paths agree.
    let scanned = app
        .get(&format!("/api/companies/{company}/costs/summary?from=2026-10-31T23:00:00Z&to=2026-12-01T00:00:00Z"))
        .await;
    assert_eq!(scanned.body["spendCents"], s.body["spendCents"]);
    assert_eq!(scanned.body["eventCount"], s.body["eventCount"]);
    assert_eq!(scanned.body["inputTokens"], s.body["inputTokens"]);

    // By agent: one row per agent, highest cost first, rows add up to the summary.
    let r = app
        .get(&format!(
            "/api/companies/{company}/costs/by-agent?month=2026-11"
        ))
        .await;
    let rows = r.body.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let mut expected: Vec<(String, i64)> = (0..3)
        .map(|a| {
            (
                agents[a].clone(),
                cost(
                    &nov.iter()
                        .copied()
                        .filter(|s| s.agent == a)
                        .collect::<Vec<_>>(),
                ),
            )
        })
        .collect();
    expected.sort_by_key(|x| std::cmp::Reverse(x.1));
    let got: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["agentId"].as_str().unwrap().to_owned(),
                r["costCents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        rows.iter()
            .map(|r| r["eventCount"].as_i64().unwrap())
            .sum::<i64>(),
        nov.len() as i64
    );
    let alpha = rows.iter().find(|r| r["agentName"] == "alpha").unwrap();
    assert_eq!(alpha["budgetCents"], 2_000);

    // By project: each project plus "Unassigned", adding up to the summary.
    let r = app
        .get(&format!(
            "/api/companies/{company}/costs/by-project?month=2026-11"
        ))
        .await;
    let rows = r.body.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let by_id: HashMap<Option<String>, i64> = rows
        .iter()
        .map(|r| {
            (
                r["projectId"].as_str().map(str::to_owned),
                r["costCents"].as_i64().unwrap(),
            )
        })
        .collect();
    for (p, id) in projects.iter().enumerate() {
        assert_eq!(
            by_id[&Some(id.clone())],
            cost(
                &nov.iter()
                    .copied()
                    .filter(|s| s.project == Some(p))
                    .collect::<Vec<_>>()
            )
        );
    }
    assert_eq!(
        by_id[&None],
        cost(
            &nov.iter()
                .copied()
                .filter(|s| s.project.is_none())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        rows.iter().find(|r| r["projectId"].is_null()).unwrap()["projectName"],
        "Unassigned"
    );
    assert_eq!(by_id.values().sum::<i64>(), cost(&nov));

    // By model.
    let r = app
        .get(&format!(
            "/api/companies/{company}/costs/by-model?month=2026-11"
        ))
        .await;
    let rows = r.body.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (m, (provider, model)) in models.iter().enumerate() {
        let row = rows.iter().find(|r| r["model"] == *model).unwrap();
        assert_eq!(row["provider"], *provider);
        let these: Vec<&Sent> = nov.iter().copied().filter(|s| s.model == m).collect();
        assert_eq!(row["costCents"], cost(&these));
        assert_eq!(row["eventCount"], these.len());
    }

    // Daily: every day of the month, zero days included, adding up to the month.
    let r = app
        .get(&format!(
            "/api/companies/{company}/costs/daily?month=2026-11"
        ))
        .await;
    let days = r.body.as_array().unwrap();
    assert_eq!(days.len(), 30);
    for (i, d) in days.iter().enumerate() {
        let day = (i + 1) as u32;
        assert_eq!(d["date"], format!("2026-11-{day:02}"));
        let these: Vec<&Sent> = nov.iter().copied().filter(|s| s.day == day).collect();
        assert_eq!(d["costCents"], cost(&these), "{}", d["date"]);
    }
    // A custom, day-aligned window: two days.
    let r = app
        .get(&format!(
            "/api/companies/{company}/costs/daily?from=2026-11-02&to=2026-11-04"
        ))
        .await;
    assert_eq!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["2026-11-02", "2026-11-03"]
    );
    let two_days: Vec<&Sent> = nov
        .iter()
        .copied()
        .filter(|s| s.day == 2 || s.day == 3)
        .collect();
    let r2 = app
        .get(&format!(
            "/api/companies/{company}/costs/by-agent?from=2026-11-02&to=2026-11-04"
        ))
        .await;
    assert_eq!(
        r2.body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["costCents"].as_i64().unwrap())
            .sum::<i64>(),
        cost(&two_days)
    );

    // Two months at once.
    let both = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?from=2026-10-01&to=2026-12-01"
        ))
        .await;
    assert_eq!(
        both.body["spendCents"],
        cost(&sent.iter().collect::<Vec<_>>())
    );
    assert_eq!(both.body["eventCount"], sent.len());

    // And the event list agrees with all of it.
    let listed = app
        .get(&format!(
            "/api/companies/{company}/cost-events?limit=1000&from=2026-11-01&to=2026-12-01"
        ))
        .await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), nov.len());
    assert_eq!(
        items
            .iter()
            .map(|e| e["costCents"].as_i64().unwrap())
            .sum::<i64>(),
        cost(&nov)
    );
}

#[tokio::test]
async fn reports_of_an_empty_company() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "idle", 300).await;
    let s = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(
        (
            s.body["spendCents"].as_i64(),
            s.body["utilizationPercent"].as_f64(),
            s.body["status"].as_str()
        ),
        (Some(0), Some(0.0), Some("ok"))
    );
    let r = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await;
    assert_eq!(
        r.body.as_array().unwrap().len(),
        1,
        "zero-spend agents are listed"
    );
    assert_eq!(r.body[0]["agentId"], agent.as_str());
    assert_eq!(r.body[0]["costCents"], 0);
    let r = app
        .get(&format!("/api/companies/{company}/costs/by-project"))
        .await;
    assert_eq!(
        r.body,
        json!([{
            "projectId": null, "projectName": "Unassigned", "projectStatus": null, "pauseReason": null,
            "costCents": 0, "inputTokens": 0, "cachedInputTokens": 0, "outputTokens": 0,
            "eventCount": 0, "unpricedEventCount": 0, "unpricedTokens": 0, "heldCents": 0,
            "budgetCents": 0, "extensionCents": 0, "maxHourlyCents": 0, "utilizationPercent": 0.0,
            "forecast": {"projectedMonthEndCents": 0, "projectedExhaustionDate": null,
                         "dailyRateCents": 0, "method": "last_7_full_days"},
        }])
    );
    assert_eq!(
        app.get(&format!("/api/companies/{company}/costs/by-model"))
            .await
            .body,
        Value::Array(vec![])
    );
    // Every day of this month (November 2026 on the test clock), each at zero.
    let daily = app
        .get(&format!("/api/companies/{company}/costs/daily"))
        .await;
    let expected: Vec<Value> = (1..=30)
        .map(|d| json!({"date": format!("2026-11-{d:02}"), "costCents": 0, "eventCount": 0}))
        .collect();
    assert_eq!(daily.body, Value::Array(expected));
}

/// By-agent on every database: a name with quotes, a comma, parentheses, backslashes and
/// non-ASCII letters comes back as it was given, beside a paused agent (a pause reason) and
/// an active one (none), each with its exact figures.
#[tokio::test]
async fn by_agent_keeps_names_and_figures_exact() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let odd = r#"O'Brien, "the (big) one" \ back\\slash  é"#;
    let odd_id = app.agent(&company, odd, 500).await;
    let plain = app.agent(&company, "plain", 0).await;
    app.cost(&company, &odd_id, 500, json!({})).await; // 100%: paused
    app.cost(&company, &plain, 7, json!({})).await;
    let rows = app
        .get(&format!("/api/companies/{company}/costs/by-agent"))
        .await
        .body;
    let got: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["agentName"].as_str().unwrap().to_owned(),
                r["agentStatus"].clone(),
                r["pauseReason"].clone(),
                r["costCents"].as_i64(),
                r["eventCount"].as_i64(),
                r["budgetCents"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                odd.to_owned(),
                json!("paused"),
                json!("budget"),
                Some(500),
                Some(1),
                Some(500)
            ),
            (
                "plain".to_owned(),
                json!("active"),
                Value::Null,
                Some(7),
                Some(1),
                Some(0)
            ),
        ]
    );
}
