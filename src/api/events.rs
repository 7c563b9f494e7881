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
/// as the Events page's query names them. The dashboard's range (`month`, or `from` and `to`
/// together, `to` exclusive) is resolved as the reports resolve it, and refused alike; one
/// bound alone is a plain filter, as in the REST list.
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
    let (from, to) = if month.is_some() || (from.is_some() && to.is_some()) {
        let q = crate::server::service::reports::WindowQuery { month, from, to };
        let window = service.window(&q).map_err(ctx::fail)?;
        let at = |t: chrono::DateTime<chrono::Utc>| {
            Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        };
        (at(window.start), at(window.end))
    } else {
        (from, to)
    };
    let filter = crate::server::service::event_list::EventFilter {
        agent_id,
        project_id,
        provider,
        model,
        from,
        to,
        limit: Some(50),
        cursor,
    };
    service
        .list_events(&company_id, filter)
        .await
        .map_err(ctx::fail)
}
