//! Companies, agents and projects. The three share one shape and one set of handlers; a
//! route names its kind, the policy and the service do the rest.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::extract::{Fields, JsonObject};
use crate::{
    domain::scope::{ScopeType, Status},
    model::ScopeView,
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
    let status = f.string("status");
    let patch = ScopePatch {
        name: f.string("name"),
        budget_monthly_cents: f.int("budgetMonthlyCents"),
        max_hourly_cents: f.int("maxHourlyCents"),
        status: status.and_then(|s| match Status::parse(&s) {
            Some(s @ (Status::Active | Status::Paused)) => Some(s),
            _ => {
                f.reject("status", "must be \"active\" or \"paused\"");
                None
            }
        }),
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

/// What changing a scope of `kind` asks of the policy.
fn change(kind: ScopeType, id: &str) -> Action<'_> {
    match kind {
        ScopeType::Company => Action::ChangeCompany(id),
        ScopeType::Agent => Action::ChangeAgent(id),
        ScopeType::Project => Action::ChangeProject(id),
    }
}

fn read(kind: ScopeType, id: &str) -> Action<'_> {
    match kind {
        ScopeType::Company => Action::ReadCompany(id),
        ScopeType::Agent => Action::ReadAgent(id),
        ScopeType::Project => Action::ReadProject(id),
    }
}

/// `POST /api/companies`
#[utoipa::path(post, path = "/companies", tag = "scopes", request_body = crate::server::rest::openapi::bodies::NewScope,
    responses((status = 201, description = "The company", body = ScopeView)))]
pub async fn create_company(
    State(service): State<Service>,
    actor: Actor,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<ScopeView>)> {
    authorize(&actor, Action::CreateCompany)?;
    let company = service
        .create_scope(ScopeType::Company, None, new_scope(&body)?, &actor.who())
        .await?;
    Ok((StatusCode::CREATED, Json(company)))
}

/// `GET /api/companies`
#[utoipa::path(get, path = "/companies", tag = "scopes",
    responses((status = 200, description = "The companies, oldest first", body = Vec<ScopeView>)))]
pub async fn list_companies(
    State(service): State<Service>,
    actor: Actor,
) -> AppResult<Json<Vec<ScopeView>>> {
    authorize(&actor, Action::ListCompanies)?;
    Ok(Json(service.list_scopes(ScopeType::Company, None).await?))
}

/// `POST /api/companies/{companyId}/agents` and `.../projects`
pub async fn create_member(
    kind: ScopeType,
    service: Service,
    actor: Actor,
    company_id: String,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<ScopeView>)> {
    authorize(&actor, Action::ChangeCompany(&company_id))?;
    let scope = service
        .create_scope(kind, Some(&company_id), new_scope(&body)?, &actor.who())
        .await?;
    Ok((StatusCode::CREATED, Json(scope)))
}

/// `GET /api/companies/{companyId}/agents` and `.../projects`
pub async fn list_members(
    kind: ScopeType,
    service: Service,
    actor: Actor,
    company_id: String,
) -> AppResult<Json<Vec<ScopeView>>> {
    let action = match kind {
        ScopeType::Agent => Action::ListAgents(&company_id),
        _ => Action::ListProjects(&company_id),
    };
    authorize(&actor, action)?;
    Ok(Json(service.list_scopes(kind, Some(&company_id)).await?))
}

/// `GET /api/companies/{id}`, `/api/agents/{id}`, `/api/projects/{id}`
pub async fn get_scope(
    kind: ScopeType,
    service: Service,
    actor: Actor,
    id: String,
) -> AppResult<Json<ScopeView>> {
    authorize(&actor, read(kind, &id))?;
    Ok(Json(service.get_scope(kind, &id).await?))
}

/// `PATCH /api/companies/{id}`, `/api/agents/{id}`, `/api/projects/{id}`
pub async fn update_scope(
    kind: ScopeType,
    service: Service,
    actor: Actor,
    id: String,
    body: JsonObject,
) -> AppResult<Json<ScopeView>> {
    authorize(&actor, change(kind, &id))?;
    Ok(Json(
        service
            .update_scope(kind, &id, patch(&body)?, &actor.who())
            .await?,
    ))
}

