//! The price book, and repricing a company's unpriced events.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::Value;

use super::extract::{Fields, JsonObject, Params, window_query};
use crate::{
    model::{FieldError, ModelPrice, RepriceReport},
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        service::{
            Service,
            prices::{LongContextInput, PriceInput},
        },
    },
};

/// `GET /api/model-prices`
#[utoipa::path(get, path = "/model-prices", tag = "prices",
    responses((status = 200, description = "The price book", body = Vec<ModelPrice>)))]
pub async fn list_model_prices(
    actor: Actor,
    State(service): State<Service>,
) -> AppResult<Json<Vec<ModelPrice>>> {
    authorize(&actor, Action::ManagePrices)?;
    Ok(Json(service.list_prices().await?))
}

/// The optional `longContext` object of a price, its fields named `longContext.<name>`.
fn long_context(body: &JsonObject) -> AppResult<Option<LongContextInput>> {
    let object = match body.0.get("longContext") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(AppError::invalid_fields(vec![FieldError::new(
                "longContext",
                "must be an object (or null)",
            )]));
        }
    };
    let mut f = Fields::of(object);
    let tier = LongContextInput {
        above_input_tokens: f.required_int("aboveInputTokens"),
        input: f.required_int("inputMicroCentsPerMTok"),
        cached_input: f.int("cachedInputMicroCentsPerMTok"),
        cache_write: f.int("cacheWriteMicroCentsPerMTok"),
        output: f.int("outputMicroCentsPerMTok"),
    };
    f.finish().map_err(|e| {
        let details = e
            .details()
            .iter()
            .map(|d| FieldError::new(format!("longContext.{}", d.field), d.message.clone()))
            .collect();
        AppError::invalid_fields(details)
    })?;
    Ok(Some(tier))
}

/// `PUT /api/model-prices`: adds a price (201) or changes the one with the same provider,
/// model and effective date (200).
#[utoipa::path(put, path = "/model-prices", tag = "prices", request_body = crate::server::rest::openapi::bodies::PriceInput,
    responses(
        (status = 201, description = "A new price", body = ModelPrice),
        (status = 200, description = "A changed price", body = ModelPrice),
    ))]
pub async fn put_model_price(
    actor: Actor,
    State(service): State<Service>,
    body: JsonObject,
) -> AppResult<(StatusCode, Json<ModelPrice>)> {
    authorize(&actor, Action::ManagePrices)?;
    let mut f = Fields::new(&body);
    let input = PriceInput {
        provider: f.required_string("provider"),
        model: f.required_string("model"),
        effective_from: f.required_string("effectiveFrom"),
        input: f.required_int("inputMicroCentsPerMTok"),
        cached_input: f.int("cachedInputMicroCentsPerMTok"),
        cache_write: f.int("cacheWriteMicroCentsPerMTok"),
        output: f.required_int("outputMicroCentsPerMTok"),
        long_context: None,
        source: f.string("source"),
    };
    // Every bad field at once, top level and long-context alike.
    let input = match (f.finish(), long_context(&body)) {
        (Ok(()), Ok(long_context)) => PriceInput {
            long_context,
            ..input
        },
        (Err(a), Err(b)) => {
            let details = a.details().into_iter().chain(b.details()).collect();
            return Err(AppError::invalid_fields(details));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let (price, created) = service.put_price(input, &actor.who()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(price)))
}

/// The `apply` query parameter: absent or `false` is a dry run.
pub(super) fn apply_flag(params: &Params) -> AppResult<bool> {
    match params.get("apply").as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(AppError::invalid_fields(vec![FieldError::new(
            "apply",
            "must be true or false",
        )])),
    }
}

/// `POST /api/companies/{companyId}/reprice?month=|from=&to=[&apply=true]`: a dry run
/// unless `apply=true`.
#[utoipa::path(post, path = "/companies/{company_id}/reprice", tag = "prices",
    params(("company_id" = String, Path, description = "A company's id"), ("month" = Option<String>, Query, description = "`YYYY-MM`; default: the current UTC month"), ("from" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, inclusive; with `to`"), ("to" = Option<String>, Query, description = "RFC 3339 or `YYYY-MM-DD`, exclusive; with `from`"), ("apply" = Option<bool>, Query, description = "`true` writes; default a dry run")),
    responses((status = 200, description = "What repricing found (and did)", body = RepriceReport)))]
pub async fn reprice_company(
    actor: Actor,
    State(service): State<Service>,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<RepriceReport>> {
    authorize(&actor, Action::RepriceCompany(&company_id))?;
    let apply = apply_flag(&params)?;
    Ok(Json(
        service
            .reprice(&company_id, &window_query(&params), apply)
            .await?,
    ))
}
