//! Two instances granting budget holds against one budget: the company row lock makes the
//! grants exact across processes, not only within one.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::json_of;
use crate::helpers::{
    company_and_agent, free_port, fresh_database, require_postgres, start_binary,
};

#[tokio::test]
#[ignore = "PostgreSQL only: make unit runs it under scripts/with-pg.sh with --include-ignored"]
async fn two_instances_never_grant_more_than_the_budget_has_left() {
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
    let (company, agent) = company_and_agent(&http, &a).await;
    let r = http
        .patch(format!("{b}/agents/{agent}/budgets"))
        .json(&json!({"budgetMonthlyCents": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .post(format!("{a}/companies/{company}/cost-events"))
        .json(&json!({"agentId": agent, "provider": "p", "model": "m", "costCents": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // 64 holds of 1 cent against 40 cents left, alternating between the instances.
    let replies = join_all((0..64).map(|i| {
        let base = if i % 2 == 0 { &a } else { &b };
        let req = http
            .post(format!("{base}/companies/{company}/budget-holds"))
            .json(&json!({"agentId": agent, "amountCents": 1}));
        async move { req.send().await.unwrap().status() }
    }))
    .await;
    let granted = replies
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = replies
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((granted, refused), (40, 24), "{replies:?}");
    for base in [&a, &b] {
        let s = json_of(
            http.get(format!("{base}/agents/{agent}/budget-status"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (
                s["mayRun"].as_bool(),
                s["scopes"][0]["heldCents"].as_i64(),
                s["scopes"][0]["remainingCents"].as_i64()
            ),
            (Some(false), Some(40), Some(0)),
            "{base}: {s}"
        );
    }
}
