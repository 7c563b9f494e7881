//! Server functions: the dashboard's way into the service layer. Each is thin: it finds the
//! [`Service`](crate::server::service::Service) in context and calls the same function the
//! REST API calls, so every rule and query exists once. Each also asks the same policy as
//! the REST API ([`authorize`](crate::server::auth::authorize)) about the caller the auth
//! middleware found, so the dashboard can do no more than the API.
//!
//! One file per area: reads here (the event list in `events`), changes of scopes in
//! `changes`, creating, renaming and terminating them in `create`, an agent's or project's
//! page and an agent's keys in `members`, the price book in `prices`, repricing in
//! `reprice`, notifications in `webhooks`, incidents and requests in `incidents`, the
//! audit trail in `activity`.

use leptos::prelude::*;

use crate::model::{
    AgentCostRow, ApiError, BudgetAlert, Company, CompanyOverview, Directory, HistoryChart,
    ProjectCostRow, Viewer,
};
#[cfg(feature = "ssr")]
use crate::{domain::scope::ScopeType, server::auth::Action};

mod activity;
mod changes;
mod create;
#[cfg(feature = "ssr")]
mod ctx;
mod events;
pub mod flash;
mod incidents;
mod members;
mod prices;
mod reprice;
mod webhooks;

pub use activity::*;
pub use changes::*;
pub use create::*;
pub use events::*;
pub use incidents::*;
pub use members::*;
pub use prices::*;
pub use reprice::*;
pub use webhooks::*;

/// Who is looking: local mode, or the signed-in board user. Needs no credential.
#[server(prefix = "/rpc", endpoint = "viewer")]
pub async fn get_viewer() -> Result<Viewer, ApiError> {
    use crate::server::auth::{Actor, BoardCredential};
    let actor = ctx::actor();
    Ok(Viewer {
        local_mode: actor == Some(Actor::Local),
        email: match actor {
            Some(Actor::Board(BoardCredential::Session { email, .. })) => Some(email),
            _ => None,
        },
    })
}

/// Every company with this month's spend, and the server's current month.
#[server(prefix = "/rpc", endpoint = "directory")]
pub async fn get_directory() -> Result<Directory, ApiError> {
    ctx::allowed(Action::ListCompanies)?
        .directory()
        .await
        .map_err(ctx::fail)
}

/// Every company, oldest first, with this month's spend.
#[server(prefix = "/rpc", endpoint = "companies")]
pub async fn list_companies() -> Result<Vec<Company>, ApiError> {
    ctx::allowed(Action::ListCompanies)?
        .list_scopes(ScopeType::Company, None)
        .await
        .map_err(ctx::fail)
}

/// One company, with this month's spend.
#[server(prefix = "/rpc", endpoint = "company")]
pub async fn get_company(company_id: String) -> Result<Company, ApiError> {
    ctx::allowed(Action::ReadCompany(&company_id))?
        .get_scope(ScopeType::Company, &company_id)
        .await
        .map_err(ctx::fail)
}

// The report functions below take a window as the REST reports do: `month` (`YYYY-MM`), or
// `from` and `to` (`to` exclusive); none of them: the current month.

/// The overview page of one company and window: its tiles' figures and its charts.
#[server(prefix = "/rpc", endpoint = "overview")]
pub async fn get_overview(
    company_id: String,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<CompanyOverview, ApiError> {
    ctx::allowed(Action::ReadCompany(&company_id))?
        .overview_page(&company_id, &window(month, from, to))
        .await
        .map_err(ctx::fail)
}

#[cfg(feature = "ssr")]
fn window(
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> crate::server::service::reports::WindowQuery {
    crate::server::service::reports::WindowQuery { month, from, to }
}

/// One row per agent: status, spend, budget, utilization, events.
#[server(prefix = "/rpc", endpoint = "agent_rows")]
pub async fn get_agent_rows(
    company_id: String,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<AgentCostRow>, ApiError> {
    ctx::allowed(Action::ReadReports(&company_id))?
        .costs_by_agent(&company_id, &window(month, from, to))
        .await
        .map_err(ctx::fail)
}

/// One row per project, and "Unassigned".
#[server(prefix = "/rpc", endpoint = "project_rows")]
pub async fn get_project_rows(
    company_id: String,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<ProjectCostRow>, ApiError> {
    ctx::allowed(Action::ReadReports(&company_id))?
        .costs_by_project(&company_id, &window(month, from, to))
        .await
        .map_err(ctx::fail)
}

/// The history card: spend per month, one band per agent, project or model (`group_by`),
/// over the months `from..=to` (`YYYY-MM`), the last twelve by default. A member keeps its
/// color of the page (the donut's, for a project).
#[server(prefix = "/rpc", endpoint = "monthly")]
pub async fn get_monthly(
    company_id: String,
    group_by: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<HistoryChart, ApiError> {
    let query = crate::server::service::monthly::MonthlyQuery { group_by, from, to };
    ctx::allowed(Action::ReadReports(&company_id))?
        .history_chart(&company_id, &query)
        .await
        .map_err(ctx::fail)
}

/// The window's alerts, newest first.
#[server(prefix = "/rpc", endpoint = "alerts")]
pub async fn get_alerts(
    company_id: String,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<BudgetAlert>, ApiError> {
    ctx::allowed(Action::ReadReports(&company_id))?
        .budget_alerts(&company_id, &window(month, from, to))
        .await
        .map_err(ctx::fail)
}

/// Agents and projects of a company, for the event filters.
#[server(prefix = "/rpc", endpoint = "filter_options")]
pub async fn get_filter_options(
    company_id: String,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), ApiError> {
    ctx::allowed(Action::ListProjects(&company_id))?;
    let service = ctx::allowed(Action::ListAgents(&company_id))?;
    let agents = service
        .list_scopes(ScopeType::Agent, Some(&company_id))
        .await
        .map_err(ctx::fail)?;
    let projects = service
        .list_scopes(ScopeType::Project, Some(&company_id))
        .await
        .map_err(ctx::fail)?;
    Ok((
        agents.into_iter().map(|a| (a.id, a.name)).collect(),
        projects.into_iter().map(|p| (p.id, p.name)).collect(),
    ))
}

/// The dashboard's page of an agent or project.
#[cfg(feature = "ssr")]
fn member_page(kind: ScopeType, company_id: &str, id: &str) -> String {
    format!("/companies/{company_id}/{kind}s/{id}")
}

/// The dashboard forms' names for the rules' fields: the inputs they are typed in.
#[cfg(feature = "ssr")]
fn form_name(field: crate::domain::Field) -> &'static str {
    use crate::domain::Field;
    match field {
        Field::MonthlyBudget => "budget",
        Field::MaxHourly => "max_hourly",
        Field::InputPrice => "input",
        Field::OutputPrice => "output",
        Field::CachedInputPrice => "cachedInput",
        Field::CacheWritePrice => "cacheWrite",
        other => crate::server::error::rest_name(other),
    }
}
