//! Incidents (board only): list a company's, resolve one.

use axum::{
    Json,
    extract::{Path, State},
};

use super::extract::{Fields, JsonObject, Params};
use crate::{
    domain::incident::{IncidentStatus, Resolution},
    model::Incident,
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        service::{ResolveIncident, Service},
    },
};

/// `GET /api/companies/{companyId}/incidents[?status=open|resolved|dismissed]`
#[utoipa::path(get, path = "/companies/{company_id}/incidents", tag = "incidents",
    params(("company_id" = String, Path, description = "A company's id"), ("status" = Option<IncidentStatus>, Query, description = "Only incidents in this state")),
    responses((status = 200, description = "The incidents, newest first", body = Vec<Incident>)))]
pub async fn list_incidents(
    State(service): State<Service>,
    actor: Actor,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<Vec<Incident>>> {
    authorize(&actor, Action::ReadIncidents(&company_id))?;
    let status = params
        .get("status")
        .map(|s| {
            IncidentStatus::parse(&s).ok_or_else(|| {
                AppError::invalid_fields(vec![crate::model::FieldError::new(
                    "status",
                    "must be \"open\", \"resolved\" or \"dismissed\"",
                )])
            })
        })
        .transpose()?;
    Ok(Json(service.list_incidents(&company_id, status).await?))
}

fn resolve_command(body: &JsonObject) -> AppResult<ResolveIncident> {
    let mut f = Fields::new(body);
    let action = f.required_string("action");
    let parsed = Resolution::parse(&action);
    if parsed.is_none()
        && body
            .0
            .get("action")
            .is_some_and(serde_json::Value::is_string)
    {
        f.reject(
            "action",
            "must be \"raise_budget\", \"extend_month\", \"resume\" or \"dismiss\"",
        );
    }
    let cmd = ResolveIncident {
        action: parsed.unwrap_or(Resolution::Dismiss),
        amount_cents: f.int("amountCents"),
        decision_note: f.string("decisionNote"),
    };
    f.finish()?;
    Ok(cmd)
}

/// `POST /api/incidents/{incidentId}/resolve {action, amountCents?, decisionNote?}`
#[utoipa::path(post, path = "/incidents/{incident_id}/resolve", tag = "incidents",
    params(("incident_id" = String, Path, description = "An incident's id")), request_body = crate::server::rest::openapi::bodies::ResolveIncident,
    responses((status = 200, description = "The incident, resolved or dismissed", body = Incident)))]
pub async fn resolve_incident(
    State(service): State<Service>,
    actor: Actor,
    Path(id): Path<String>,
    body: JsonObject,
) -> AppResult<Json<Incident>> {
    authorize(&actor, Action::ResolveIncident(&id))?;
    let cmd = resolve_command(&body)?;
    Ok(Json(
        service.resolve_incident(&id, cmd, &actor.who()).await?,
    ))
}
