//! The open pixel and tracked links of campaign emails (M4). They only exist in the
//! emails of people who agreed to be measured; loading them records an event on the
//! contact only while that consent holds. These are the only GETs that record anything,
//! as a pixel cannot POST; a forged one records nothing.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use candor_app::tracking::PIXEL;
use candor_app::Candor;
use uuid::Uuid;

#[utoipa::path(get, path = "/t/o/{campaign}/{subject}/{signature}", tag = "pages", security(()),
    params(("campaign" = Uuid, Path), ("subject" = Uuid, Path), ("signature" = String, Path)),
    responses((status = 200, description = "A transparent 1×1 GIF, whatever the link; the open is recorded if the link is Candor's and the person agreed to be measured")))]
pub async fn open(
    State(app): State<Candor>,
    Path((campaign, subject, sig)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    // A link whose ids are not even UUIDs is forged like any other: nothing recorded.
    if let (Ok(campaign), Ok(subject)) = (Uuid::parse_str(&campaign), Uuid::parse_str(&subject)) {
        app.record_open(campaign, subject, &sig).await?;
    }
    Ok((
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PIXEL,
    )
        .into_response())
}

#[utoipa::path(get, path = "/t/c/{campaign}/{subject}/{target}/{signature}", tag = "pages", security(()),
    params(("campaign" = Uuid, Path), ("subject" = Uuid, Path), ("target" = String, Path), ("signature" = String, Path)),
    responses((status = 302, description = "To the link's target; the click is recorded if the person agreed to be measured"),
        (status = 404, description = "A forged link: nothing recorded")))]
pub async fn click(
    State(app): State<Candor>,
    Path((campaign, subject, target, sig)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let (Ok(campaign), Ok(subject)) = (Uuid::parse_str(&campaign), Uuid::parse_str(&subject))
    else {
        return Ok(super::pages::unknown_link());
    };
    match app.record_click(campaign, subject, &target, &sig).await? {
        Some(url) => Ok((StatusCode::FOUND, [(header::LOCATION, url)]).into_response()),
        None => Ok(super::pages::unknown_link()),
    }
}
