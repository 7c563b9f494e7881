//! Companies, agents and projects: create, list, get, patch, the `/budgets` aliases.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{NOW, at, spawn_app};

#[tokio::test]
async fn company_lifecycle() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/companies",
            json!({"name": "  Acme  ", "budgetMonthlyCents": 100000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.id();
    assert_eq!(r.body["name"], "Acme", "names are trimmed");
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["budgetMonthlyCents"], 100000);
    assert_eq!(r.body["spentMonthlyCents"], 0);
    assert_eq!(r.body["pauseReason"], json!(null));
    let created = at(r.body["createdAt"].as_str().unwrap());
    assert!(
        (created - at(NOW)).num_seconds().abs() < 60,
        "stamped by the injected clock"
    );

    let r = app.get(&format!("/api/companies/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["id"], id.as_str());

    let r = app
        .patch(
            &format!("/api/companies/{id}"),
            json!({"name": "Acme Corp"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["name"], "Acme Corp");
    assert_eq!(
        r.body["budgetMonthlyCents"], 100000,
        "untouched fields stay"
    );

    let r = app
        .patch(
            &format!("/api/companies/{id}/budgets"),
            json!({"budgetMonthlyCents": 5000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["budgetMonthlyCents"], 5000);

    let second = app.company("Globex", 0).await;
    let r = app.get("/api/companies").await;
    assert_eq!(r.status, StatusCode::OK);
    let ids: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str(), second.as_str()]);
}

#[tokio::test]
async fn agents_and_projects_belong_to_a_company() {
    let app = spawn_app().await;
    let acme = app.company("Acme", 0).await;
    let globex = app.company("Globex", 0).await;
    let a1 = app.agent(&acme, "writer", 5000).await;
    let a2 = app.agent(&acme, "reviewer", 0).await;
    app.agent(&globex, "other", 0).await;
    let p1 = app.project(&acme, "Launch", 20000).await;

    let r = app.get(&format!("/api/companies/{acme}/agents")).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["writer", "reviewer"]);

    let r = app.get(&format!("/api/agents/{a1}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["companyId"], acme.as_str());
    assert_eq!(r.body["budgetMonthlyCents"], 5000);

    let r = app
        .patch(
            &format!("/api/agents/{a2}"),
            json!({"name": "critic", "budgetMonthlyCents": 700}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["name"].as_str(),
            r.body["budgetMonthlyCents"].as_i64()
        ),
        (Some("critic"), Some(700))
    );

    let r = app
        .patch(
            &format!("/api/agents/{a2}/budgets"),
            json!({"budgetMonthlyCents": 900}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["budgetMonthlyCents"], 900);

    let r = app.get(&format!("/api/companies/{acme}/projects")).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let r = app.get(&format!("/api/projects/{p1}")).await;
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (StatusCode::OK, Some("Launch"))
    );
    let r = app
        .patch(
            &format!("/api/projects/{p1}"),
            json!({"budgetMonthlyCents": 0}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["budgetMonthlyCents"].as_i64()),
        (StatusCode::OK, Some(0))
    );
}

#[tokio::test]
async fn unknown_resources_are_404_with_a_json_error() {
    let app = spawn_app().await;
    for path in [
        "/api/companies/nope",
        "/api/agents/nope",
        "/api/projects/nope",
        "/api/companies/nope/agents",
        "/api/companies/nope/projects",
        "/api/companies/nope/cost-events",
        "/api/companies/nope/costs/summary",
        "/api/companies/nope/costs/by-agent",
        "/api/companies/nope/costs/by-project",
        "/api/companies/nope/costs/by-model",
        "/api/companies/nope/costs/daily",
        "/api/companies/nope/budget-alerts",
        "/api/no-such-route",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {}",
            r.text
        );
    }
    for path in [
        "/api/companies/nope",
        "/api/agents/nope",
        "/api/projects/nope",
        "/api/agents/nope/budgets",
    ] {
        let r = app.patch(path, json!({"budgetMonthlyCents": 1})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/api/companies/nope/agents", "/api/companies/nope/projects"] {
        let r = app.post(path, json!({"name": "x"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .post(
            "/api/companies/nope/cost-events",
            json!({"agentId": "a", "provider": "p", "model": "m"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wrong_method_is_405_json() {
    let app = spawn_app().await;
    let r = app
        .request(reqwest::Method::DELETE, "/api/companies", None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body["error"].is_string());
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let r = app.get("/readyz").await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
}

/// The hydrated dashboard calls server functions with `fetch`: a refusal must come back with
/// its real status (a 400 naming the field), never the 500 a server function's error is by
/// default, and change nothing.
#[tokio::test]
async fn dashboard_calls_refused_for_bad_amounts_are_400_not_500() {
    let app = spawn_app().await;
    let company = app.company("Forms", 100_000).await;
    let r = app
        .rpc(
            "set_budget",
            &[("scope", "company"), ("id", &company), ("budget", "abc")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("budget"), "{}", r.text);
    let r = app
        .rpc(
            "put_price",
            &[
                ("provider", "acme"),
                ("model", "acme-1"),
                ("effective_from", "2026-11-01"),
                ("input", "abc"),
                ("cached_input", ""),
                ("cache_write", ""),
                ("output", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("input"), "{}", r.text);
    let c = app.get(&format!("/api/companies/{company}")).await;
    assert_eq!(c.body["budgetMonthlyCents"], 100_000);
    let prices = app.get("/api/model-prices").await;
    assert!(
        !prices.text.contains("acme-1"),
        "a refused price was stored: {}",
        prices.text
    );
}
