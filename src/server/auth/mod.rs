//! Who is calling, and what they may do.
//!
//! - Authentication (who): [`middleware::authenticate`] runs before every route and puts the
//!   caller, an [`Actor`], in the request's extensions: from `Authorization: Bearer` (a board
//!   token or an agent key) or from the board session cookie. REST handlers take it with the
//!   [`Actor`] extractor; server functions with `crate::api`'s `ctx::actor()`.
//! - Authorization (may this actor do this to this company or agent): [`policy::authorize`],
//!   the one place those rules live.
//!
//! Two modes. `local_trusted` (loopback and no board credential): everyone is
//! [`Actor::Local`] and may do everything, as before auth existed; only requests addressed
//! to this machine by a loopback name are served (see [`origin`]). `authenticated` (a board
//! credential exists; required for any other address and behind a proxy): every route
//! needs a credential.

pub mod credentials;
pub mod limiter;
pub mod middleware;
pub mod origin;
pub mod policy;
pub mod secret;
pub mod session;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::FromRequestParts, http::request::Parts};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::server::{clock::Clock, config::Settings, error::AppError};

pub use policy::{Action, authorize};

/// Whether the browser came over https (through a proxy the settings trust to say so): set
/// on every request by the auth middleware, for cookies that must be `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Https(pub bool);

/// The name of the board session cookie.
pub const SESSION_COOKIE: &str = "costline_session";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Loopback only and no board credential: no sign-in, everything allowed.
    LocalTrusted,
    /// A board credential exists: every request needs a credential.
    Authenticated,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LocalTrusted => "local_trusted",
            Self::Authenticated => "authenticated",
        }
    }

    /// The mode for listening on `bind` (behind a proxy or not) when `board_credentials`
    /// exist; refuses a non-loopback address, or a proxy, without one.
    pub fn decide(
        bind: SocketAddr,
        trust_proxy: bool,
        board_credentials: i64,
    ) -> anyhow::Result<Self> {
        if board_credentials > 0 {
            return Ok(Self::Authenticated);
        }
        if trust_proxy {
            // The proxy listens on loopback too, so the bind address says nothing: whoever
            // reaches the proxy would be trusted.
            anyhow::bail!(
                "refusing to start behind a proxy (COSTLINE_TRUST_PROXY=true) without a board \
                 credential: a proxy forwards requests from anywhere, and local mode would let \
                 every one of them read and change every company's data.\n\
                 Create one first, with the same DATABASE_URL as the server:\n  \
                 costline board create-user --email you@example.com   (to sign in to the dashboard)\n  \
                 costline board create-token                          (for scripts)\n\
                 then start the server again; it will require sign-in. Or unset \
                 COSTLINE_TRUST_PROXY to run on loopback without credentials."
            );
        }
        if bind.ip().is_loopback() {
            return Ok(Self::LocalTrusted);
        }
        anyhow::bail!(
            "refusing to listen on {bind} without a board credential: anyone who can reach \
             that address could read and change every company's data.\n\
             Create one first, with the same DATABASE_URL as the server:\n  \
             costline board create-user --email you@example.com   (to sign in to the dashboard)\n  \
             costline board create-token                          (for scripts)\n\
             then start the server again; it will require sign-in. Or listen on loopback \
             (COSTLINE_BIND=127.0.0.1:3000) to run without credentials."
        )
    }
}

/// The caller of a request, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// `local_trusted` mode: nobody signs in and everything is allowed.
    Local,
    /// A manager: may do everything.
    Board(BoardCredential),
    /// A program holding an agent key: its own agent, its own company's reports.
    Agent {
        key_id: String,
        agent_id: String,
        company_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardCredential {
    /// `Authorization: Bearer clb_...`.
    Token { token_id: String, label: String },
    /// The session cookie of a signed-in board user.
    Session { user_id: String, email: String },
}

impl Actor {
    /// May see and use the dashboard: a board member, or anyone in local mode.
    pub fn is_board(&self) -> bool {
        matches!(self, Self::Local | Self::Board(_))
    }

    /// Who this is, as decisions and the audit trail record it: a board user (id, email),
    /// a board token (id), an agent key (key id, its agent), or local mode.
    pub fn who(&self) -> crate::domain::incident::Actor {
        use crate::domain::incident::{Actor as Who, ActorType};
        match self {
            Self::Local => Who::new(ActorType::Local, "local", "local mode"),
            Self::Board(BoardCredential::Session { user_id, email }) => {
                Who::new(ActorType::BoardUser, user_id, email)
            }
            Self::Board(BoardCredential::Token { token_id, label }) => {
                Who::new(ActorType::BoardToken, token_id, label)
            }
            Self::Agent {
                key_id, agent_id, ..
            } => Who::new(ActorType::AgentKey, key_id, agent_id),
        }
    }
}

/// The REST handlers' way to the caller: 401 when the request carried no valid credential.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or_else(AppError::unauthenticated)
    }
}

