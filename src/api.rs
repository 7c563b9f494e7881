//! Server functions: the dashboard's way into the service layer. Each is thin: it finds the
//! [`Service`](crate::server::service::Service) in context and calls the same function the
//! REST API calls, so every rule and query exists once. Each also asks the same policy as
//! the REST API ([`authorize`](crate::server::auth::authorize)) about the caller the auth
//! middleware found, so the dashboard can do no more than the API.

use leptos::prelude::*;

use crate::model::{
    AgentCostRow, ApiError, BudgetAlert, Company, Directory, EventPage, Overview, ProjectCostRow,
    Viewer,
};
#[cfg(feature = "ssr")]
use crate::{
    domain::{money::parse_dollars, scope::ScopeType},
    model::FieldError,
    server::auth::Action,
};

/// The service, and the error mapping every server function shares.
#[cfg(feature = "ssr")]
mod ctx {
    use axum::http::{
        HeaderValue, StatusCode,
        header::{ACCEPT, WWW_AUTHENTICATE},
        request::Parts,
    };
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::{
        model::ApiError,
        server::{
            auth::{Action, Actor, authorize},
            error::AppError,
            service::Service,
        },
    };

    pub fn service() -> Result<Service, ApiError> {
        use_context::<Service>().ok_or_else(|| ApiError::new(500, "internal server error"))
    }

    /// The caller, as the auth middleware found it; `None` without a valid credential.
    pub fn actor() -> Option<Actor> {
        use_context::<Parts>().and_then(|p| p.extensions.get::<Actor>().cloned())
    }

    /// The service, once the policy allows the caller to do `action`.
    pub fn allowed(action: Action<'_>) -> Result<Service, ApiError> {
        let actor = actor().ok_or_else(|| fail(AppError::unauthenticated()))?;
        authorize(&actor, action).map_err(fail)?;
        service()
    }

    /// Maps a service error for the dashboard, fields named as the REST API names them.
    pub fn fail(err: AppError) -> ApiError {
        fail_as(err, crate::server::error::rest_name)
    }

    /// Maps a service error for the dashboard. Calls from the hydrated app get the real
    /// status; a plain form post keeps the redirect back to its page, with the error in it.
    /// `name` spells the rules' fields as the form names its inputs.
    pub fn fail_as(err: AppError, name: fn(crate::domain::Field) -> &'static str) -> ApiError {
        answer(err.for_dashboard(name))
    }

    /// Gives a refusal its real status for the hydrated app (a server function's error is a
    /// 500 otherwise); a plain form post keeps the redirect back to its page.
    pub fn answer(err: ApiError) -> ApiError {
        let form_post = use_context::<Parts>()
            .and_then(|p| {
                p.headers
                    .get(ACCEPT)?
                    .to_str()
                    .ok()
                    .map(|a| a.contains("text/html"))
            })
            .unwrap_or(false);
        if !form_post
            && let (Some(options), Ok(status)) = (
                use_context::<ResponseOptions>(),
                StatusCode::from_u16(err.status),
            )
        {
            options.set_status(status);
            if status == StatusCode::UNAUTHORIZED {
                options.insert_header(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"costline\""),
                );
            }
        }
        err
    }
}

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

/// Tiles, tables and chart data for one company and month (default: this month).
#[server(prefix = "/rpc", endpoint = "overview")]
pub async fn get_overview(company_id: String, month: Option<String>) -> Result<Overview, ApiError> {
    ctx::allowed(Action::ReadCompany(&company_id))?
        .overview(&company_id, month.as_deref())
        .await
        .map_err(ctx::fail)
}

#[cfg(feature = "ssr")]
fn window(month: Option<String>) -> crate::server::service::reports::WindowQuery {
    crate::server::service::reports::WindowQuery {
        month,
        ..Default::default()
    }
}

/// One row per agent: status, spend, budget, utilization, events.
#[server(prefix = "/rpc", endpoint = "agent_rows")]
pub async fn get_agent_rows(
    company_id: String,
    month: Option<String>,
) -> Result<Vec<AgentCostRow>, ApiError> {
    ctx::allowed(Action::ReadReports(&company_id))?
        .costs_by_agent(&company_id, &window(month))
        .await
        .map_err(ctx::fail)
}

/// One row per project, and "Unassigned".
#[server(prefix = "/rpc", endpoint = "project_rows")]
pub async fn get_project_rows(
    company_id: String,
    month: Option<String>,
) -> Result<Vec<ProjectCostRow>, ApiError> {
    ctx::allowed(Action::ReadReports(&company_id))?
        .costs_by_project(&company_id, &window(month))
        .await
        .map_err(ctx::fail)
}

/// The month's alerts, newest first.
#[server(prefix = "/rpc", endpoint = "alerts")]
pub async fn get_alerts(
    company_id: String,
    month: Option<String>,
) -> Result<Vec<BudgetAlert>, ApiError> {
    ctx::allowed(Action::ReadReports(&company_id))?
        .budget_alerts(&company_id, month.as_deref())
        .await
        .map_err(ctx::fail)
}

