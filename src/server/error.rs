//! The one error type of the server. Every failure a request can meet is one of these
//! variants; each maps to exactly one status code and one JSON shape,
//! `{"error": "<sentence>", "details": [{"field", "message"}]}`. Server faults (5xx) say
//! nothing internal: their cause is logged here, once.

use std::sync::Arc;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{
    domain::{Field, Invalid},
    model::{FieldError, HoldShortfall},
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed, of the wrong types, or out of range.
    #[error("{message}")]
    Invalid {
        message: String,
        details: Vec<FieldError>,
    },
    /// 401: no credential, or one that is unknown, revoked or expired. Answered with
    /// `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a valid credential that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the resource named in the path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 409: a budget hold that some scope has no room for (or is paused); `details` names
    /// each such scope and what it has left.
    #[error("{}", no_room_message(.0))]
    NoRoom(Vec<HoldShortfall>),
    /// 413: the body is over the limit.
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    /// 422: a reference in the body does not resolve inside this company.
    #[error("{message}")]
    Unprocessable {
        message: String,
        details: Vec<FieldError>,
    },
    /// 400 (`Refusal::Invalid`) or 422 (`Refusal::Unresolved`): the rules refused a command
    /// and named the fields at fault. Each edge spells the fields its own way: the REST API
    /// with [`rest_name`], the dashboard's forms with their input names.
    #[error("{}", refusal_message(.invalid, rest_name))]
    Refused { refusal: Refusal, invalid: Invalid },
    /// 429: too many failed sign-ins or bad credentials from one address.
    #[error("too many failed attempts from this address; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: the database cannot be reached right now (or the server is stopping);
    /// retrying later is safe.
    #[error("the service is unavailable right now; retry later")]
    Unavailable(#[source] Cause),
    /// 503: the database aborted the transaction to break a deadlock or a serialization
    /// conflict, or a lock was not free in time (PostgreSQL): nothing was written, and the
    /// same request again is safe. Unlike [`AppError::Unavailable`], the database is there,
    /// so write health (readiness) does not count it.
    #[error("the database asked to try this again; nothing was changed, retry the request")]
    Busy(#[source] Cause),
    /// 500: a bug or an unexpected database answer.
    #[error("internal server error")]
    Internal(#[source] Cause),
}

/// The hidden cause of a 5xx: logged, never sent.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

pub type AppResult<T> = Result<T, AppError>;

/// How the rules refused a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 400: a value is malformed or out of range.
    Invalid,
    /// 422: a reference does not resolve inside this company, or a total would not fit.
    Unresolved,
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        Self::Refused {
            refusal: Refusal::Invalid,
            invalid,
        }
    }
}

/// The sentence for a refusal, with the fields spelled by `name`.
pub fn refusal_message(invalid: &Invalid, name: fn(Field) -> &'static str) -> String {
    match invalid.problems.as_slice() {
        [one] => format!("invalid field `{}`: {}", name(one.field), one.message),
        many => format!("{} fields are invalid", many.len()),
    }
}

fn no_room_message(short: &[HoldShortfall]) -> String {
    let scopes: Vec<String> = short
        .iter()
        .map(|s| match s.remaining_cents {
            Some(left) => format!("{} {} has {left} cents left", s.scope_type, s.scope_id),
            None => format!("{} {} is paused", s.scope_type, s.scope_id),
        })
        .collect();
    format!("no room for this hold: {}", scopes.join("; "))
}

/// The REST API's name for a field of a command: its JSON field.
pub fn rest_name(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::MonthlyBudget => "budgetMonthlyCents",
        Field::MaxHourly => "maxHourlyCents",
        Field::Status => "status",
        Field::Agent => "agentId",
        Field::Project => "projectId",
        Field::Provider => "provider",
        Field::Model => "model",
        Field::InputTokens => "inputTokens",
        Field::CachedInputTokens => "cachedInputTokens",
        Field::CacheWriteTokens => "cacheWriteTokens",
        Field::OutputTokens => "outputTokens",
        Field::Cost => "costCents",
        Field::OccurredAt => "occurredAt",
        Field::EventKey => "eventKey",
        Field::Events => "events",
        Field::Month => "month",
        Field::From => "from",
        Field::To => "to",
        Field::Limit => "limit",
        Field::Cursor => "cursor",
        Field::EffectiveFrom => "effectiveFrom",
        Field::InputPrice => "inputMicroCentsPerMTok",
        Field::CachedInputPrice => "cachedInputMicroCentsPerMTok",
        Field::CacheWritePrice => "cacheWriteMicroCentsPerMTok",
        Field::OutputPrice => "outputMicroCentsPerMTok",
        Field::Source => "source",
        Field::Amount => "amountCents",
        Field::Ttl => "ttlSeconds",
        Field::HoldKey => "holdKey",
        Field::Hold => "holdId",
        Field::Apply => "apply",
        Field::Url => "url",
        Field::Format => "format",
        Field::Enabled => "enabled",
        Field::Note => "decisionNote",
        Field::Reason => "reason",
        Field::ActorType => "actorType",
        Field::TargetType => "targetType",
        Field::GroupBy => "groupBy",
    }
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A 400 naming the fields at fault; the message summarises them.
    pub fn invalid_fields(details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("invalid field `{}`: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self::Invalid { message, details }
    }

    /// A 422 about one field: a reference that does not resolve in this company, or a
    /// total that would not fit.
    pub fn unresolved(field: Field, message: impl Into<String>) -> Self {
        Self::Refused {
            refusal: Refusal::Unresolved,
            invalid: Invalid::one(field, message),
        }
    }

    /// The 401 for a request without a (valid) credential.
    pub fn unauthenticated() -> Self {
        Self::Unauthorized(
            "authentication required: sign in, or send `Authorization: Bearer <token or key>`"
                .into(),
        )
    }

    /// The 403 for anything outside what a credential may do. One sentence for all of it,
    /// so a refusal tells nothing about what exists.
    pub fn forbidden() -> Self {
        Self::Forbidden("this credential may not do this".into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let cause: Box<dyn std::error::Error + Send + Sync> = message.into().into();
        Self::Internal(cause.into())
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let cause: Box<dyn std::error::Error + Send + Sync> = message.into().into();
        Self::Unavailable(cause.into())
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::NoRoom(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Refused { refusal, .. } => match refusal {
                Refusal::Invalid => StatusCode::BAD_REQUEST,
                Refusal::Unresolved => StatusCode::UNPROCESSABLE_ENTITY,
            },
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The fields at fault, as the REST API names them.
    pub fn details(&self) -> Vec<FieldError> {
        self.details_named(rest_name)
    }

    /// The fields at fault, the rules' fields spelled by `name`.
    pub fn details_named(&self, name: fn(Field) -> &'static str) -> Vec<FieldError> {
        match self {
            Self::Invalid { details, .. } | Self::Unprocessable { details, .. } => details.clone(),
            Self::Refused { invalid, .. } => invalid
                .problems
                .iter()
                .map(|p| FieldError::new(name(p.field), p.message.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        // A safety net behind the input checks: PostgreSQL refuses text with a NUL (or bytes
        // its encoding cannot hold) as SQLSTATE 22021; that is bad input, not a fault.
        if let sqlx::Error::Database(db) = &err
            && db.code().as_deref() == Some("22021")
        {
            tracing::info!(error = %err, "refused text the database cannot store");
            return Self::invalid("the request contains characters that cannot be stored");
        }
        if is_busy(&err) {
            return Self::Busy(Arc::new(err));
        }
        if is_unavailable(&err) {
            Self::Unavailable(Arc::new(err))
        } else {
            Self::Internal(Arc::new(err))
        }
    }
}

/// PostgreSQL aborted the transaction and asks for it again: a serialization failure, a
/// deadlock, or a lock not free within `lock_timeout`.
pub fn is_busy(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01" | "55P03"))
    )
}

/// Errors that mean "the database is not there right now" rather than "this query is wrong".
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many
            // connections, disk full, out of memory, I/O error.
            Some("57P01" | "57P02" | "57P03" | "53300" | "53100" | "53200" | "58030") => true,
            // SQLite (extended codes; the low byte is the primary code): busy or locked
            // beyond the busy timeout, a full disk, an I/O error, a read-only or
            // unopenable file.
            Some(code) if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => code
                .parse::<i32>()
                .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 8 | 10 | 13 | 14)),
            Some(_) => false,
            None => false,
        },
        _ => false,
    }
}

#[derive(Serialize)]
struct ErrorBody<D> {
    error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<D>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        match &self {
            Self::Internal(cause) => tracing::error!(error = %cause, ?cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            Self::Busy(cause) => {
                tracing::warn!(error = %cause, "the database aborted a transaction; the caller may retry")
            }
            _ => {}
        }
        let mut response = match &self {
            Self::NoRoom(short) => {
                let body = ErrorBody {
                    error: self.to_string(),
                    details: short.clone(),
                };
                (status, Json(body)).into_response()
            }
            _ => {
                let body = ErrorBody {
                    error: self.to_string(),
                    details: self.details(),
                };
                (status, Json(body)).into_response()
            }
        };
        match &self {
            Self::Unauthorized(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"costline\""),
                );
            }
            Self::TooManyRequests { retry_after_secs } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::Busy(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

impl AppError {
    /// How the dashboard's server functions see an error: same status, same sentence, same
    /// field details as the REST API, with the rules' fields spelled by `name` (a form's
    /// input names).
    pub fn for_dashboard(self, name: fn(Field) -> &'static str) -> crate::model::ApiError {
        match &self {
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            AppError::Busy(cause) => {
                tracing::warn!(error = %cause, "the database aborted a transaction; the caller may retry")
            }
            _ => {}
        }
        let message = match &self {
            AppError::Refused { invalid, .. } => refusal_message(invalid, name),
            other => other.to_string(),
        };
        crate::model::ApiError {
            status: self.status_code().as_u16(),
            message,
            details: self.details_named(name),
            target: None,
        }
    }
}

impl From<AppError> for crate::model::ApiError {
    fn from(err: AppError) -> Self {
        err.for_dashboard(rest_name)
    }
}
