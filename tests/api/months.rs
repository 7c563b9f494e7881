//! Month windows: their edges are UTC, a late event changes its own month only, and the
//! rollover on the 1st resumes what the budget paused, exactly at midnight.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    enforcement::{alert_kinds, status},
    helpers::{at, spawn_app},
};

#[tokio::test]
async fn month_edges_are_utc() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 0).await;
    for (at_, cents) in [
        ("2026-10-31T23:59:59.999Z", 1),        // last millisecond of October
        ("2026-11-01T00:00:00Z", 10),           // first instant of November
        ("2026-11-01T04:59:59.999+05:00", 100), // still October in UTC
        ("2026-10-31T20:00:00-05:00", 1000),    // November 1st, 01:00 UTC
    ] {
        let r = app
            .cost(&company, &agent, cents, json!({"occurredAt": at_}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{at_}: {}", r.text);
    }
    let month = |m: &'static str| {
        let app = &app;
        let company = company.clone();
        async move {
            app.get(&format!("/api/companies/{company}/costs/summary?month={m}"))
                .await
                .body["spendCents"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(month("2026-10").await, 101);
    assert_eq!(month("2026-11").await, 1010);
    let daily = app
        .get(&format!(
            "/api/companies/{company}/costs/daily?month=2026-11"
        ))
        .await;
    assert_eq!(daily.body.as_array().unwrap().len(), 30);
    assert_eq!(
        daily.body[0],
        json!({"date": "2026-11-01", "costCents": 1010, "eventCount": 2})
    );
    let oct = app
        .get(&format!(
            "/api/companies/{company}/costs/daily?month=2026-10"
        ))
        .await;
    assert_eq!(
        oct.body[30],
        json!({"date": "2026-10-31", "costCents": 101, "eventCount": 2})
    );
}

#[tokio::test]
async fn a_late_event_for_a_past_month_changes_that_month_only() {
    let app = spawn_app().await;
    let company = app.company("Acme", 100).await;
    let agent = app.agent(&company, "a", 100).await;
    let r = app
        .cost(
            &company,
            &agent,
            500,
            json!({"occurredAt": "2026-10-20T10:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body["enforcement"]["agentStatus"], "active",
        "last month's spend does not stop today"
    );
    assert_eq!(r.body["enforcement"]["agentUtilizationPercent"], 0.0);
    assert!(app.alerts(&company).await.is_empty());
    let oct = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?month=2026-10"
        ))
        .await;
    assert_eq!(oct.body["spendCents"], 500);
    let nov = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(nov.body["spendCents"], 0);
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["spentMonthlyCents"],
        0
    );
}

#[tokio::test]
async fn a_new_month_resumes_what_the_budget_paused() {
    let app = spawn_app().await;
    let company = app.company("Acme", 1000).await;
    let a = app.agent(&company, "a", 0).await;
    let capped = app.agent(&company, "capped", 100).await;
    let manual = app.agent(&company, "manual", 0).await;
    let project = app.project(&company, "p", 100).await;
    app.patch(
        &format!("/api/agents/{manual}"),
        json!({"status": "paused"}),
    )
    .await;
    app.spend(&company, &capped, 100).await;
    app.cost(&company, &a, 100, json!({"projectId": project}))
        .await;
    app.spend(&company, &a, 800).await;
    for path in [
        format!("/api/companies/{company}"),
        format!("/api/agents/{a}"),
        format!("/api/agents/{capped}"),
        format!("/api/projects/{project}"),
    ] {
        assert_eq!(
            status(&app, &path).await,
            ("paused".into(), json!("budget")),
            "{path}"
        );
    }

    // A minute before midnight UTC the rollover runs and changes nothing.
    app.clock.set(at("2026-11-30T23:59:00Z"));
    assert_eq!(
        app.service.reconcile().await.unwrap(),
        (1, 0),
        "one company looked at, none failed"
    );
    for path in [
        format!("/api/companies/{company}"),
        format!("/api/agents/{a}"),
        format!("/api/agents/{capped}"),
        format!("/api/projects/{project}"),
    ] {
        assert_eq!(
            status(&app, &path).await,
            ("paused".into(), json!("budget")),
            "{path}"
        );
    }

    // Midnight on the 1st: the reconciler resumes everything paused for budget.
    app.clock.set(at("2026-12-01T00:00:00Z"));
    let company_path = format!("/api/companies/{company}");
    app.eventually("the company resumes", || async {
        status(&app, &company_path).await.0 == "active"
    })
    .await;
    for path in [
        format!("/api/agents/{a}"),
        format!("/api/agents/{capped}"),
        format!("/api/projects/{project}"),
    ] {
        assert_eq!(
            status(&app, &path).await,
            ("active".into(), Value::Null),
            "{path}"
        );
    }
    assert_eq!(
        status(&app, &format!("/api/agents/{manual}")).await,
        ("paused".into(), json!("manual"))
    );
    let c = app.get(&company_path).await;
    assert_eq!(c.body["spentMonthlyCents"], 0, "a fresh window");
    // November's alerts stay November's; December starts clean.
    assert!(app.alerts(&company).await.is_empty());
    let nov = app
        .get(&format!(
            "/api/companies/{company}/budget-alerts?month=2026-11"
        ))
        .await;
    let nov = nov.body.as_array().unwrap();
    let scope_of = |id: &str| {
        nov.iter()
            .filter(|x| x["scopeId"] == id)
            .map(|x| x["threshold"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(nov.len(), 6, "{nov:?}");
    for id in [&company, &capped, &project] {
        let mut thresholds = scope_of(id);
        thresholds.sort();
        assert_eq!(thresholds, vec!["hard", "soft"], "{id}");
    }
    // And the budget bites again in the new month.
    let e = app.spend(&company, &capped, 100).await;
    assert_eq!(e["enforcement"]["agentStatus"], "paused");
    let dec = app.alerts(&company).await;
    assert_eq!(
        alert_kinds(&dec),
        vec![
            ("agent".into(), "hard".into()),
            ("agent".into(), "soft".into())
        ]
    );
    assert!(
        dec.iter()
            .all(|x| x["scopeId"] == capped.as_str() && x["windowStart"] == "2026-12-01T00:00:00Z")
    );
}
