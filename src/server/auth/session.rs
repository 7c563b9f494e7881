//! Signing in and out of the dashboard: `POST /auth/sign-in` and `POST /auth/sign-out`,
//! plain form posts that answer with a redirect, so they work without JavaScript.
//!
//! A session is a random id in a cookie (`HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure`
//! when the browser came over https through a proxy that says so); the server keeps only
//! its hash, with a fixed expiry, and forgets it on sign-out.
//!
//! A password check costs argon2's 19 MiB and tens of milliseconds, and needs no
//! credential to ask for: at most [`super::PASSWORD_CHECKS`] run at once (more at once is
//! a 503), and each counts against its address's limit before it runs.

use axum::{
    Form, Json, Router,
    extract::{FromRequest, Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::json;

use super::{
    AuthMode, SESSION_COOKIE,
    middleware::{client_ip, is_https, safe_next, see_other, session_cookie},
};
use crate::{domain::url_encode, model::SignInError, server::state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/sign-in", post(sign_in))
        .route("/auth/sign-out", post(sign_out))
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn back_to_sign_in(error: SignInError, next: &str) -> Response {
    let mut url = format!("/signin?error={}", error.code());
    if next != "/" {
        url.push_str("&next=");
        url.push_str(&url_encode(next));
    }
    see_other(&url)
}

fn cookie(value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("costline_session=; Path=/; Max-Age=0"))
}

/// `POST /auth/sign-in` (form: `email`, `password`, `next`): a session cookie and a
/// redirect to `next`; or back to `/signin` saying what went wrong.
async fn sign_in(State(state): State<AppState>, req: Request) -> Response {
    let ip = client_ip(&req, state.auth.trust_proxy);
    let secure = is_https(req.headers(), state.auth.trust_proxy);
    let form = match Form::<SignInForm>::from_request(req, &state).await {
        Ok(Form(form)) => form,
        Err(_) => return back_to_sign_in(SignInError::Invalid, "/"),
    };
    let next = safe_next(form.next.as_deref());
    if state.auth.mode == AuthMode::LocalTrusted {
        return see_other(&next);
    }
    let Some(slot) = state.auth.password_slot() else {
        tracing::info!(%ip, "refused a sign-in: all password checks are busy");
        return busy();
    };
    if state.auth.limiter.attempt(ip).is_err() {
        return back_to_sign_in(SignInError::Throttled, &next);
    }
    let ttl = state.auth.session_ttl;
    match state
        .service
        .sign_in(&form.email, &form.password, ttl, slot)
        .await
    {
        Ok(Some(session)) => {
            state.auth.limiter.forgive(ip);
            let mut response = see_other(&next);
            let max_age = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
            response
                .headers_mut()
                .insert(header::SET_COOKIE, cookie(&session.id, max_age, secure));
            tracing::info!(until = %session.expires_at, "a board user signed in");
            response
        }
        Ok(None) => {
            tracing::info!(%ip, "refused a sign-in");
            back_to_sign_in(SignInError::Invalid, &next)
        }
        Err(err) => {
            tracing::warn!(error = %err, "sign-in failed");
            back_to_sign_in(SignInError::Unavailable, &next)
        }
    }
}

/// 503: every password-check slot is taken; nothing was checked or counted.
fn busy() -> Response {
    let body = json!({"error": "too many sign-ins are being checked right now; retry in a moment"});
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// `POST /auth/sign-out`: ends the session on the server and clears the cookie.
async fn sign_out(State(state): State<AppState>, req: Request) -> Response {
    let secure = is_https(req.headers(), state.auth.trust_proxy);
    if let Some(session) = session_cookie(req.headers())
        && let Err(err) = state.service.sign_out(&session).await
    {
        tracing::warn!(error = %err, "could not end a session");
    }
    let mut response = see_other("/signin");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0, secure));
    response
}
