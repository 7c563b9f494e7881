//! The OpenAPI 3.1 document of the REST API, built from the routes themselves: every route
//! is registered through `utoipa_axum::routes!` from its handler's `#[utoipa::path]`
//! annotation, so a handler without one does not compile into the table, and the document
//! lists exactly what is routed. `tests/api/openapi.rs` fails on any route registered some
//! other way. Served at `/api/openapi.json`, rendered by Redoc at `/api/docs`.

pub mod bodies;

use std::sync::LazyLock;

use axum::{
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, ComponentsBuilder, ContentBuilder, Ref, RefOr, ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use crate::model::FieldError;

/// What every error answer looks like: one readable sentence, and the fields at fault when
/// there are some (for a refused budget hold, the scopes without room).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a schema only: `server::error` renders the same shape
pub struct ErrorAnswer {
    pub error: String,
    pub details: Option<Vec<ErrorDetail>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // a schema only
#[serde(untagged)]
pub enum ErrorDetail {
    Field(FieldError),
    NoRoom(crate::model::HoldShortfall),
}

/// The statuses any `/api` route may answer besides its own: the gate in front of every
/// route (400 for control characters, 401, 403, 429, 415 for a write without JSON), body
/// and time limits, and the faults of the server and its database.
const COMMON_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "Bad input: the fields at fault are named in `details`",
    ),
    (
        "401",
        "No credential, or an unknown one (authenticated mode)",
    ),
    (
        "403",
        "The credential may not do this, or a cross-site write",
    ),
    (
        "404",
        "What the path names does not exist, or no such route",
    ),
    ("405", "The route does not take this method"),
    ("408", "The request took longer than the request timeout"),
    ("409", "A conflict with the current state"),
    ("413", "The body is larger than the route takes"),
    ("415", "A body without `Content-Type: application/json`"),
    (
        "422",
        "The body names something that does not resolve in this company, or a total past 64 bits",
    ),
    ("429", "Too many failed credentials from this address"),
    ("500", "A fault of the server; the body says nothing more"),
    (
        "503",
        "The database cannot be reached, the queue is full, the server is stopping, or the \
         database aborted the write to break a deadlock (with `Retry-After`): nothing was stored",
    ),
];

struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc
            .components
            .get_or_insert_with(|| ComponentsBuilder::new().build());
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A board token or an agent key; not needed in local mode",
                    ))
                    .build(),
            ),
        );
        doc.security = Some(vec![
            SecurityRequirement::default(),
            SecurityRequirement::new("bearer", Vec::<String>::new()),
        ]);
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in COMMON_ERRORS {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::T(error_response(description)));
                }
            }
        }
    }
}

fn error_response(description: &str) -> openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorAnswer")))
                .build(),
        )
        .build()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Costline",
        description = "The ledger and the brake for AI-agent LLM spend: cost events, monthly \
                       budgets, server-side enforcement. docs/API.md in the repository says \
                       the rules behind every field.",
    ),
    components(schemas(ErrorAnswer, ErrorDetail)),
    tags(
        (name = "scopes", description = "Companies, agents and projects"),
        (name = "cost events", description = "Reporting and listing cost events"),
        (name = "reports", description = "Spend over a window"),
        (name = "budget holds", description = "Budget status and holds"),
        (name = "prices", description = "The price book"),
        (name = "keys", description = "Agent keys"),
        (name = "webhooks", description = "Webhook endpoints"),
        (name = "meta", description = "This document and its reference page"),
    ),
)]
struct ApiDoc;

/// The document: the annotated routes of both API routers (the ingest routes carry their
/// `/api` already), with the errors every route may answer.
pub fn document() -> openapi::OpenApi {
    let (_, ingest) = super::ingest_routes().split_for_parts();
    let (_, api) = super::api_routes().split_for_parts();
    let mut doc = ApiDoc::openapi().nest("/api", api);
    doc.merge(ingest);
    Common.modify(&mut doc);
    doc
}

static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| document().to_pretty_json().unwrap_or_default());

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API",
        body = Object, content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// `GET /api/docs`: the reference page, Redoc (vendored from npm into `public/`) reading
/// `/api/openapi.json`.
#[utoipa::path(get, path = "/docs", tag = "meta",
    responses((status = 200, description = "The API reference page", body = String,
        content_type = "text/html")))]
pub async fn docs_page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
