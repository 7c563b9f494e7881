//! What needs the board's attention: open incidents and pending override requests, and the
//! decisions on them. The same policy and service calls as the REST API; amounts are typed
//! in dollars.

use leptos::prelude::*;

use crate::model::{ApiError, Attention};
#[cfg(feature = "ssr")]
use crate::{
    domain::{
        incident::{ApproveMode, IncidentStatus, RequestStatus, Resolution},
        money::parse_dollars,
    },
    model::FieldError,
    server::{
        auth::Action,
        service::{Approval, ResolveIncident as Resolve},
    },
};

#[cfg(feature = "ssr")]
use super::ctx;

/// An optional amount typed in dollars, as cents; a bad amount is a 400 naming `amount`.
#[cfg(feature = "ssr")]
fn amount_cents(amount: &str, target: &str) -> Result<Option<i64>, ApiError> {
    if amount.trim().is_empty() {
        return Ok(None);
    }
    parse_dollars(amount)
        .map(|c| Some(c.get()))
        .map_err(|message| {
            ctx::answer(ApiError {
                status: 400,
                message: format!("The amount {message}."),
                details: vec![FieldError::new("amount", message)],
                target: Some(target.to_owned()),
            })
        })
}

/// The REST API's field names as this module's forms name them.
#[cfg(feature = "ssr")]
fn form_name(field: crate::domain::Field) -> &'static str {
    match field {
        crate::domain::Field::Amount => "amount",
        crate::domain::Field::Note => "note",
        other => crate::server::error::rest_name(other),
    }
}

/// A company's open incidents and pending requests, newest first.
#[server(prefix = "/rpc", endpoint = "attention")]
pub async fn get_attention(company_id: String) -> Result<Attention, ApiError> {
    let service = ctx::allowed(Action::ReadIncidents(&company_id))?;
    let incidents = service
        .list_incidents(&company_id, Some(IncidentStatus::Open))
        .await
        .map_err(ctx::fail)?;
    let requests = service
        .list_requests(&company_id, Some(RequestStatus::Pending))
        .await
        .map_err(ctx::fail)?;
    Ok(Attention {
        incidents: incidents.into_iter().map(Into::into).collect(),
        requests: requests.into_iter().map(Into::into).collect(),
    })
}

/// Resolves an incident: `raise_budget` or `extend_month` by `amount` dollars, `resume`,
/// or `dismiss`, with an optional note.
#[server(prefix = "/rpc", endpoint = "resolve_incident")]
pub async fn resolve_incident(
    id: String,
    action: String,
    amount: String,
    note: String,
) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::ResolveIncident(&id))?;
    let action = Resolution::parse(&action).ok_or_else(|| {
        ctx::answer(ApiError::new(400, "Choose what to do with the incident.").for_target(&id))
    })?;
    let cmd = Resolve {
        action,
        amount_cents: amount_cents(&amount, &id)?,
        decision_note: Some(note),
    };
    service
        .resolve_incident(&id, cmd, &who)
        .await
        .map(|_| ())
        .map_err(|e| ctx::fail_as(e, form_name).for_target(&id))
}

/// Approves a request: `extend_month` or `raise_budget`, by the amount asked when `amount`
/// is empty.
#[server(prefix = "/rpc", endpoint = "approve_request")]
pub async fn approve_request(
    id: String,
    mode: String,
    amount: String,
    note: String,
) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::DecideRequest(&id))?;
    let mode = ApproveMode::parse(&mode)
        .ok_or_else(|| ctx::answer(ApiError::new(400, "Choose how to approve.").for_target(&id)))?;
    let approval = Approval {
        mode,
        amount_cents: amount_cents(&amount, &id)?,
    };
    service
        .decide_request(&id, Some(approval), Some(note), &who)
        .await
        .map(|_| ())
        .map_err(|e| ctx::fail_as(e, form_name).for_target(&id))
}

/// Denies a request, with an optional note.
#[server(prefix = "/rpc", endpoint = "deny_request")]
pub async fn deny_request(id: String, note: String) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::DecideRequest(&id))?;
    service
        .decide_request(&id, None, Some(note), &who)
        .await
        .map(|_| ())
        .map_err(|e| ctx::fail_as(e, form_name).for_target(&id))
}
