//! Companies, agents and projects.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::extract::{Fields, JsonObject};
use crate::{
    model::{Agent, Company, Project},
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::{NewScope, ScopePatch, Service},
    },
};

fn new_scope(body: &JsonObject) -> AppResult<NewScope> {
    let mut f = Fields::new(body);
    let input = NewScope {
        name: f.required_string("name"),
        budget_monthly_cents: f.int("budgetMonthlyCents"),
    };
    f.finish()?;
    Ok(input)
}

fn patch(body: &JsonObject) -> AppResult<ScopePatch> {
    let mut f = Fields::new(body);
    let patch = ScopePatch {
        name: f.string("name"),
        budget_monthly_cents: f.int("budgetMonthlyCents"),
        status: f.string("status"),
    };
    f.finish()?;
    Ok(patch)
}

/// The `/budgets` aliases of the original system: only the budget, and it is required.
fn budget_patch(body: &JsonObject) -> AppResult<ScopePatch> {
    let mut f = Fields::new(body);
    let budget = f.required_int("budgetMonthlyCents");
    f.finish()?;
    Ok(ScopePatch {
        budget_monthly_cents: budget,
        ..ScopePatch::default()
    })
}

/// `POST /api/companies`
pub async fn create_company(
    State(service): State<Service>,
    actor: Actor,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<Company>)> {
    authorize(&actor, Action::CreateCompany)?;
    let company = service.create_company(new_scope(&body)?).await?;
    Ok((StatusCode::CREATED, Json(company)))
}

/// `GET /api/companies`
pub async fn list_companies(
    State(service): State<Service>,
    actor: Actor,
) -> AppResult<Json<Vec<Company>>> {
    authorize(&actor, Action::ListCompanies)?;
    Ok(Json(service.list_companies().await?))
}

/// `GET /api/companies/{companyId}`
pub async fn get_company(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Company>> {
    authorize(&actor, Action::ReadCompany(&id))?;
    Ok(Json(service.get_company(&id).await?))
}

/// `PATCH /api/companies/{companyId}`
pub async fn update_company(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Company>> {
    authorize(&actor, Action::ChangeCompany(&id))?;
    Ok(Json(service.update_company(&id, patch(&body)?).await?))
}

/// `PATCH /api/companies/{companyId}/budgets`
pub async fn set_company_budget(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Company>> {
    authorize(&actor, Action::ChangeCompany(&id))?;
    Ok(Json(
        service.update_company(&id, budget_patch(&body)?).await?,
    ))
}

/// `POST /api/companies/{companyId}/agents`
pub async fn create_agent(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<Agent>)> {
    authorize(&actor, Action::ChangeCompany(&company_id))?;
    let agent = service.create_agent(&company_id, new_scope(&body)?).await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

/// `GET /api/companies/{companyId}/agents`
pub async fn list_agents(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
) -> AppResult<Json<Vec<Agent>>> {
    authorize(&actor, Action::ListAgents(&company_id))?;
    Ok(Json(service.list_agents(&company_id).await?))
}

/// `GET /api/agents/{agentId}`
pub async fn get_agent(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Agent>> {
    authorize(&actor, Action::ReadAgent(&id))?;
    Ok(Json(service.get_agent(&id).await?))
}

/// `PATCH /api/agents/{agentId}`
pub async fn update_agent(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Agent>> {
    authorize(&actor, Action::ChangeAgent(&id))?;
    Ok(Json(service.update_agent(&id, patch(&body)?).await?))
}

/// `PATCH /api/agents/{agentId}/budgets`
pub async fn set_agent_budget(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Agent>> {
    authorize(&actor, Action::ChangeAgent(&id))?;
    Ok(Json(service.update_agent(&id, budget_patch(&body)?).await?))
}

/// `POST /api/companies/{companyId}/projects`
pub async fn create_project(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<Project>)> {
    authorize(&actor, Action::ChangeCompany(&company_id))?;
    let project = service
        .create_project(&company_id, new_scope(&body)?)
        .await?;
    Ok((StatusCode::CREATED, Json(project)))
}

/// `GET /api/companies/{companyId}/projects`
pub async fn list_projects(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
) -> AppResult<Json<Vec<Project>>> {
    authorize(&actor, Action::ListProjects(&company_id))?;
    Ok(Json(service.list_projects(&company_id).await?))
}

/// `GET /api/projects/{projectId}`
pub async fn get_project(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Project>> {
    authorize(&actor, Action::ReadProject(&id))?;
    Ok(Json(service.get_project(&id).await?))
}

/// `PATCH /api/projects/{projectId}`
pub async fn update_project(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Project>> {
    authorize(&actor, Action::ChangeProject(&id))?;
    Ok(Json(service.update_project(&id, patch(&body)?).await?))
}

/// `PATCH /api/projects/{projectId}/budgets`
pub async fn set_project_budget(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Project>> {
    authorize(&actor, Action::ChangeProject(&id))?;
    Ok(Json(
        service.update_project(&id, budget_patch(&body)?).await?,
    ))
}
