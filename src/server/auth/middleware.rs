//! Authentication of every request, before routing: finds the caller (an [`Actor`]) from
//! `Authorization: Bearer` or the board session cookie and leaves it in the request's
//! extensions; refuses cross-site writes (CSRF); sends the dashboard's pages to sign-in.
//!
//! - A bearer token that is malformed, unknown or revoked is a 401 at once, and counts as a
//!   failure of the caller's address (see [`super::limiter`]).
//! - A session cookie that is unknown or expired is ignored, as if absent.
//! - No credential: the request goes on without an actor; REST handlers then answer 401
//!   (their [`Actor`] extractor), server functions too, pages redirect to `/signin`.
//! - Writes (POST, PUT, PATCH, DELETE) not made with a bearer token must come from our own
//!   origin: an `Origin` (or, without one, `Referer`) naming another host is a 403, and with
//!   a session cookie, to `/auth/...`, or to the dashboard in local mode, one of the two must
//!   be there. Browsers always send `Origin` on such requests; other sites cannot forge it.
//!   See [`super::origin`], which also keeps DNS-rebound pages out of local mode.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};

use super::{
    Actor, Auth, AuthMode, SESSION_COOKIE,
    origin::{check_local_host, check_same_origin},
};
use crate::{
    domain::url_encode,
    server::{error::AppError, service::Service},
};

/// What the middleware needs, and only that: it runs on every request, and cloning the
/// whole application state (with its Leptos options) each time showed in the profile.
#[derive(Clone)]
pub struct Gate {
    pub auth: Auth,
    pub service: Service,
}

/// Who is calling: leaves the [`Actor`] (if any) and whether the request came over HTTPS
/// in `req`'s extensions, or answers the refusal.
pub async fn authenticate(state: &Gate, req: &mut Request) -> Result<(), Response> {
    let auth = &state.auth;
    let path = req.uri().path();
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let bearer = match bearer_token(req.headers()) {
        Ok(bearer) => bearer,
        Err(err) => return Err(err.into_response()),
    };
    let cookie = session_cookie(req.headers());
    let local = auth.mode == AuthMode::LocalTrusted;

    if local && let Err(err) = check_local_host(req.headers(), req.uri(), auth.address) {
        return Err(err.into_response());
    }
    if writes && bearer.is_none() {
        // Only a browser posts to the dashboard; in local mode that post needs no credential,
        // so it must prove where it comes from.
        let must_vouch =
            cookie.is_some() || path.starts_with("/auth/") || (local && !path.starts_with("/api/"));
        if let Err(err) = check_same_origin(req.headers(), auth.trust_proxy, must_vouch) {
            return Err(err.into_response());
        }
    }

    let actor = match auth.mode {
        AuthMode::LocalTrusted => Some(Actor::Local),
        AuthMode::Authenticated => {
            if let Some(token) = bearer {
                let ip = client_ip(req, auth.trust_proxy);
                if let Err(retry_after_secs) = auth.limiter.check(ip) {
                    return Err(AppError::TooManyRequests { retry_after_secs }.into_response());
                }
                match state.service.authenticate_bearer(&token).await {
                    Ok(Some(actor)) => Some(actor),
                    Ok(None) => {
                        auth.limiter.fail(ip);
                        tracing::info!(%ip, "refused an unknown or revoked bearer credential");
                        return Err(AppError::Unauthorized(
                            "the credential is not valid: unknown, revoked or mistyped".into(),
                        )
                        .into_response());
                    }
                    Err(err) => return Err(err.into_response()),
                }
            } else if let Some(session) = cookie {
                match state.service.session_actor(&session).await {
                    Ok(actor) => actor,
                    Err(err) => return Err(err.into_response()),
                }
            } else {
                None
            }
        }
    };

    let board = actor.as_ref().is_some_and(Actor::is_board);
    if !board && matches!(*req.method(), Method::GET | Method::HEAD) && is_dashboard_page(path) {
        let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        return Err(Redirect::to(&format!("/signin?next={}", url_encode(target))).into_response());
    }
    if let Some(actor) = actor {
        req.extensions_mut().insert(actor);
    }
    let https = super::Https(is_https(req.headers(), auth.trust_proxy));
    req.extensions_mut().insert(https);
    Ok(())
}

/// The dashboard pages that need a signed-in board user. `/signin` and the assets do not.
fn is_dashboard_page(path: &str) -> bool {
    matches!(path, "/" | "/companies" | "/prices") || path.starts_with("/companies/")
}

/// The token of `Authorization: Bearer <token>`; a 401 for any other use of the header.
fn bearer_token(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(AppError::Unauthorized(
            "the Authorization header must be `Bearer <token or key>`".into(),
        )),
    }
}

/// The value of our session cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(str::to_owned)
}

/// The first non-empty value of the cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, value)| *n == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// The caller's address: the peer, or with `trust_proxy` the last `X-Forwarded-For` entry.
/// The proxy appends the address it saw to whatever the client sent, so only the last entry
/// is the proxy's word; the ones before it are the client's own.
pub fn client_ip(req: &Request, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| req.headers().get_all("x-forwarded-for").iter().next_back())
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| {
            let v = v.trim();
            v.parse()
                .ok()
                .or_else(|| v.parse::<SocketAddr>().ok().map(|a| a.ip()))
        });
    forwarded.unwrap_or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
    })
}

/// Whether the browser reached us over https: only known behind a proxy that says so.
pub fn is_https(headers: &HeaderMap, trust_proxy: bool) -> bool {
    trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// Where to go after signing in: a path on this site, never another site. Only plain path
/// and query characters pass: browsers drop tabs and newlines from a URL and read `\` as
/// `/`, so `/\t/evil.example` would otherwise lead to `//evil.example`.
pub fn safe_next(next: Option<&str>) -> String {
    let safe_char = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '/' | '-' | '_' | '.' | '~' | '?' | '=' | '&' | '%' | '+')
    };
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2048
                && n.chars().all(safe_char) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// 303 See Other: after a form post, the browser fetches `to` with GET.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::test_headers as headers;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/companies/a?month=2026-11")),
            "/companies/a?month=2026-11"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        for tricky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /x",
            "/x\"y",
            "/<x>",
        ] {
            assert_eq!(safe_next(Some(tricky)), "/", "{tricky:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            url_encode("/companies/a?month=2026-11"),
            "/companies/a%3Fmonth%3D2026-11"
        );
    }

    #[test]
    fn cookies_and_bearers_are_read_exactly() {
        let h = headers(&[("cookie", "a=1; costline_session=abc; b=2")]);
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "costline_session=")])),
            None
        );
        let h = headers(&[("authorization", "Bearer  cla_x_y ")]);
        assert_eq!(bearer_token(&h).ok().flatten().as_deref(), Some("cla_x_y"));
        assert!(bearer_token(&headers(&[("authorization", "Basic dXNlcg==")])).is_err());
        assert!(bearer_token(&headers(&[("authorization", "Bearer ")])).is_err());
    }
}
