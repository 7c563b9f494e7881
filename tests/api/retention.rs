//! Retention (`COSTLINE_RETENTION_MONTHS`): raw events of months past it are removed, and
//! every whole-month and daily report of those months answers exactly as before.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, at, spawn_app_with};

/// Every report of a whole month that the dashboard and the API offer.
pub(crate) async fn month_reports(app: &TestApp, company: &str, month: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for report in ["summary", "by-agent", "by-project", "by-model", "daily"] {
        let r = app
            .get(&format!(
                "/api/companies/{company}/costs/{report}?month={month}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{report}: {}", r.text);
        all.push(r.body);
    }
    for group in ["agent", "project", "model"] {
        let r = app
            .get(&format!(
                "/api/companies/{company}/costs/monthly?from={month}&to={month}&groupBy={group}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "monthly by {group}: {}", r.text);
        all.push(r.body);
    }
    let overview = app
        .get(&format!(
            "/api/companies/{company}/costs/by-agent?from=2026-09-01&to=2026-11-01"
        ))
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    all.push(overview.body);
    all
}

pub(crate) async fn event_ids(app: &TestApp, company: &str, from: &str, to: &str) -> Vec<String> {
    let r = app
        .get(&format!(
            "/api/companies/{company}/cost-events?from={from}&to={to}&limit=1000"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn removing_old_events_leaves_every_report_of_their_months_identical() {
    // Keep this month and the one before: at NOW (2026-11-15), October and November.
    let app = spawn_app_with(|s| {
        s.retention_months = Some(costline::server::config::Retention::new(2).unwrap());
    })
    .await;
    let company = app.company("Acme", 0).await;
    let a = app.agent(&company, "a", 0).await;
    let b = app.agent(&company, "b", 0).await;
    let project = app.project(&company, "p", 0).await;
    let mut sent_october = 0;
    for day in 1..=20 {
        for (agent, cents) in [(&a, day), (&b, 2 * day + 1)] {
            let mut extra =
                json!({"occurredAt": format!("2026-10-{day:02}T{:02}:30:00Z", day % 24)});
            if day % 3 == 0 {
                extra["projectId"] = json!(project);
            }
            if day % 5 == 0 {
                extra["model"] = json!("claude-opus-4-20250514");
            }
            let r = app.cost(&company, agent, cents, extra).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            sent_october += cents;
        }
    }
    let r = app
        .cost(
            &company,
            &a,
            7,
            json!({"occurredAt": "2026-11-02T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let before = month_reports(&app, &company, "2026-10").await;
    assert_eq!(before[0]["spendCents"], sent_october);
    assert_eq!(
        event_ids(&app, &company, "2026-10-01", "2026-11-01")
            .await
            .len(),
        40
    );
    let partial = format!("/api/companies/{company}/costs/by-agent?from=2026-10-05&to=2026-10-10");
    assert_eq!(app.get(&partial).await.status, StatusCode::OK, "still kept");

    // December: October is past the two months kept, and the sweeper removes its events.
    app.clock.set(at("2026-12-03T00:00:00Z"));
    app.eventually("October's events removed", || async {
        event_ids(&app, &company, "2026-10-01", "2026-11-01")
            .await
            .is_empty()
    })
    .await;

    assert_eq!(month_reports(&app, &company, "2026-10").await, before);
    assert_eq!(
        event_ids(&app, &company, "2026-11-01", "2026-12-01")
            .await
            .len(),
        1,
        "November's event is kept"
    );
    // What only single events could answer is refused, not answered wrong.
    let refused = app.get(&partial).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.fields(), ["from"]);
    assert!(refused.text.contains("2026-11"), "{}", refused.text);
    let reprice = app
        .post(
            &format!("/api/companies/{company}/reprice?month=2026-10"),
            json!({}),
        )
        .await;
    assert_eq!(
        reprice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reprice.text
    );
    assert_eq!(reprice.fields(), ["from"]);
    // New spend still lands and counts.
    let r = app.cost(&company, &b, 5, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let december = app
        .get(&format!("/api/companies/{company}/costs/summary"))
        .await;
    assert_eq!(december.body["spendCents"], 5);
}

#[tokio::test]
async fn without_a_retention_nothing_is_removed() {
    let app = spawn_app_with(|_| {}).await;
    let company = app.company("Acme", 0).await;
    let a = app.agent(&company, "a", 0).await;
    let r = app
        .cost(
            &company,
            &a,
            3,
            json!({"occurredAt": "2020-01-02T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(app.service.sweep_retention().await.unwrap(), 0);
    assert_eq!(
        event_ids(&app, &company, "2020-01-01", "2020-02-01")
            .await
            .len(),
        1
    );
    let partial = app
        .get(&format!(
            "/api/companies/{company}/costs/by-agent?from=2020-01-01&to=2020-01-10"
        ))
        .await;
    assert_eq!(partial.status, StatusCode::OK);
}
