//! The record of processing activities (S5, Art. 30): JSON or CSV, in French or
//! English, generated from the catalogue each time. dpo and admin.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use candor_app::Candor;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisterParams {
    /// json (default) or csv.
    format: Option<String>,
    /// fr (default) or en: the language of the CSV's headers and texts (the JSON holds
    /// both).
    lang: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/register", tag = "catalogue", params(RegisterParams),
    responses(
        (status = 200, description = "The record of processing activities (Art. 30), one activity per purpose of the catalogue: lawful bases, people concerned, data field by field, recipients (roles) with their reasons, retention, transfers, security measures. JSON, or CSV with `format=csv`", content(
            (serde_json::Value = "application/json"),
            (String = "text/csv")
        )),
        (status = 400, description = "An unknown format or language", body = ErrorBody),
        (status = 403, description = "Only the dpo and admin read the register", body = ErrorBody),
    ))]
pub async fn get_register(
    State(app): State<Candor>,
    auth: Auth,
    ApiQuery(p): ApiQuery<RegisterParams>,
) -> Result<Response, ApiError> {
    let bad = |field: &'static str, rule: &'static str, msg: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", msg.to_owned())
            .with_field(field)
            .with_rule(rule)
    };
    let fr = match p.lang.as_deref() {
        None | Some("fr") => true,
        Some("en") => false,
        Some(_) => return Err(bad("lang", "lang", "lang: must be fr or en")),
    };
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(bad("format", "format", "format: must be json or csv")),
    };
    let r = app.processing_register(&auth.actor)?;
    if !csv {
        return Ok(Json(r).into_response());
    }
    let body = candor_app::register::to_csv(&r, fr)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                if fr {
                    "attachment; filename=\"registre-des-traitements.csv\""
                } else {
                    "attachment; filename=\"processing-register.csv\""
                },
            ),
        ],
        body,
    )
        .into_response())
}
