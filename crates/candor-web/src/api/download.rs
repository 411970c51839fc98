//! The person's download of their data (R5): the emailed link shows one button (a GET
//! changes nothing, so a mail scanner following it spends nothing); the POST makes the
//! bundle and sends it. An unknown or expired link gets the page every forged link gets.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use candor_app::{AppError, Candor};
use std::io::{Seek, SeekFrom};

/// A bundle written into its temporary file, sent as the response body chunk by chunk
/// (a large bundle is never held in memory whole).
pub(crate) fn zip_response(mut file: std::fs::File, filename: &str) -> Result<Response, AppError> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| AppError::Internal(format!("reading the bundle: {e}")))?;
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::try_unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        let n = f.read(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, std::io::Error>((n > 0).then(|| (axum::body::Bytes::from(buf), f)))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

const PAGE: &str = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>Vos données · Your data</title>\
<style>body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
button{font-size:1.1rem;padding:.6rem 1.4rem;background:#0b5394;color:#fff;border:0;border-radius:4px}</style></head>\
<body data-code=\"download\"><main><h1>Vos données</h1>\
<p>Le fichier contient un rapport lisible, vos données (JSON, CSV), votre fiche de contact et un manifeste signé.</p>\
<form method=\"post\"><button type=\"submit\">Télécharger mes données</button></form>\
<h2 lang=\"en\">Your data</h2><p lang=\"en\">The file holds a readable report, your data (JSON, CSV), your contact card and a signed manifest.</p>\
<form method=\"post\"><button type=\"submit\" lang=\"en\">Download my data</button></form></main></body></html>";

#[utoipa::path(get, path = "/download/{token}", tag = "pages", security(()), params(("token" = String, Path)),
    responses((status = 200, description = "HTML page with the button that downloads; changes nothing")))]
pub async fn download_page(Path(_token): Path<String>) -> Response {
    (StatusCode::OK, Html(PAGE)).into_response()
}

#[utoipa::path(post, path = "/download/{token}", tag = "pages", security(()), params(("token" = String, Path)),
    responses(
        (status = 200, description = "The bundle (zip), made now", content_type = "application/zip"),
        (status = 404, description = "Unknown or expired link: nothing made"),
    ))]
pub async fn download(
    State(app): State<Candor>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let mut file = candor_app::bundle::spool()?;
    match app.download_bundle(&token, &mut file).await? {
        Some(()) => Ok(zip_response(file, "my-data.zip")?),
        None => Ok(super::pages::unknown_link()),
    }
}
