//! PostgreSQL only: the month rollover runs on every instance, at once, while events
//! arrive; it is idempotent.

use std::collections::BTreeSet;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{alert_set, status_of};
use crate::helpers::{at, require_postgres, spawn_app, spawn_app_on};

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn two_instances_roll_the_month_over_at_once_while_events_arrive() {
    require_postgres();
    let a = spawn_app().await;
    let b = spawn_app_on(&a.database_url).await;

    // Three companies, each paused for budget in November: the company itself (1000 of
    // 1000), an agent over its own budget, and a project; plus an agent paused by hand.
    struct Co {
        id: String,
        free: String,
        capped: String,
        manual: String,
        project: String,
    }
    let mut companies = Vec::new();
    for n in 0..3 {
        let id = a.company(&format!("Co {n}"), 1000).await;
        let co = Co {
            free: a.agent(&id, "free", 0).await,
            capped: b.agent(&id, "capped", 100).await,
            manual: a.agent(&id, "manual", 0).await,
            project: b.project(&id, "p", 100).await,
            id,
        };
        b.patch(
            &format!("/api/agents/{}", co.manual),
            json!({"status": "paused"}),
        )
        .await;
        a.spend(&co.id, &co.capped, 100).await;
        let r = b
            .cost(&co.id, &co.free, 100, json!({"projectId": co.project}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        b.spend(&co.id, &co.free, 800).await;
        assert_eq!(
            status_of(&a, &format!("/api/companies/{}", co.id)).await,
            ("paused".into(), json!("budget"))
        );
        companies.push(co);
    }

    // Midnight on the 1st on both instances. Each runs the rollover five times, both at
    // once, while both take December events: the capped agent spends its whole December
    // budget again, the free one 10 cents on the project.
    let december = at("2026-12-01T00:00:00Z");
    a.clock.set(december);
    b.clock.set(december);
    let rollovers = join_all((0..10).map(|i| {
        let service = if i % 2 == 0 { &a.service } else { &b.service };
        async move { service.reconcile().await.expect("the rollover runs") }
    }));
    let events = join_all(companies.iter().enumerate().flat_map(|(n, co)| {
        let (x, y) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        [
            x.cost(&co.id, &co.capped, 100, json!({})),
            y.cost(&co.id, &co.free, 10, json!({"projectId": co.project})),
        ]
    }));
    let (rollovers, events) = tokio::join!(rollovers, events);
    for r in &events {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    for (_, failed) in &rollovers {
        assert_eq!(*failed, 0, "no company failed to settle: {rollovers:?}");
    }
    // Idempotent: once more on each changes nothing that follows.
    a.service.reconcile().await.unwrap();
    b.service.reconcile().await.unwrap();

    for co in &companies {
        for app in [&a, &b] {
            let c = app.get(&format!("/api/companies/{}", co.id)).await;
            assert_eq!(
                (
                    c.body["status"].as_str(),
                    c.body["spentMonthlyCents"].as_i64()
                ),
                (Some("active"), Some(110)),
                "{}",
                c.text
            );
            for (path, want) in [
                (format!("/api/agents/{}", co.free), ("active", Value::Null)),
                (
                    format!("/api/projects/{}", co.project),
                    ("active", Value::Null),
                ),
                (
                    format!("/api/agents/{}", co.manual),
                    ("paused", json!("manual")),
                ),
                // December's own spend stops it again: 100 of 100.
                (
                    format!("/api/agents/{}", co.capped),
                    ("paused", json!("budget")),
                ),
            ] {
                assert_eq!(
                    status_of(app, &path).await,
                    (want.0.to_owned(), want.1),
                    "{path}"
                );
            }
        }
        let dec = a
            .get(&format!("/api/companies/{}/budget-alerts", co.id))
            .await;
        assert_eq!(
            alert_set(&dec.body),
            BTreeSet::from([
                ("agent".into(), co.capped.clone(), "hard".into()),
                ("agent".into(), co.capped.clone(), "soft".into()),
            ]),
            "December's alerts, once each"
        );
        let nov = b
            .get(&format!(
                "/api/companies/{}/budget-alerts?month=2026-11",
                co.id
            ))
            .await;
        let scopes: BTreeSet<(String, String, String)> = ["soft", "hard"]
            .into_iter()
            .flat_map(|t| {
                [
                    ("company".to_owned(), co.id.clone(), t.to_owned()),
                    ("agent".to_owned(), co.capped.clone(), t.to_owned()),
                    ("project".to_owned(), co.project.clone(), t.to_owned()),
                ]
            })
            .collect();
        assert_eq!(
            alert_set(&nov.body),
            scopes,
            "November's alerts stay November's"
        );
    }
}
