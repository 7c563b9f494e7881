//! The audit trail for the dashboard's Activity page.

use leptos::prelude::*;

use crate::model::{ActivityPage, ApiError};
#[cfg(feature = "ssr")]
use crate::server::{auth::Action, service::activity::ActivityQuery};

#[cfg(feature = "ssr")]
use super::ctx;

/// A page of a company's trail, newest first, filtered by actor type and target type.
#[server(prefix = "/rpc", endpoint = "activity")]
pub async fn get_activity(
    company_id: String,
    actor_type: Option<String>,
    target_type: Option<String>,
    cursor: Option<String>,
) -> Result<ActivityPage, ApiError> {
    let query = ActivityQuery {
        limit: None,
        cursor,
        actor_type,
        target_type,
    };
    ctx::allowed(Action::ReadActivity(&company_id))?
        .list_activity(&company_id, query)
        .await
        .map_err(ctx::fail)
}
