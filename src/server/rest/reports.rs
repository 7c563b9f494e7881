//! Spend reports over a window: `month=YYYY-MM`, or `from` and `to`; default this month.

use axum::{
    Json,
    extract::{Path, State},
};

use super::extract::{Params, window_query};
use crate::{
    model::{
        AgentCostRow, BudgetAlert, CostSummary, DailyCost, ModelCostRow, MonthlyCosts,
        ProjectCostRow,
    },
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::{Service, monthly::MonthlyQuery},
    },
};

/// `GET /api/companies/{companyId}/costs/summary`
#[utoipa::path(get, path = "/companies/{company_id}/costs/summary", tag = "reports", params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current UTC month"), ("from" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, inclusive; with `to`"), ("to" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, exclusive; with `from`")),
    responses((status = 200, description = "The company's spend in the window", body = CostSummary)))]
pub async fn get_summary(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<CostSummary>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    Ok(Json(
        service
            .cost_summary(&company_id, &window_query(&params))
            .await?,
    ))
}

/// `GET /api/companies/{companyId}/costs/by-agent`
#[utoipa::path(get, path = "/companies/{company_id}/costs/by-agent", tag = "reports", params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current UTC month"), ("from" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, inclusive; with `to`"), ("to" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, exclusive; with `from`")),
    responses((status = 200, description = "One row per agent, highest cost first", body = Vec<AgentCostRow>)))]
pub async fn get_costs_by_agent(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<AgentCostRow>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    Ok(Json(
        service
            .costs_by_agent(&company_id, &window_query(&params))
            .await?,
    ))
}

/// `GET /api/companies/{companyId}/costs/by-project`
#[utoipa::path(get, path = "/companies/{company_id}/costs/by-project", tag = "reports", params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current UTC month"), ("from" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, inclusive; with `to`"), ("to" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, exclusive; with `from`")),
    responses((status = 200, description = "One row per project and one for spend without a project", body = Vec<ProjectCostRow>)))]
pub async fn get_costs_by_project(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<ProjectCostRow>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    Ok(Json(
        service
            .costs_by_project(&company_id, &window_query(&params))
            .await?,
    ))
}

/// `GET /api/companies/{companyId}/costs/by-model`
#[utoipa::path(get, path = "/companies/{company_id}/costs/by-model", tag = "reports", params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current UTC month"), ("from" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, inclusive; with `to`"), ("to" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, exclusive; with `from`")),
    responses((status = 200, description = "One row per provider and model", body = Vec<ModelCostRow>)))]
pub async fn get_costs_by_model(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<ModelCostRow>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    Ok(Json(
        service
            .costs_by_model(&company_id, &window_query(&params))
            .await?,
    ))
}

/// `GET /api/companies/{companyId}/costs/daily`
#[utoipa::path(get, path = "/companies/{company_id}/costs/daily", tag = "reports", params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current UTC month"), ("from" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, inclusive; with `to`"), ("to" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, exclusive; with `from`")),
    responses((status = 200, description = "One row per UTC day of the window", body = Vec<DailyCost>)))]
pub async fn get_costs_daily(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<DailyCost>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    Ok(Json(
        service
            .costs_daily(&company_id, &window_query(&params))
            .await?,
    ))
}

/// `GET /api/companies/{companyId}/costs/monthly`
#[utoipa::path(get, path = "/companies/{company_id}/costs/monthly", tag = "reports", params(("company_id" = String, Path, description = "A company's id"), ("from" = Option<String>, Query, description = "`YYYY-MM`, inclusive; default: eleven months before `to`"), ("to" = Option<String>, Query, description = "`YYYY-MM`, inclusive; default: the current UTC month (or eleven months after `from`)"), ("groupBy" = Option<String>, Query, description = "`agent` (default), `project` or `model`")),
    responses((status = 200, description = "Spend per month (at most 24), one series per agent, project or model with spend; months without spend are 0", body = MonthlyCosts)))]
pub async fn get_costs_monthly(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<MonthlyCosts>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    let query = MonthlyQuery {
        from: params.get("from"),
        to: params.get("to"),
        group_by: params.get("groupBy"),
    };
    Ok(Json(service.costs_monthly(&company_id, &query).await?))
}

/// `GET /api/companies/{companyId}/budget-alerts?month=YYYY-MM`
#[utoipa::path(get, path = "/companies/{company_id}/budget-alerts", tag = "reports",
    params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current month")),
    responses((status = 200, description = "The month's alerts", body = Vec<BudgetAlert>)))]
pub async fn list_budget_alerts(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<BudgetAlert>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    // Month only, as documented: `from`/`to` are for the dashboard's server function.
    let q = crate::server::service::reports::WindowQuery {
        month: params.get("month"),
        ..Default::default()
    };
    Ok(Json(service.budget_alerts(&company_id, &q).await?))
}
