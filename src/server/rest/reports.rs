//! Spend reports over a window: `month=YYYY-MM`, or `from` and `to`; default this month.

use axum::{
    Json,
    extract::{Path, State},
};

use super::extract::{Params, window_query};
use crate::{
    model::{AgentCostRow, BudgetAlert, CostSummary, DailyCost, ModelCostRow, ProjectCostRow},
    server::{
        auth::{Action, Actor, authorize},
        error::AppResult,
        service::Service,
    },
};

/// `GET /api/companies/{companyId}/costs/summary`
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

/// `GET /api/companies/{companyId}/budget-alerts?month=YYYY-MM`
pub async fn list_budget_alerts(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<BudgetAlert>>> {
    authorize(&actor, Action::ReadReports(&company_id))?;
    let month = params.get("month");
    Ok(Json(
        service.budget_alerts(&company_id, month.as_deref()).await?,
    ))
}