/// `PATCH /api/companies/{id}/budgets`, `/api/agents/{id}/budgets`, `/api/projects/{id}/budgets`
pub async fn set_budget(
    kind: ScopeType,
    service: Service,
    actor: Actor,
    id: String,
    body: JsonObject,
) -> AppResult<Json<ScopeView>> {
    authorize(&actor, change(kind, &id))?;
    Ok(Json(
        service
            .update_scope(kind, &id, budget_patch(&body)?, &actor.who())
            .await?,
    ))
}

/// Handlers for one kind of scope, as axum routes want them: `Path` and `State` extracted,
/// the kind fixed.
macro_rules! scope_handlers {
    ($kind:expr, $get:ident, $update:ident, $budget:ident, $one:tt, $budgets:tt, $param:tt) => {
        /// `GET` one scope of this kind.
        #[utoipa::path(get, path = $one, tag = "scopes",
            params(($param = String, Path, description = "Its id")),
            responses((status = 200, description = "The scope", body = ScopeView)))]
        pub async fn $get(
            State(service): State<Service>,
            actor: Actor,
            Path(id): Path<String>,
        ) -> AppResult<Json<ScopeView>> {
            get_scope($kind, service, actor, id).await
        }

        /// `PATCH` one scope of this kind.
        #[utoipa::path(patch, path = $one, tag = "scopes",
            params(($param = String, Path, description = "Its id")),
            request_body = crate::server::rest::openapi::bodies::ScopePatch,
            responses((status = 200, description = "The scope, changed", body = ScopeView)))]
        pub async fn $update(
            State(service): State<Service>,
            actor: Actor,
            Path(id): Path<String>,
            body: JsonObject,
        ) -> AppResult<Json<ScopeView>> {
            update_scope($kind, service, actor, id, body).await
        }

        /// `PATCH .../budgets` of one scope of this kind.
        #[utoipa::path(patch, path = $budgets, tag = "scopes",
            params(($param = String, Path, description = "Its id")),
            request_body = crate::server::rest::openapi::bodies::BudgetOnly,
            responses((status = 200, description = "The scope, its budget changed", body = ScopeView)))]
        pub async fn $budget(
            State(service): State<Service>,
            actor: Actor,
            Path(id): Path<String>,
            body: JsonObject,
        ) -> AppResult<Json<ScopeView>> {
            set_budget($kind, service, actor, id, body).await
        }
    };
}

scope_handlers!(
    ScopeType::Company,
    get_company,
    update_company,
    set_company_budget,
    "/companies/{company_id}",
    "/companies/{company_id}/budgets",
    "company_id"
);
scope_handlers!(
    ScopeType::Agent,
    get_agent,
    update_agent,
    set_agent_budget,
    "/agents/{agent_id}",
    "/agents/{agent_id}/budgets",
    "agent_id"
);
scope_handlers!(
    ScopeType::Project,
    get_project,
    update_project,
    set_project_budget,
    "/projects/{project_id}",
    "/projects/{project_id}/budgets",
    "project_id"
);

macro_rules! member_handlers {
    ($kind:expr, $create:ident, $list:ident, $path:tt) => {
        /// `POST` a new member of this kind to a company.
        #[utoipa::path(post, path = $path, tag = "scopes",
            params(("company_id" = String, Path, description = "A company's id")),
            request_body = crate::server::rest::openapi::bodies::NewScope,
            responses((status = 201, description = "The new member", body = ScopeView)))]
        pub async fn $create(
            State(service): State<Service>,
            actor: Actor,
            Path(company_id): Path<String>,
            body: JsonObject,
        ) -> AppResult<(StatusCode, Json<ScopeView>)> {
            create_member($kind, service, actor, company_id, body).await
        }

        /// `GET` the members of this kind of a company.
        #[utoipa::path(get, path = $path, tag = "scopes",
            params(("company_id" = String, Path, description = "A company's id")),
            responses((status = 200, description = "The members, oldest first", body = Vec<ScopeView>)))]
        pub async fn $list(
            State(service): State<Service>,
            actor: Actor,
            Path(company_id): Path<String>,
        ) -> AppResult<Json<Vec<ScopeView>>> {
            list_members($kind, service, actor, company_id).await
        }
    };
}

member_handlers!(
    ScopeType::Agent,
    create_agent,
    list_agents,
    "/companies/{company_id}/agents"
);
member_handlers!(
    ScopeType::Project,
    create_project,
    list_projects,
    "/companies/{company_id}/projects"
);
