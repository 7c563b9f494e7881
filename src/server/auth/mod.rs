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
//! [`Actor::Local`] and may do everything, as before auth existed. `authenticated` (a board
//! credential exists; required for any other address): every route needs a credential.

pub mod limiter;
pub mod middleware;
pub mod policy;
pub mod secret;
pub mod session;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::server::error::AppError;

pub use policy::{Action, authorize};

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

    /// The mode for listening on `bind` when `board_credentials` exist; refuses a
    /// non-loopback address without one.
    pub fn decide(bind: SocketAddr, board_credentials: i64) -> anyhow::Result<Self> {
        if board_credentials > 0 {
            return Ok(Self::Authenticated);
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
    Token { token_id: String },
    /// The session cookie of a signed-in board user.
    Session { user_id: String, email: String },
}

impl Actor {
    /// May see and use the dashboard: a board member, or anyone in local mode.
    pub fn is_board(&self) -> bool {
        matches!(self, Self::Local | Self::Board(_))
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
}

impl Auth {
    pub fn new(
        mode: AuthMode,
        session_ttl: Duration,
        trust_proxy: bool,
        failure_limit: u32,
    ) -> Self {
        Self(Arc::new(AuthInner {
            mode,
            session_ttl,
            trust_proxy,
            limiter: limiter::FailureLimiter::new(failure_limit),
        }))
    }
}

impl std::ops::Deref for Auth {
    type Target = AuthInner;

    fn deref(&self) -> &AuthInner {
        &self.0
    }
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
        assert_eq!(AuthMode::decide(lo, 0).ok(), Some(AuthMode::LocalTrusted));
        assert_eq!(AuthMode::decide(lo6, 0).ok(), Some(AuthMode::LocalTrusted));
        assert_eq!(AuthMode::decide(lo, 1).ok(), Some(AuthMode::Authenticated));
        assert_eq!(AuthMode::decide(any, 2).ok(), Some(AuthMode::Authenticated));
        for public in [any, lan] {
            let err = AuthMode::decide(public, 0)
                .expect_err("refused")
                .to_string();
            assert!(err.contains("costline board create-user"), "{err}");
        }
    }
}
