//! An agent's or project's own page: its month, and an agent's API keys (create, shown
//! once; list; revoke). The same policy and service calls as the REST routes.

use leptos::prelude::*;

use crate::model::{AgentKey, ApiError, HistoryChart, MemberMonth, NewAgentKey};
#[cfg(feature = "ssr")]
use crate::{domain::scope::ScopeType, server::auth::Action};

#[cfg(feature = "ssr")]
use super::ctx;

/// The window (`month`, or `from` and `to` as the reports take them; default: this month)
/// of agent or project (`scope`) `id` of company `company_id`: the overview's figures for
/// it alone.
#[server(prefix = "/rpc", endpoint = "member_month")]
pub async fn get_member_month(
    company_id: String,
    scope: String,
    id: String,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<MemberMonth, ApiError> {
    let service = ctx::allowed(Action::ReadCompany(&company_id))?;
    service
        .member_page(
            &company_id,
            member_kind(&scope)?,
            &id,
            &super::window(month, from, to),
        )
        .await
        .map_err(ctx::fail)
}

/// The history card of agent or project (`scope`) `id`: its spend per month against its own
/// budget, over the months `from..=to` (`YYYY-MM`), the last twelve by default.
#[server(prefix = "/rpc", endpoint = "member_monthly")]
pub async fn get_member_monthly(
    company_id: String,
    scope: String,
    id: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<HistoryChart, ApiError> {
    let service = ctx::allowed(Action::ReadCompany(&company_id))?;
    service
        .member_history_chart(
            &company_id,
            member_kind(&scope)?,
            &id,
            from.as_deref(),
            to.as_deref(),
        )
        .await
        .map_err(ctx::fail)
}

/// The agent's keys that work: prefixes and dates, never a secret.
#[server(prefix = "/rpc", endpoint = "agent_keys")]
pub async fn get_agent_keys(agent_id: String) -> Result<Vec<AgentKey>, ApiError> {
    ctx::allowed(Action::ManageAgentKeys(&agent_id))?
        .list_agent_keys(&agent_id)
        .await
        .map_err(ctx::fail)
}

/// A new key for the agent; the answer carries it, the only time it is shown.
#[server(prefix = "/rpc", endpoint = "create_agent_key")]
pub async fn add_agent_key(agent_id: String) -> Result<NewAgentKey, ApiError> {
    let (service, who) = ctx::allowed_as(Action::ManageAgentKeys(&agent_id))?;
    let created = service
        .create_agent_key(&agent_id, &who)
        .await
        .map_err(ctx::fail)?;
    let flashed = super::flash::Flashed {
        secret: created.key.clone(),
        label: String::new(),
    };
    super::flash::keep(super::flash::Made::AgentKey, &agent_id, &flashed);
    Ok(created)
}

/// Revokes a key of the agent: it stops working with the next request.
#[server(prefix = "/rpc", endpoint = "revoke_agent_key")]
pub async fn revoke_agent_key(agent_id: String, key_id: String) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::ManageAgentKeys(&agent_id))?;
    service
        .revoke_agent_key(&agent_id, &key_id, &who)
        .await
        .map_err(|e| ctx::fail(e).for_target(&key_id))
}

/// `agent` or `project`; anything else is a 400.
#[cfg(feature = "ssr")]
fn member_kind(scope: &str) -> Result<ScopeType, ApiError> {
    match ScopeType::parse(scope) {
        Some(kind @ (ScopeType::Agent | ScopeType::Project)) => Ok(kind),
        _ => Err(ctx::answer(ApiError::new(400, "unknown scope"))),
    }
}
