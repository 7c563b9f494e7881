//! PostgreSQL only: several app instances on one database. Budgets stay exact, the month
//! rollover may run on every instance at once, and writers that lock companies in id order
//! never deadlock. (The database outage is in `durability.rs`.)

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, at, free_port, fresh_database, require_postgres, spawn_app, spawn_app_on, start_binary,
};

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn two_instances_on_one_database_enforce_exactly() {
    require_postgres();
    let (db, _dir) = fresh_database().await;
    let (port_a, port_b) = (free_port(), free_port());
    let _a = start_binary(&db, port_a).await;
    let _b = start_binary(&db, port_b).await;
    let (a, b) = (
        format!("http://127.0.0.1:{port_a}/api"),
        format!("http://127.0.0.1:{port_b}/api"),
    );
    let http = reqwest::Client::new();
    let company = json_of(
        http.post(format!("{a}/companies"))
            .json(&json!({"name": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let company = company["id"].as_str().unwrap().to_owned();
    let agent = json_of(
        http.post(format!("{b}/companies/{company}/agents"))
            .json(&json!({"name": "a", "budgetMonthlyCents": 1000}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let agent = agent["id"].as_str().unwrap().to_owned();

    // 200 events of 7 cents for one agent, alternating between the two instances.
    let replies = join_all((0..200).map(|i| {
        let base = if i % 2 == 0 { &a } else { &b };
        let req = http
            .post(format!("{base}/companies/{company}/cost-events"))
            .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 7}));
        async move { req.send().await.unwrap().status() }
    }))
    .await;
    assert_eq!(replies, vec![StatusCode::CREATED; 200]);

    for base in [&a, &b] {
        let s = json_of(
            http.get(format!("{base}/companies/{company}/costs/summary"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s["spendCents"].as_i64(), s["eventCount"].as_i64()),
            (Some(1400), Some(200)),
            "{base}"
        );
        let ag = json_of(
            http.get(format!("{base}/agents/{agent}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (ag["status"].as_str(), ag["pauseReason"].as_str()),
            (Some("paused"), Some("budget")),
            "{base}"
        );
    }
    let alerts = json_of(
        http.get(format!("{a}/companies/{company}/budget-alerts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        alert_set(&alerts),
        BTreeSet::from([
            ("agent".into(), agent.clone(), "hard".into()),
            ("agent".into(), agent.clone(), "soft".into()),
        ]),
        "exactly one soft and one hard alert across both instances"
    );
}

/// Alerts as (scope type, scope id, threshold); a repeated alert would show in the length.
fn alert_set(alerts: &Value) -> BTreeSet<(String, String, String)> {
    let list = alerts.as_array().unwrap();
    let set: BTreeSet<_> = list
        .iter()
        .map(|a| {
            (
                a["scopeType"].as_str().unwrap().to_owned(),
                a["scopeId"].as_str().unwrap().to_owned(),
                a["threshold"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(set.len(), list.len(), "no alert twice: {alerts}");
    set
}

async fn status_of(app: &TestApp, path: &str) -> (String, Value) {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    (
        r.body["status"].as_str().unwrap().to_owned(),
        r.body["pauseReason"].clone(),
    )
}

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

/// One cost event of the plan below: company, agent, project (if any), cents.
#[derive(Clone, Copy)]
struct Planned {
    company: usize,
    agent: usize,
    project: Option<usize>,
    cents: i64,
}

const COMPANIES: usize = 4;
const WRITERS: usize = 12;
const REQUESTS: usize = 16;
const BATCH: usize = 10;

/// Writer `w` writes to company `w % 4` through instance `w / 4 % 2`, so every company is
/// written through both: single events and batches in turn, spread over three agents, two
/// projects and no project.
fn plan() -> Vec<Vec<Vec<Planned>>> {
    let mut n = 0usize;
    (0..WRITERS)
        .map(|w| {
            (0..REQUESTS)
                .map(|r| {
                    let size = if r % 2 == 0 { 1 } else { BATCH };
                    (0..size)
                        .map(|_| {
                            n += 1;
                            Planned {
                                company: w % COMPANIES,
                                agent: n % 3,
                                project: [None, Some(0), Some(1)][n / 3 % 3],
                                cents: 1 + (n % 7) as i64,
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn mixed_single_and_batch_writes_across_companies_on_two_instances_add_up() {
    require_postgres();
    let a = spawn_app().await;
    let b = spawn_app_on(&a.database_url).await;
    let plan = plan();

    // What the client sends, per scope; budgets are set from it so that some scopes reach
    // 100% or 80% with their very last events (where a stale read under concurrent writes
    // would go unnoticed), some stay below 80%, and some have no budget.
    let mut spend: BTreeMap<(char, usize, usize), i64> = BTreeMap::new();
    for e in plan.iter().flatten().flatten() {
        *spend.entry(('c', e.company, 0)).or_default() += e.cents;
        *spend.entry(('a', e.company, e.agent)).or_default() += e.cents;
        if let Some(p) = e.project {
            *spend.entry(('p', e.company, p)).or_default() += e.cents;
        }
    }
    // Budget for a scope with `total` spent, by how far over or under it should end.
    let budget = |total: i64, kind: usize| match kind % 4 {
        0 => 0,             // none
        1 => total,         // 100% with the last event: a stop
        2 => total * 5 / 4, // 80% or just under with the last event
        _ => total * 2,     // 50%: nothing
    };
    let mut ids: BTreeMap<(char, usize, usize), String> = BTreeMap::new();
    let mut budgets: BTreeMap<(char, usize, usize), i64> = BTreeMap::new();
    for c in 0..COMPANIES {
        let cb = budget(spend[&('c', c, 0)], c + 1);
        let company = a.company(&format!("Co {c}"), cb).await;
        budgets.insert(('c', c, 0), cb);
        for ag in 0..3 {
            let ab = budget(spend[&('a', c, ag)], c + ag);
            ids.insert(('a', c, ag), b.agent(&company, &format!("a{ag}"), ab).await);
            budgets.insert(('a', c, ag), ab);
        }
        for p in 0..2 {
            let pb = budget(spend[&('p', c, p)], c + p + 1);
            ids.insert(('p', c, p), a.project(&company, &format!("p{p}"), pb).await);
            budgets.insert(('p', c, p), pb);
        }
        ids.insert(('c', c, 0), company);
    }

    let writers = plan.iter().enumerate().map(|(w, requests)| {
        let app = if (w / COMPANIES).is_multiple_of(2) { &a } else { &b };
        let ids = &ids;
        async move {
            for events in requests {
                let body: Vec<Value> = events
                    .iter()
                    .map(|e| {
                        let mut v = json!({
                            "agentId": ids[&('a', e.company, e.agent)],
                            "provider": "anthropic", "model": "m", "costCents": e.cents,
                        });
                        if let Some(p) = e.project {
                            v["projectId"] = json!(ids[&('p', e.company, p)]);
                        }
                        v
                    })
                    .collect();
                let company = &ids[&('c', events[0].company, 0)];
                if let [one] = body.as_slice() {
                    let r = app
                        .post(
                            &format!("/api/companies/{company}/cost-events"),
                            one.clone(),
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
                } else {
                    let r = app
                        .post(
                            &format!("/api/companies/{company}/cost-events/batch"),
                            json!({ "events": body }),
                        )
                        .await;
                    assert_eq!(
                        (r.status, r.body["created"].as_u64()),
                        (StatusCode::OK, Some(BATCH as u64)),
                        "{}",
                        r.text
                    );
                }
            }
        }
    });
    join_all(writers).await;

    // Every figure equals what was sent; every alert and pause follows from it.
    for c in 0..COMPANIES {
        let company = &ids[&('c', c, 0)];
        let s = b
            .get(&format!("/api/companies/{company}/costs/summary"))
            .await;
        let events = plan
            .iter()
            .flatten()
            .flatten()
            .filter(|e| e.company == c)
            .count();
        assert_eq!(
            (s.body["spendCents"].as_i64(), s.body["eventCount"].as_u64()),
            (Some(spend[&('c', c, 0)]), Some(events as u64))
        );
        let by_agent = a
            .get(&format!("/api/companies/{company}/costs/by-agent"))
            .await;
        let by_project = a
            .get(&format!("/api/companies/{company}/costs/by-project"))
            .await;
        let mut expected_alerts = BTreeSet::new();
        let company_stopped = level(spend[&('c', c, 0)], budgets[&('c', c, 0)]) == 2;
        for (key, total) in spend.range(('a', c, 0)..=('p', c, 9)) {
            if key.1 != c || key.0 == 'c' {
                continue;
            }
            let (rows, id_field, kind) = match key.0 {
                'a' => (&by_agent.body, "agentId", "agent"),
                _ => (&by_project.body, "projectId", "project"),
            };
            let id = &ids[key];
            let row = rows
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r[id_field] == id.as_str())
                .unwrap_or_else(|| panic!("no row for {id}"));
            assert_eq!(row["costCents"].as_i64(), Some(*total), "{kind} {id}");
            let lvl = level(*total, budgets[key]);
            expected_alerts.extend(alerts_for(kind, id, lvl));
            let paused = lvl == 2 || (kind == "agent" && company_stopped);
            let path = format!("/api/{kind}s/{id}");
            assert_eq!(
                status_of(&a, &path).await.0,
                if paused { "paused" } else { "active" },
                "{path}"
            );
        }
        expected_alerts.extend(alerts_for(
            "company",
            company,
            level(spend[&('c', c, 0)], budgets[&('c', c, 0)]),
        ));
        let alerts = b
            .get(&format!("/api/companies/{company}/budget-alerts"))
            .await;
        assert_eq!(alert_set(&alerts.body), expected_alerts, "company {c}");
    }
    // The plan covers every kind of ending, so the checks above check something.
    let levels: BTreeSet<u8> = spend.iter().map(|(k, t)| level(*t, budgets[k])).collect();
    assert_eq!(levels, BTreeSet::from([0, 1, 2]));

    // And no deadlock: PostgreSQL breaks one up by failing a transaction, which a writer
    // retries unseen, but it counts them. The instances' connections close first, so every
    // count is flushed.
    let url = a.database_url.clone();
    a.service.db().close().await;
    b.service.db().close().await;
    assert_eq!(deadlocks(&url).await, 0, "deadlocks in the database");
}

/// The deadlocks PostgreSQL detected in the database at `url`, once no other session is
/// connected to it.
async fn deadlocks(url: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    for _ in 0..500 {
        let (others,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if others == 0 {
            let (count,): (i64,) = sqlx::query_as(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            return count;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the instances' sessions did not close");
}

/// 0: below 80% or no budget; 1: from 80%; 2: from 100%.
fn level(spend: i64, budget: i64) -> u8 {
    match budget {
        0 => 0,
        b if spend >= b => 2,
        b if spend * 5 >= b * 4 => 1,
        _ => 0,
    }
}

fn alerts_for(kind: &str, id: &str, level: u8) -> Vec<(String, String, String)> {
    ["soft", "hard"][..level as usize]
        .iter()
        .map(|t| (kind.to_owned(), id.to_owned(), (*t).to_owned()))
        .collect()
}
