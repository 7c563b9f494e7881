//! Repricing a company's unpriced events from the dashboard: the dry run (a read) and the
//! apply, with the REST route's policy and service call.

use leptos::prelude::*;

use crate::model::{ApiError, RepriceReport};
#[cfg(feature = "ssr")]
use crate::server::{auth::Action, service::reports::WindowQuery};

#[cfg(feature = "ssr")]
use super::ctx;

#[cfg(feature = "ssr")]
fn window(month: Option<String>) -> WindowQuery {
    WindowQuery {
        month: month.filter(|m| !m.is_empty()),
        ..WindowQuery::default()
    }
}

/// What repricing the month (default: this month) would do, changing nothing.
#[server(prefix = "/rpc", endpoint = "reprice_dry_run")]
pub async fn reprice_dry_run(
    company_id: String,
    month: Option<String>,
) -> Result<RepriceReport, ApiError> {
    ctx::allowed(Action::RepriceCompany(&company_id))?
        .reprice(&company_id, &window(month), false)
        .await
        .map_err(ctx::fail)
}

/// Reprices the month's unpriced events with the price book, then shows the result on
/// the reprice page (`?month=..&repriced=N&added=cents`).
#[server(prefix = "/rpc", endpoint = "reprice_apply")]
pub async fn reprice_apply(
    company_id: String,
    month: Option<String>,
) -> Result<RepriceReport, ApiError> {
    let report = ctx::allowed(Action::RepriceCompany(&company_id))?
        .reprice(&company_id, &window(month.clone()), true)
        .await
        .map_err(ctx::fail)?;
    leptos_axum::redirect(&format!(
        "/companies/{company_id}/reprice?month={}&repriced={}&added={}",
        month.unwrap_or_default(),
        report.repriced_events,
        report.added_cents
    ));
    Ok(report)
}
