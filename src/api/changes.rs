//! Changes to companies, agents and projects: budgets, guards, status, names.

use leptos::prelude::*;

use crate::model::ApiError;
#[cfg(feature = "ssr")]
use crate::{
    domain::{money::parse_dollars, scope::ScopeType},
    model::FieldError,
    server::auth::Action,
};

#[cfg(feature = "ssr")]
use super::{ctx, form_name};

/// A budget typed in dollars, as cents; a bad amount is a 400 naming the `budget` field.
#[cfg(feature = "ssr")]
pub(super) fn budget_cents(budget: &str, target: &str) -> Result<i64, ApiError> {
    parse_dollars(budget).map(|c| c.get()).map_err(|message| {
        ctx::answer(ApiError {
            status: 400,
            message: format!("The budget {message}."),
            details: vec![FieldError::new("budget", message)],
            target: Some(target.to_owned()),
        })
    })
}

/// Sets the monthly budget of a company, agent or project (`scope`), in dollars.
#[server(prefix = "/rpc", endpoint = "set_budget")]
pub async fn set_budget(scope: String, id: String, budget: String) -> Result<(), ApiError> {
    let patch = crate::server::service::ScopePatch {
        budget_monthly_cents: Some(budget_cents(&budget, &id)?),
        ..Default::default()
    };
    change_scope(&scope, &id, patch).await
}

/// Sets the runaway guard of a company, agent or project (`scope`): the most its trailing
/// hour may spend, in dollars; empty or 0 turns it off.
#[server(prefix = "/rpc", endpoint = "set_max_hourly")]
pub async fn set_max_hourly(scope: String, id: String, max_hourly: String) -> Result<(), ApiError> {
    let cents = parse_dollars(&max_hourly)
        .map(|c| c.get())
        .map_err(|message| ApiError {
            status: 400,
            message: format!("The hourly limit {message}."),
            details: vec![FieldError::new("max_hourly", message)],
            target: Some(id.clone()),
        })?;
    let patch = crate::server::service::ScopePatch {
        max_hourly_cents: Some(cents),
        ..Default::default()
    };
    change_scope(&scope, &id, patch).await
}

/// Pauses (by hand) or resumes a company, agent or project.
#[server(prefix = "/rpc", endpoint = "set_status")]
pub async fn set_status(scope: String, id: String, status: String) -> Result<(), ApiError> {
    use crate::domain::scope::Status;
    let status = match Status::parse(&status) {
        Some(s @ (Status::Active | Status::Paused)) => s,
        _ => {
            return Err(ApiError::new(400, "The status must be active or paused.").for_target(&id));
        }
    };
    let patch = crate::server::service::ScopePatch {
        status: Some(status),
        ..Default::default()
    };
    change_scope(&scope, &id, patch).await
}

/// The dashboard's forms name their scope (`company`, `agent`, `project`); the policy and
/// the service take it from here.
#[cfg(feature = "ssr")]
pub(super) async fn change_scope(
    scope: &str,
    id: &str,
    patch: crate::server::service::ScopePatch,
) -> Result<(), ApiError> {
    let (kind, action) = match ScopeType::parse(scope) {
        Some(ScopeType::Company) => (ScopeType::Company, Action::ChangeCompany(id)),
        Some(ScopeType::Agent) => (ScopeType::Agent, Action::ChangeAgent(id)),
        Some(ScopeType::Project) => (ScopeType::Project, Action::ChangeProject(id)),
        None => return Err(ApiError::new(400, "unknown scope").for_target(id)),
    };
    let (service, who) = ctx::allowed_as(action)?;
    service
        .update_scope(kind, id, patch, &who)
        .await
        .map(|_| ())
        .map_err(|e| ctx::fail_as(e, form_name).for_target(id))
}

/// Renames a company and sets its monthly budget (dollars) in one step.
#[server(prefix = "/rpc", endpoint = "update_company")]
pub async fn update_company(id: String, name: String, budget: String) -> Result<(), ApiError> {
    let patch = crate::server::service::ScopePatch {
        name: Some(name),
        budget_monthly_cents: Some(budget_cents(&budget, &id)?),
        ..Default::default()
    };
    change_scope("company", &id, patch).await
}
