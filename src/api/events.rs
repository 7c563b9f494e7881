//! The event list, one page at a time.
// One argument per filter, as the Events page's query names them: the generated client
// function of the server function has as many, and an attribute on it does not reach it.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::model::{ApiError, EventPage};
#[cfg(feature = "ssr")]
use crate::server::auth::Action;

#[cfg(feature = "ssr")]
use super::ctx;

/// One page of events, newest first, filtered like the REST list: one argument per filter,
/// as the Events page's query names them, within the dashboard's range (`EventFilter::within`
/// in the service says how `month`, `from` and `to` are read).
#[server(prefix = "/rpc", endpoint = "events")]
pub async fn get_events(
    company_id: String,
    agent_id: Option<String>,
    project_id: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
) -> Result<EventPage, ApiError> {
    let service = ctx::allowed(Action::ReadReports(&company_id))?;
    let filter = crate::server::service::event_list::EventFilter {
        agent_id,
        project_id,
        provider,
        model,
        limit: Some(50),
        cursor,
        ..Default::default()
    }
    .within(&service, month, from, to)
    .map_err(ctx::fail)?;
    service
        .list_events(&company_id, filter)
        .await
        .map_err(ctx::fail)
}
