//! Delivery: signatures, subscriptions, retries with one id, exactly-once alerts under a
//! race, and a dead endpoint that holds up nothing else.

use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use super::{
    delivered, deliveries, endpoint,
    receiver::{Answer, Receiver, verifies},
    send_test,
};
use crate::helpers::{NOW, at, spawn_app, spawn_app_with, until};

#[tokio::test]
async fn signed_deliveries_verify_and_only_subscribed_types_arrive() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "researcher", 1_000).await;
    let hard = Receiver::ok().await;
    let slack = Receiver::ok().await;
    let (_, secret) = endpoint(&app, &company, &hard.url, json!({"events": ["alert.hard"]})).await;
    let (_, slack_secret) = endpoint(
        &app,
        &company,
        &slack.url,
        json!({"events": ["alert.soft", "scope.paused"], "format": "slack"}),
    )
    .await;

    app.spend(&company, &agent, 850).await;
    app.spend(&company, &agent, 200).await;
    until("the hard alert and the soft alert and the pause", || {
        hard.hits().len() == 1 && slack.hits().len() == 2
    })
    .await;
    let hit = &hard.hits()[0];
    assert!(verifies(&secret, hit), "the signature verifies: {hit:?}");
    assert!(
        !verifies(&slack_secret, hit),
        "another endpoint's secret does not"
    );
    let sent_at: i64 = hit.timestamp.parse().unwrap();
    assert!((sent_at - chrono::Utc::now().timestamp()).abs() < 300);
    let body = hit.json();
    assert_eq!(body["type"], "alert.hard");
    assert_eq!(body["id"], hit.id.as_str());
    assert!(hit.id.starts_with("msg_"));
    assert_eq!(body["companyId"], company.as_str());
    assert_eq!(
        body["scope"],
        json!({"type": "agent", "id": agent, "name": "researcher"})
    );
    assert_eq!(body["threshold"], "hard");
    assert_eq!(body["budgetCents"], 1_000);
    assert_eq!(body["observedCents"], 1_050);
    assert_eq!(body["status"], "paused");
    assert!(
        body["occurredAt"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-15T")
    );
    assert_eq!(
        body["dashboardUrl"],
        format!("{}/companies/{company}/alerts", app.base)
    );

    let lines: Vec<String> = slack
        .hits()
        .iter()
        .map(|h| {
            assert!(verifies(&slack_secret, h));
            h.json()["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        lines,
        [
            format!(
                "The agent *researcher* reached 80% of its monthly budget: $8.50 of $10.00 \
                 spent this month (now active). <{}/companies/{company}/alerts|Open in Costline>",
                app.base
            ),
            format!(
                "The agent *researcher* was paused: $10.50 of $10.00 spent this month \
                 (now paused). <{}/companies/{company}/agents|Open in Costline>",
                app.base
            ),
        ]
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hard.types(), ["alert.hard"]);
    assert_eq!(slack.hits().len(), 2);
}

#[tokio::test]
async fn an_attempt_whose_lease_ran_out_is_sent_again_and_counted_once() {
    // The first attempt hangs until the client gives up (1 s). Meanwhile the clock passes
    // the lease, so the next poll claims the endpoint again and sends the same delivery.
    // Retries wait an hour, so no other attempt comes.
    let app = spawn_app_with(|s| {
        s.webhook_timeout_ms = 1_000;
        s.webhook_retry_base_ms = 3_600_000;
    })
    .await;
    let company = app.company("Acme", 0).await;
    let receiver = Receiver::start(vec![Answer::Hang], Answer::Status(500)).await;
    let (id, _) = endpoint(
        &app,
        &company,
        &receiver.url,
        json!({"events": ["alert.soft"]}),
    )
    .await;
    send_test(&app, &id).await;
    until("the first attempt hangs", || receiver.hits().len() == 1).await;
    let hung_at = std::time::Instant::now();
    app.clock.set(at(NOW) + chrono::Duration::hours(1));
    until("the new lease sends it again", || {
        receiver.hits().len() == 2
    })
    .await;
    let hits = receiver.hits();
    assert_eq!(hits[0].id, hits[1].id, "the same webhook-id");
    // Long after the first attempt gave up: only the new holder's attempt is recorded.
    tokio::time::sleep(Duration::from_secs(4).saturating_sub(hung_at.elapsed())).await;
    let listed = deliveries(&app, &id).await;
    assert_eq!(listed.len(), 1);
    let codes: Vec<_> = listed[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["responseCode"].clone())
        .collect();
    assert_eq!(codes, [json!(500)], "{listed:?}");
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(receiver.hits().len(), 2);
    let hooks = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(hooks.body[0]["consecutiveFailures"], 1, "{}", hooks.text);
}

#[tokio::test]
async fn retries_after_a_500_and_a_timeout_carry_the_same_id() {
    let app = spawn_app_with(|s| s.webhook_timeout_ms = 300).await;
    let company = app.company("Acme", 0).await;
    let flaky = Receiver::start(
        vec![Answer::Status(500), Answer::Hang, Answer::Status(503)],
        Answer::Status(204),
    )
    .await;
    let (id, secret) = endpoint(
        &app,
        &company,
        &flaky.url,
        json!({"events": ["alert.soft"]}),
    )
    .await;
    let event = send_test(&app, &id).await;

    until("four attempts", || flaky.hits().len() == 4).await;
    let hits = flaky.hits();
    assert!(hits.iter().all(|h| h.id == event && verifies(&secret, h)));
    assert!(
        hits.iter().all(|h| h.body == hits[0].body),
        "the same body each time"
    );
    assert_eq!(hits[0].json()["type"], "webhook.test");

    let listed = delivered(&app, &id, 1).await;
    let d = &listed[0];
    assert_eq!(d["eventId"], event.as_str());
    assert_eq!(d["type"], "webhook.test");
    let codes: Vec<_> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["responseCode"].clone(), a["error"].clone()))
        .collect();
    assert_eq!(
        codes,
        [
            (json!(500), json!("the answer was not a 2xx")),
            (json!(null), json!("timed out")),
            (json!(503), json!("the answer was not a 2xx")),
            (json!(204), json!(null)),
        ]
    );
    let r = app.get(&format!("/api/companies/{company}/webhooks")).await;
    assert_eq!(r.body[0]["consecutiveFailures"], 0);
}

