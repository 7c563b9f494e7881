//! PostgreSQL only: writers on two instances lock companies in id order, so mixed single
//! and batch writes across companies never deadlock, and every sum stays exact.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{alert_set, status_of};
use crate::helpers::{require_postgres, spawn_app, spawn_app_on};

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
        let app = if (w / COMPANIES).is_multiple_of(2) {
            &a
        } else {
            &b
        };
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