/// One page of events, newest first, filtered like the REST list.
#[server(prefix = "/rpc", endpoint = "events")]
pub async fn get_events(
    company_id: String,
    agent_id: Option<String>,
    project_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
) -> Result<EventPage, ApiError> {
    let filter = crate::server::service::reports::EventFilter {
        agent_id,
        project_id,
        from,
        to,
        limit: Some(50),
        cursor,
    };
    ctx::allowed(Action::ReadReports(&company_id))?
        .list_events(&company_id, filter)
        .await
        .map_err(ctx::fail)
}

/// A budget typed in dollars, as cents; a bad amount is a 400 naming the `budget` field.
#[cfg(feature = "ssr")]
fn budget_cents(budget: &str, target: &str) -> Result<i64, ApiError> {
    parse_dollars(budget).map(|c| c.get()).map_err(|message| {
        ctx::answer(ApiError {
            status: 400,
            message: format!("The budget {message}."),
            details: vec![FieldError::new("budget", message)],
            target: Some(target.to_owned()),
        })
    })
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
async fn change_scope(
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
    ctx::allowed(action)?
        .update_scope(kind, id, patch)
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

/// The whole price book.
#[server(prefix = "/rpc", endpoint = "prices")]
pub async fn get_prices() -> Result<Vec<crate::model::ModelPrice>, ApiError> {
    ctx::allowed(crate::server::auth::Action::ManagePrices)?
        .list_prices()
        .await
        .map_err(ctx::fail)
}

/// Adds or changes a price; amounts in dollars per million tokens, as typed.
#[server(prefix = "/rpc", endpoint = "put_price")]
pub async fn put_price(
    provider: String,
    model: String,
    effective_from: String,
    input: String,
    cached_input: String,
    cache_write: String,
    output: String,
) -> Result<(), ApiError> {
    use crate::{domain::money::parse_price_per_mtok, server::service::prices::PriceInput};
    let mut details = Vec::new();
    let mut amount = |field: &str, value: &str, required: bool| -> Option<i64> {
        if value.trim().is_empty() && !required {
            return None;
        }
        parse_price_per_mtok(value)
            .map(|p| p.get())
            .map_err(|m| details.push(FieldError::new(field, m)))
            .ok()
    };
    let input_price = amount("input", &input, true);
    let cached = amount("cachedInput", &cached_input, false);
    let write = amount("cacheWrite", &cache_write, false);
    let output_price = amount("output", &output, true);
    if !details.is_empty() {
        return Err(ctx::answer(ApiError {
            status: 400,
            message: "Some prices are not valid amounts.".into(),
            details,
            target: None,
        }));
    }
    let price = PriceInput {
        provider,
        model,
        effective_from,
        input: input_price,
        cached_input: cached,
        cache_write: write,
        output: output_price,
        long_context: None,
        source: Some("set in the dashboard".into()),
    };
    ctx::allowed(crate::server::auth::Action::ManagePrices)?
        .put_price(price)
        .await
        .map(|_| ())
        .map_err(|e| {
            let mut e = ctx::fail(e);
            for d in &mut e.details {
                d.field = match d.field.as_str() {
                    "inputMicroCentsPerMTok" => "input".into(),
                    "outputMicroCentsPerMTok" => "output".into(),
                    "cachedInputMicroCentsPerMTok" => "cachedInput".into(),
                    "cacheWriteMicroCentsPerMTok" => "cacheWrite".into(),
                    other => other.to_owned(),
                };
            }
            e
        })
}

/// The models events named this month (UTC) that the book did not price, and the first
/// day of this month (`YYYY-MM-DD`), from which a price for them would cover those events.
#[server(prefix = "/rpc", endpoint = "unpriced_models")]
pub async fn get_unpriced_models() -> Result<(String, Vec<crate::model::UnpricedModel>), ApiError> {
    let service = ctx::allowed(Action::ManagePrices)?;
    let month = crate::domain::time::Month::of(service.now()).first_day();
    let models = service.unpriced_models().await.map_err(ctx::fail)?;
    Ok((month.to_string(), models))
}

/// The diff of a price map uploaded in the dashboard, against the book as it is now.
#[server(prefix = "/rpc", endpoint = "price_import")]
pub async fn get_price_import(id: String) -> Result<crate::model::PriceImportReport, ApiError> {
    ctx::allowed(Action::ManagePrices)?
        .price_import_draft(&id)
        .await
        .map_err(ctx::fail)
}

/// Applies an uploaded price map, then goes back to the price book saying how many prices
/// it added.
#[server(prefix = "/rpc", endpoint = "apply_price_import")]
pub async fn apply_price_import(draft_id: String) -> Result<(), ApiError> {
    let report = ctx::allowed(Action::ManagePrices)?
        .apply_price_import(&draft_id)
        .await
        .map_err(ctx::fail)?;
    let added = report.new.len() + report.changed.len();
    leptos_axum::redirect(&format!("/prices?imported={added}#import"));
    Ok(())
}
