//! Importing LiteLLM's price map: the REST route (the map is the body) and the
//! dashboard's upload form (a plain multipart post that answers with a redirect to the
//! import's diff, so it works without JavaScript).

use axum::{
    Json,
    extract::{Multipart, Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{
    extract::{Params, read_body},
    prices::apply_flag,
};
use crate::{
    domain::url_encode,
    model::{FieldError, PriceImportReport},
    server::{
        auth::{Action, Actor, authorize, middleware::see_other},
        error::{AppError, AppResult},
        service::{Service, price_import::ImportOptions},
    },
};

/// Most bytes of a price map: LiteLLM's whole map is about 3.5 MB.
pub const IMPORT_BODY_LIMIT: usize = 8 * 1024 * 1024;

fn not_utf8() -> AppError {
    AppError::invalid_fields(vec![FieldError::new("file", "must be JSON in UTF-8")])
}

/// `POST /api/model-prices/import?apply=&effectiveFrom=&providers=&source=&fileName=`: the
/// body is a LiteLLM price map. Answers its diff against the book; with `apply=true` the
/// new and changed prices are added from `effectiveFrom` (default: today) on.
#[utoipa::path(post, path = "/model-prices/import", tag = "prices",
    params(
        ("apply" = Option<bool>, Query, description = "`true` adds the new and changed prices"),
        ("effectiveFrom" = Option<String>, Query, description = "From when they apply; default today"),
        ("providers" = Option<String>, Query, description = "Comma-separated; default `anthropic,openai,google`"),
        ("source" = Option<String>, Query, description = "Where the map comes from"),
        ("fileName" = Option<String>, Query, description = "The map's file name, for the record"),
    ),
    request_body(content = Object, description = "LiteLLM's model_prices_and_context_window.json", content_type = "application/json"),
    responses((status = 200, description = "The map's diff against the book", body = PriceImportReport)))]
pub async fn import_model_prices(
    actor: Actor,
    State(service): State<Service>,
    params: Params,
    req: Request,
) -> AppResult<Json<PriceImportReport>> {
    authorize(&actor, Action::ManagePrices)?;
    let apply = apply_flag(&params)?;
    let body = read_body::<IMPORT_BODY_LIMIT>(req).await?;
    let text = std::str::from_utf8(&body).map_err(|_| not_utf8())?;
    let options = ImportOptions {
        file_name: params
            .get("fileName")
            .unwrap_or_else(|| "request body".into()),
        providers: params.get("providers"),
        effective_from: params.get("effectiveFrom"),
        source: params.get("source"),
    };
    Ok(Json(
        service
            .import_prices(text, options, apply, &actor.who())
            .await?,
    ))
}

/// The upload form's fields: `map` (the file), `providers`, `effective_from`.
async fn read_form(mut form: Multipart) -> AppResult<(String, ImportOptions)> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::invalid("the form could not be read")
        }
    };
    let mut text = None;
    let mut options = ImportOptions::default();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "map" => {
                options.file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(unreadable)?;
                text = Some(String::from_utf8(bytes.to_vec()).map_err(|_| not_utf8())?);
            }
            "providers" => options.providers = Some(field.text().await.map_err(unreadable)?),
            "effective_from" => {
                options.effective_from = Some(field.text().await.map_err(unreadable)?);
            }
            _ => {}
        }
    }
    let text = text.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        AppError::invalid_fields(vec![FieldError::new(
            "file",
            "choose a price map to upload",
        )])
    })?;
    Ok((text, options))
}

/// An error as one line for the page: the sentence, then the first fields at fault.
fn one_line(err: &AppError) -> String {
    let mut line = err.to_string();
    for d in err.details().iter().take(5) {
        line.push_str(&format!("; {}: {}", d.field, d.message));
    }
    line.chars().take(1_000).collect()
}

/// `POST /prices/import` (the dashboard's upload form): reads the map and keeps it as a
/// draft, then sends the browser to `/prices?import=<id>` to see its diff and apply it; on
/// a bad map, back to `/prices?importError=<what is wrong>`.
pub async fn upload_price_map(
    actor: Actor,
    State(service): State<Service>,
    form: Multipart,
) -> Response {
    if let Err(err) = authorize(&actor, Action::ManagePrices) {
        return err.into_response();
    }
    let staged = match read_form(form).await {
        Ok((text, options)) => service.stage_price_import(&text, options).await,
        Err(err) => Err(err),
    };
    match staged {
        Ok(id) => see_other(&format!("/prices?import={id}#import")),
        Err(err @ (AppError::Internal(_) | AppError::Unavailable(_) | AppError::Busy(_))) => {
            err.into_response()
        }
        Err(err) => see_other(&format!(
            "/prices?importError={}#import",
            url_encode(&one_line(&err))
        )),
    }
}
