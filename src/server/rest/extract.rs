//! Request extraction that answers in our error shape: a bad body or query string is a
//! 400 JSON error naming the field, never axum's plain-text rejection; a body that is not
//! declared JSON is a 415 before anyone reads it.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{
    model::FieldError,
    server::{
        auth::Actor,
        error::{AppError, AppResult},
    },
};

/// Most bytes a request body may have.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Most bytes a batch request body may have (1,000 events).
pub const BATCH_BODY_LIMIT: usize = 1024 * 1024;

/// Whether a write to the API declares its body JSON: `Content-Type: application/json`
/// (parameters allowed), or no body and no content type at all (`POST .../keys`). Anything
/// else is what an HTML form or a `no-cors` fetch from another site can send, and the API
/// never takes it.
fn declares_json(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        Some(value) => value.to_str().is_ok_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
        }),
        None => {
            !headers.contains_key(header::TRANSFER_ENCODING)
                && headers
                    .get(header::CONTENT_LENGTH)
                    .is_none_or(|len| len.as_bytes() == b"0")
        }
    }
}

/// A 415 for a write under `/api` whose body is not declared JSON (see [`declares_json`]),
/// in every auth mode. A caller without a credential is left to the route's 401: it learns
/// nothing about what the route takes.
pub fn require_json_writes(req: &Request) -> Option<Response> {
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let anonymous = req.extensions().get::<Actor>().is_none();
    if reads || anonymous || !req.uri().path().starts_with("/api/") || declares_json(req.headers())
    {
        return None;
    }
    let body = serde_json::json!({
        "error": "the request body must be JSON, sent with `Content-Type: application/json`",
    });
    Some((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response())
}

/// A JSON object body, read within `LIMIT` bytes (413 beyond).
pub struct JsonObject<const LIMIT: usize = BODY_LIMIT>(pub Map<String, Value>);

/// The body of `req`, at most `LIMIT` bytes: 413 beyond (the route's `DefaultBodyLimit`
/// stops reading there).
pub async fn read_body<const LIMIT: usize>(req: Request) -> AppResult<Bytes> {
    let bytes = Bytes::from_request(req, &()).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::invalid("the request body could not be read")
        }
    })?;
    if bytes.len() > LIMIT {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(bytes)
}

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for JsonObject<LIMIT> {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body::<LIMIT>(req).await?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::invalid(format!("the request body is not valid JSON: {e}")))?;
        match value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(AppError::invalid("the request body must be a JSON object")),
        }
    }
}

/// The query string as a map; repeated keys keep the last value.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|Query(map)| Self(map))
            .map_err(|_| AppError::invalid("the query string could not be parsed"))
    }
}

impl Params {
    /// A non-empty parameter.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    pub fn int(&self, name: &str) -> AppResult<Option<i64>> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    AppError::invalid_fields(vec![FieldError::new(name, "must be an integer")])
                })
            })
            .transpose()
    }
}

/// Reads typed fields from a JSON object, collecting one error per bad field.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn new<const LIMIT: usize>(body: &'a JsonObject<LIMIT>) -> Self {
        Self::of(&body.0)
    }

    pub fn of(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            errors: Vec::new(),
        }
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&mut self, name: &str, message: &str) {
        self.errors.push(FieldError::new(name, message));
    }

    /// Records a field whose value the caller found wrong.
    pub fn reject(&mut self, name: &str, message: &str) {
        self.wrong(name, message);
    }

    /// An optional string; `null` counts as absent.
    pub fn string(&mut self, name: &str) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong(name, "must be a string");
                None
            }
        }
    }

    /// A required string; the empty string is left for the service to judge.
    pub fn required_string(&mut self, name: &str) -> String {
        if self.present(name).is_none() {
            self.wrong(name, "is required");
            return String::new();
        }
        self.string(name).unwrap_or_default()
    }

    /// An optional integer within 64 bits; `null` counts as absent.
    pub fn int(&mut self, name: &str) -> Option<i64> {
        match self.present(name)? {
            Value::Number(n) => {
                if let Some(v) = n.as_i64() {
                    Some(v)
                } else if n.is_u64() {
                    self.wrong(name, "is too large (at most 9223372036854775807)");
                    None
                } else {
                    self.wrong(name, "must be a whole number, within 64-bit range");
                    None
                }
            }
            _ => {
                self.wrong(name, "must be an integer");
                None
            }
        }
    }

    pub fn required_int(&mut self, name: &str) -> Option<i64> {
        if self.present(name).is_none() {
            self.wrong(name, "is required");
            return None;
        }
        self.int(name)
    }

    /// An optional boolean; `null` counts as absent.
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        match self.present(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong(name, "must be true or false");
                None
            }
        }
    }

    /// An optional list of strings, at most `max` of them; `null` counts as absent.
    pub fn strings(&mut self, name: &str, max: usize) -> Option<Vec<String>> {
        let list = match self.present(name)? {
            Value::Array(items) if items.len() <= max => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>(),
            Value::Array(_) => {
                self.wrong(name, &format!("must have at most {max} items"));
                return None;
            }
            _ => None,
        };
        if list.is_none() {
            self.wrong(name, "must be a list of strings");
        }
        list
    }

    /// An optional RFC 3339 instant with any offset.
    pub fn instant(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let raw = self.string(name)?;
        match DateTime::parse_from_rfc3339(&raw) {
            Ok(t) if (1970..=9999).contains(&chrono::Datelike::year(&t.with_timezone(&Utc))) => {
                Some(t.with_timezone(&Utc))
            }
            _ => {
                self.wrong(
                    name,
                    "must be an RFC 3339 timestamp, like 2026-11-28T12:00:00Z",
                );
                None
            }
        }
    }

    /// 400 naming every bad field, if there were any.
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(self.errors))
        }
    }
}

/// A window query (`month`, or `from` and `to`) from the query string.
pub fn window_query(params: &Params) -> crate::server::service::reports::WindowQuery {
    crate::server::service::reports::WindowQuery {
        month: params.get("month"),
        from: params.get("from"),
        to: params.get("to"),
    }
}
