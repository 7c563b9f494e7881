//! The price book, and repricing a company's unpriced events.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::extract::{Fields, JsonObject, Params, window_query};
use crate::{
    model::{FieldError, ModelPrice, RepriceReport},
    server::{
        auth::{Action, Actor, authorize},
        error::{AppError, AppResult},
        service::{Service, prices::PriceInput},
    },
};

/// `GET /api/model-prices`
pub async fn list_model_prices(
    actor: Actor,
    State(service): State<Service>,
) -> AppResult<Json<Vec<ModelPrice>>> {
    authorize(&actor, Action::ManagePrices)?;
    Ok(Json(service.list_prices().await?))
}

/// `PUT /api/model-prices`: adds a price (201) or changes the one with the same provider,
/// model and effective date (200).
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
        source: f.string("source"),
    };
    f.finish()?;
    let (price, created) = service.put_price(input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(price)))
}

/// `POST /api/companies/{companyId}/reprice?month=|from=&to=[&apply=true]`: a dry run
/// unless `apply=true`.
pub async fn reprice_company(
    actor: Actor,
    State(service): State<Service>,
    Path(company_id): Path<String>,
    params: Params,
) -> AppResult<Json<RepriceReport>> {
    authorize(&actor, Action::RepriceCompany(&company_id))?;
    let apply = match params.get("apply").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(AppError::invalid_fields(vec![FieldError::new(
                "apply",
                "must be true or false",
            )]));
        }
    };
    Ok(Json(
        service
            .reprice(&company_id, &window_query(&params), apply)
            .await?,
    ))
}
