//! The dashboard's side: the overview lists open incidents and pending requests first,
//! with forms that work as plain posts (no JavaScript), and the Activity page lists what
//! was just done.

use reqwest::{StatusCode, header, redirect::Policy};
use serde_json::json;

use super::{open_incident, stopped_agent};
use crate::helpers::{TestApp, spawn_app};

/// A form post as a browser without JavaScript sends it.
async fn form_post(app: &TestApp, endpoint: &str, form: &str, from: &str) -> reqwest::Response {
    let browser = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    browser
        .post(format!("{}/rpc/{endpoint}", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::REFERER, format!("{}{from}", app.base))
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_overview_needs_attention_first_and_its_forms_work_without_javascript() {
    let app = spawn_app().await;
    let (company, agent) = stopped_agent(&app, 100).await;
    let r = app
        .post(
            &format!("/api/agents/{agent}/budget-requests"),
            json!({"amountCents": 25, "reason": "one more run"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let request = r.id();
    let overview = format!("/companies/{company}");
    let page = html(&app, &overview).await;
    let attention = page
        .find("data-testid=\"needs-attention\"")
        .expect("the section is there");
    let tiles = page
        .find("data-testid=\"tiles\"")
        .expect("the tiles are there");
    assert!(attention < tiles, "needs attention comes first");
    assert_eq!(page.matches("data-testid=\"incident\"").count(), 2);
    assert!(page.contains("reached its budget and was paused: $1.00 of $1.00"));
    assert!(page.contains("one more run"));

    let hard = open_incident(&app, &company, &agent, "hard").await;
    let id = hard["id"].as_str().unwrap();
    let r = form_post(
        &app,
        "resolve_incident",
        &format!("id={id}&action=extend_month&amount=0.50&note=for+the+demo"),
        &overview,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND, "{:?}", r.text().await);
    let a = app.get(&format!("/api/agents/{agent}")).await.body;
    assert_eq!(a["extensionCents"], 50);
    assert_eq!(a["status"], "active");
    let resolved = app
        .get(&format!(
            "/api/companies/{company}/incidents?status=resolved"
        ))
        .await;
    assert_eq!(resolved.body[0]["decisionNote"], "for the demo");
    // A refusal changes nothing: the amount is not dollars.
    let soft = open_incident(&app, &company, &agent, "soft").await;
    let soft_id = soft["id"].as_str().unwrap();
    let r = form_post(
        &app,
        "resolve_incident",
        &format!("id={soft_id}&action=raise_budget&amount=lots&note="),
        &overview,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(open_incident(&app, &company, &agent, "soft").await, soft);

    let r = form_post(
        &app,
        "approve_request",
        &format!("id={request}&mode=extend_month&amount=&note="),
        &overview,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let decided = app.get(&format!("/api/budget-requests/{request}")).await;
    assert_eq!(decided.body["status"], "approved");
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["extensionCents"],
        75
    );

    let page = html(&app, &overview).await;
    assert_eq!(
        page.matches("data-testid=\"incident\"").count(),
        1,
        "the soft one is left"
    );
    assert!(!page.contains("data-testid=\"request\""));

    let activity = html(&app, &format!("{overview}/activity")).await;
    assert!(
        activity.contains("data-action=\"budget_request.approved\""),
        "{activity}"
    );
    assert!(activity.contains("data-action=\"incident.resolved\""));
    let only_requests = html(&app, &format!("{overview}/activity?target=budget_request")).await;
    assert_eq!(
        only_requests
            .matches("data-testid=\"activity-row\"")
            .count(),
        2
    );
}
