//! The price book: list, edit, import.

use leptos::prelude::*;

use crate::model::ApiError;

#[cfg(feature = "ssr")]
use crate::{model::FieldError, server::auth::Action};

#[cfg(feature = "ssr")]
use super::ctx;

/// The whole price book.
#[server(prefix = "/rpc", endpoint = "prices")]
pub async fn get_prices() -> Result<Vec<crate::model::ModelPrice>, ApiError> {
    ctx::allowed(crate::server::auth::Action::ManagePrices)?
        .list_prices()
        .await
        .map_err(ctx::fail)
}

/// Adds or changes a price; amounts in dollars per million tokens, as typed.
#[server(prefix = "/rpc", endpoint = "put_price")]
pub async fn put_price(
    provider: String,
    model: String,
    effective_from: String,
    input: String,
    cached_input: String,
    cache_write: String,
    output: String,
) -> Result<(), ApiError> {
    use crate::{domain::money::parse_price_per_mtok, server::service::prices::PriceInput};
    let mut details = Vec::new();
    let mut amount = |field: &str, value: &str, required: bool| -> Option<i64> {
        if value.trim().is_empty() && !required {
            return None;
        }
        parse_price_per_mtok(value)
            .map(|p| p.get())
            .map_err(|m| details.push(FieldError::new(field, m)))
            .ok()
    };
    let input_price = amount("input", &input, true);
    let cached = amount("cachedInput", &cached_input, false);
    let write = amount("cacheWrite", &cache_write, false);
    let output_price = amount("output", &output, true);
    if !details.is_empty() {
        return Err(ctx::answer(ApiError {
            status: 400,
            message: "Some prices are not valid amounts.".into(),
            details,
            target: None,
        }));
    }
    let price = PriceInput {
        provider,
        model,
        effective_from,
        input: input_price,
        cached_input: cached,
        cache_write: write,
        output: output_price,
        long_context: None,
        source: Some("set in the dashboard".into()),
    };
    let (service, who) = ctx::allowed_as(crate::server::auth::Action::ManagePrices)?;
    service
        .put_price(price, &who)
        .await
        .map(|_| ())
        .map_err(|e| {
            let mut e = ctx::fail(e);
            for d in &mut e.details {
                d.field = match d.field.as_str() {
                    "inputMicroCentsPerMTok" => "input".into(),
                    "outputMicroCentsPerMTok" => "output".into(),
                    "cachedInputMicroCentsPerMTok" => "cachedInput".into(),
                    "cacheWriteMicroCentsPerMTok" => "cacheWrite".into(),
                    other => other.to_owned(),
                };
            }
            e
        })
}

/// The models events named this month (UTC) that the book did not price, and the first
/// day of this month (`YYYY-MM-DD`), from which a price for them would cover those events.
#[server(prefix = "/rpc", endpoint = "unpriced_models")]
pub async fn get_unpriced_models() -> Result<(String, Vec<crate::model::UnpricedModel>), ApiError> {
    let service = ctx::allowed(Action::ManagePrices)?;
    let month = crate::domain::time::Month::of(service.now()).first_day();
    let models = service.unpriced_models().await.map_err(ctx::fail)?;
    Ok((month.to_string(), models))
}

/// The diff of a price map uploaded in the dashboard, against the book as it is now.
#[server(prefix = "/rpc", endpoint = "price_import")]
pub async fn get_price_import(id: String) -> Result<crate::model::PriceImportReport, ApiError> {
    ctx::allowed(Action::ManagePrices)?
        .price_import_draft(&id)
        .await
        .map_err(ctx::fail)
}

/// Applies an uploaded price map, then goes back to the price book saying how many prices
/// it added.
#[server(prefix = "/rpc", endpoint = "apply_price_import")]
pub async fn apply_price_import(draft_id: String) -> Result<(), ApiError> {
    let (service, who) = ctx::allowed_as(Action::ManagePrices)?;
    let report = service
        .apply_price_import(&draft_id, &who)
        .await
        .map_err(ctx::fail)?;
    let added = report.new.len() + report.changed.len();
    leptos_axum::redirect(&format!("/prices?imported={added}#import"));
    Ok(())
}