/// Auth settings and state shared by every request. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Auth(Arc<AuthInner>);

#[derive(Debug)]
pub struct AuthInner {
    pub mode: AuthMode,
    pub session_ttl: Duration,
    /// Believe `X-Forwarded-For` / `-Proto` / `-Host` (set when behind a reverse proxy).
    pub trust_proxy: bool,
    pub limiter: limiter::FailureLimiter,
    /// The address the server listens on: in local mode, requests must name it.
    pub address: SocketAddr,
    password_checks: Arc<Semaphore>,
}

/// Password checks running at once, at most. Each takes argon2's 19 MiB for a moment; any
/// more at once only queue for the same cores, and unbounded they exhaust memory.
pub const PASSWORD_CHECKS: usize = 4;

/// The right to check one password: held until the check is over, even if the request
/// that asked for it is gone.
#[derive(Debug)]
pub struct PasswordSlot {
    _permit: OwnedSemaphorePermit,
}

impl Auth {
    pub fn new(
        mode: AuthMode,
        settings: &Settings,
        address: SocketAddr,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self(Arc::new(AuthInner {
            mode,
            session_ttl: settings.session_ttl(),
            trust_proxy: settings.trust_proxy,
            limiter: limiter::FailureLimiter::new(settings.auth_failure_limit, clock),
            address,
            password_checks: Arc::new(Semaphore::new(PASSWORD_CHECKS)),
        }))
    }

    /// A free password-check slot, or `None` when [`PASSWORD_CHECKS`] are running.
    pub fn password_slot(&self) -> Option<PasswordSlot> {
        Arc::clone(&self.password_checks)
            .try_acquire_owned()
            .ok()
            .map(|permit| PasswordSlot { _permit: permit })
    }
}

impl std::ops::Deref for Auth {
    type Target = AuthInner;

    fn deref(&self) -> &AuthInner {
        &self.0
    }
}

/// A header map from name/value pairs, for the auth modules' unit tests.
#[cfg(test)]
pub(crate) fn test_headers(pairs: &[(&'static str, &str)]) -> axum::http::HeaderMap {
    let mut h = axum::http::HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, axum::http::HeaderValue::from_str(v).expect("header"));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_need_a_board_credential() {
        let lo: SocketAddr = "127.0.0.1:3000".parse().expect("addr");
        let lo6: SocketAddr = "[::1]:3000".parse().expect("addr");
        let any: SocketAddr = "0.0.0.0:3000".parse().expect("addr");
        let lan: SocketAddr = "192.168.1.20:3000".parse().expect("addr");
        let decide = |bind, credentials| AuthMode::decide(bind, false, credentials).ok();
        assert_eq!(decide(lo, 0), Some(AuthMode::LocalTrusted));
        assert_eq!(decide(lo6, 0), Some(AuthMode::LocalTrusted));
        assert_eq!(decide(lo, 1), Some(AuthMode::Authenticated));
        assert_eq!(decide(any, 2), Some(AuthMode::Authenticated));
        for public in [any, lan] {
            let err = AuthMode::decide(public, false, 0)
                .expect_err("refused")
                .to_string();
            assert!(err.contains("costline board create-user"), "{err}");
        }
    }

    #[test]
    fn a_proxy_needs_a_board_credential_even_on_loopback() {
        let lo: SocketAddr = "127.0.0.1:3000".parse().expect("addr");
        let err = AuthMode::decide(lo, true, 0)
            .expect_err("refused")
            .to_string();
        assert!(err.starts_with("refusing to start behind a proxy"), "{err}");
        assert!(err.contains("costline board create-token"), "{err}");
        assert_eq!(
            AuthMode::decide(lo, true, 1).ok(),
            Some(AuthMode::Authenticated)
        );
    }
}
