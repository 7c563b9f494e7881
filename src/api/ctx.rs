//! The service, and the error mapping every server function shares.

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

/// [`allowed`], with who the caller is for the audit trail.
pub fn allowed_as(action: Action<'_>) -> Result<(Service, crate::domain::audit::Actor), ApiError> {
    let actor = actor().ok_or_else(|| fail(AppError::unauthenticated()))?;
    authorize(&actor, action).map_err(fail)?;
    Ok((service()?, actor.who()))
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

/// Whether this call is a plain form post (JavaScript off), which is answered with a
/// redirect back to its page, rather than a call from the hydrated app.
pub fn form_post() -> bool {
    use_context::<Parts>()
        .and_then(|p| {
            p.headers
                .get(ACCEPT)?
                .to_str()
                .ok()
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Gives a refusal its real status for the hydrated app (a server function's error is a
/// 500 otherwise); a plain form post keeps the redirect back to its page.
pub fn answer(err: ApiError) -> ApiError {
    if !form_post()
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
