//! The dashboard's forms that create, rename and terminate: the REST routes' rules (a bad
//! field is a 400 naming the form's input, and nothing is made or changed), and a plain
//! form post that lands on what it made.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn companies(app: &TestApp) -> Value {
    app.get("/api/companies").await.body
}

#[tokio::test]
async fn a_company_made_from_the_dashboard_is_the_apis_company() {
    let app = spawn_app().await;
    for (name, budget, field) in [
        ("Acme", "a lot", "budget"),
        ("Acme", "-5", "budget"),
        ("Acme", "10000000001", "budget"),
        ("   ", "100", "name"),
    ] {
        let r = app
            .rpc("create_company", &[("name", name), ("budget", budget)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{name:?} {budget:?}: {}",
            r.text
        );
        assert_eq!(r.body["details"][0]["field"], field, "{}", r.text);
        assert_eq!(companies(&app).await, json!([]), "nothing made");
    }

    let r = app
        .rpc(
            "create_company",
            &[("name", " Acme "), ("budget", "1,250.50")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body.as_str().expect("the new id").to_owned();
    // The hydrated app is told where to go; the browser follows.
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/companies/{id}").as_str()
    );
    let listed = companies(&app).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["name"], "Acme");
    assert_eq!(listed[0]["budgetMonthlyCents"], 125050);
    let trail = app.get(&format!("/api/companies/{id}/activity")).await;
    assert_eq!(
        trail.body["items"][0]["action"], "company.created",
        "{}",
        trail.text
    );
}

#[tokio::test]
async fn a_plain_form_post_lands_on_the_new_company() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/rpc/create_company", app.base))
        .header("origin", &app.base)
        .header("referer", format!("{}/", app.base))
        .header("accept", "text/html")
        .form(&[("name", "Initech"), ("budget", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let listed = companies(&app).await;
    let id = listed[0]["id"].as_str().unwrap();
    assert_eq!(listed[0]["budgetMonthlyCents"], 0, "empty is no budget");
    assert_eq!(
        r.headers()[header::LOCATION],
        format!("/companies/{id}").as_str()
    );
}

#[tokio::test]
async fn agents_and_projects_made_from_the_dashboard_follow_the_rest_rules() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let unknown = "01900000-0000-7000-8000-000000000000";
    let create =
        |company: String, scope: &'static str, name: &'static str, budget: &'static str| {
            let app = &app;
            async move {
                app.rpc(
                    "create_member",
                    &[
                        ("company_id", company.as_str()),
                        ("scope", scope),
                        ("name", name),
                        ("budget", budget),
                    ],
                )
                .await
            }
        };
    let r = create(company.clone(), "agent", "writer", "12.345").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["details"][0]["field"], "budget");
    let r = create(company.clone(), "project", "", "10").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["details"][0]["field"], "name");
    let r = create(company.clone(), "company", "writer", "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = create(unknown.to_owned(), "agent", "writer", "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    for kind in ["agents", "projects"] {
        let listed = app.get(&format!("/api/companies/{company}/{kind}")).await;
        assert_eq!(listed.body, json!([]), "no {kind} made");
    }

    let r = create(company.clone(), "agent", "writer", "50").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let agent = r.body.as_str().unwrap().to_owned();
    let saved = app.get(&format!("/api/agents/{agent}")).await.body;
    assert_eq!(
        (
            &saved["companyId"],
            &saved["name"],
            &saved["budgetMonthlyCents"]
        ),
        (&json!(company), &json!("writer"), &json!(5000))
    );
    let r = create(company.clone(), "project", "Launch", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let project = r.body.as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/api/projects/{project}")).await.body["name"],
        "Launch"
    );
}

#[tokio::test]
async fn renaming_from_the_dashboard() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let r = app
        .rpc(
            "rename",
            &[("scope", "agent"), ("id", &agent), ("name", " ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["details"][0]["field"], "name");
    assert_eq!(r.body["target"], agent.as_str(), "shown next to its row");
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["name"],
        "writer"
    );
    let r = app
        .rpc(
            "rename",
            &[("scope", "agent"), ("id", &agent), ("name", "author")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/agents/{agent}")).await.body["name"],
        "author"
    );
    let r = app
        .rpc(
            "rename",
            &[
                ("scope", "company"),
                ("id", &company),
                ("name", "Acme Corp"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/companies/{company}")).await.body["name"],
        "Acme Corp"
    );
}

#[tokio::test]
async fn a_terminated_agent_stays_terminated_and_its_costs_still_count() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 100).await;
    let project = app.project(&company, "Launch", 0).await;
    app.cost(&company, &agent, 40, json!({})).await;

    let r = app.rpc("terminate_agent", &[("id", &project)]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "only agents end: {}",
        r.text
    );
    let r = app.rpc("terminate_agent", &[("id", &agent)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let saved = app.get(&format!("/api/agents/{agent}")).await.body;
    assert_eq!(
        (&saved["status"], &saved["spentMonthlyCents"]),
        (&json!("terminated"), &json!(40))
    );

    let again = app.rpc("terminate_agent", &[("id", &agent)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let resume = app
        .patch(&format!("/api/agents/{agent}"), json!({"status": "active"}))
        .await;
    assert_eq!(resume.status, StatusCode::CONFLICT, "{}", resume.text);
    // A cost is a fact and is counted; going over the budget does not turn the agent into
    // a budget-paused one (which a raise would resume).
    let spend = app.cost(&company, &agent, 70, json!({})).await;
    assert_eq!(spend.status, StatusCode::CREATED, "{}", spend.text);
    let saved = app.get(&format!("/api/agents/{agent}")).await.body;
    assert_eq!(
        (&saved["status"], &saved["spentMonthlyCents"]),
        (&json!("terminated"), &json!(110))
    );
}
