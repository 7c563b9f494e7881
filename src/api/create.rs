//! Creating companies, agents and projects from the dashboard; renaming them and
//! terminating an agent. The same policy and service calls as the REST routes; a plain
//! form post lands on what it made (a company's overview, an agent's or project's page).

use leptos::prelude::*;

use crate::model::ApiError;
#[cfg(feature = "ssr")]
use crate::{
    domain::scope::ScopeType,
    server::{auth::Action, service::NewScope},
};

#[cfg(feature = "ssr")]
use super::{changes::budget_cents, ctx, form_name};

/// Creates a company with a monthly budget typed in dollars (empty: none), then goes to
/// its overview. Answers the new company's id.
#[server(prefix = "/rpc", endpoint = "create_company")]
pub async fn create_company(name: String, budget: String) -> Result<String, ApiError> {
    let input = NewScope {
        name,
        budget_monthly_cents: Some(budget_cents(&budget, "new")?),
    };
    let (service, who) = ctx::allowed_as(Action::CreateCompany)?;
    let company = service
        .create_scope(ScopeType::Company, None, input, &who)
        .await
        .map_err(|e| ctx::fail_as(e, form_name).for_target("new"))?;
    leptos_axum::redirect(&format!("/companies/{}", company.id));
    Ok(company.id)
}

/// Creates an agent or project (`scope`) of a company, then goes to its page. Answers
/// the new id.
#[server(prefix = "/rpc", endpoint = "create_member")]
pub async fn create_member(
    company_id: String,
    scope: String,
    name: String,
    budget: String,
) -> Result<String, ApiError> {
    let kind = match ScopeType::parse(&scope) {
        Some(kind @ (ScopeType::Agent | ScopeType::Project)) => kind,
        _ => {
            return Err(ctx::answer(
                ApiError::new(400, "unknown scope").for_target("new"),
            ));
        }
    };
    let input = NewScope {
        name,
        budget_monthly_cents: Some(budget_cents(&budget, "new")?),
    };
    let (service, who) = ctx::allowed_as(Action::ChangeCompany(&company_id))?;
    let member = service
        .create_scope(kind, Some(&company_id), input, &who)
        .await
        .map_err(|e| ctx::fail_as(e, form_name).for_target("new"))?;
    leptos_axum::redirect(&super::member_page(kind, &company_id, &member.id));
    Ok(member.id)
}

/// Renames a company, agent or project (`scope`).
#[server(prefix = "/rpc", endpoint = "rename")]
pub async fn rename(scope: String, id: String, name: String) -> Result<(), ApiError> {
    let patch = crate::server::service::ScopePatch {
        name: Some(name),
        ..Default::default()
    };
    super::changes::change_scope(&scope, &id, patch).await
}

/// Terminates an agent for good: it runs and spends nothing again; its spend stays.
#[server(prefix = "/rpc", endpoint = "terminate_agent")]
pub async fn terminate_agent(id: String) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::ChangeAgent(&id))?;
    service
        .terminate_agent(&id, &who)
        .await
        .map(|_| ())
        .map_err(|e| ctx::fail(e).for_target(&id))
}