#[tokio::test]
async fn sixty_four_racing_events_across_80_and_100_send_one_soft_and_one_hard() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "a", 1_000).await;
    let all = Receiver::ok().await;
    endpoint(
        &app,
        &company,
        &all.url,
        json!({"events": ["alert.soft", "alert.hard", "scope.paused", "scope.resumed"]}),
    )
    .await;
    let posts = (0..64).map(|_| app.cost(&company, &agent, 20, json!({})));
    let statuses: Vec<StatusCode> = join_all(posts).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![StatusCode::CREATED; 64]);
    until("soft, hard and paused", || all.hits().len() >= 3).await;
    // A budget change settles the whole company again, offering both alerts anew: only new
    // ones are announced. Then a raise past the spend resumes the agent.
    let budget = format!("/api/agents/{agent}/budgets");
    let r = app
        .patch(&budget, json!({"budgetMonthlyCents": 1_200}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .patch(&budget, json!({"budgetMonthlyCents": 5_000}))
        .await;
    assert_eq!(r.body["status"], "active", "{}", r.text);
    until("the resume", || all.hits().len() >= 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        all.types(),
        ["alert.soft", "alert.hard", "scope.paused", "scope.resumed"]
    );
    let resumed = all.hits()[3].json();
    assert_eq!(
        (
            &resumed["budgetCents"],
            &resumed["observedCents"],
            &resumed["status"]
        ),
        (&json!(5_000), &json!(1_280), &json!("active"))
    );
}

#[tokio::test]
async fn a_dead_endpoint_holds_up_neither_ingest_nor_another_endpoint() {
    // The dead endpoint's first attempt hangs for the whole test.
    let app = spawn_app_with(|s| s.webhook_timeout_ms = 600_000).await;
    let company = app.company("Acme", 0).await;
    let dead = Receiver::start(Vec::new(), Answer::Hang).await;
    let live = Receiver::ok().await;
    let events = json!({"events": ["alert.soft", "alert.hard", "scope.paused", "scope.resumed"]});
    let (dead_id, _) = endpoint(&app, &company, &dead.url, events.clone()).await;
    endpoint(&app, &company, &live.url, events).await;

    let mut agents = Vec::new();
    for i in 0..5 {
        agents.push(app.agent(&company, &format!("a{i}"), 100).await);
    }
    app.spend(&company, &agents[0], 100).await;
    until("the dead endpoint holds its first request", || {
        dead.hits().len() == 1
    })
    .await;
    // While it hangs, ingest goes on and the live endpoint gets everything, in order.
    for agent in &agents[1..] {
        for _ in 0..10 {
            app.spend(&company, agent, 9).await;
        }
        app.spend(&company, agent, 10).await;
    }
    until("every event reaches the live endpoint", || {
        live.hits().len() == 15
    })
    .await;
    assert_eq!(
        live.types()[..3],
        ["alert.soft", "alert.hard", "scope.paused"]
    );
    assert_eq!(dead.hits().len(), 1, "one at a time, in order");
    let listed = deliveries(&app, &dead_id).await;
    assert_eq!(listed.len(), 15);
    assert!(listed.iter().all(|d| d["status"] == "pending"));
    assert!(listed.iter().all(|d| d["attempts"] == json!([])));
}
