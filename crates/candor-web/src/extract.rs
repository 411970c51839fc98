//! Extractors that turn HTTP into parsed, authenticated input, refusing with the
//! error table of `error.rs`.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use candor_app::{Actor, Candor};
use serde::de::DeserializeOwned;

/// The authenticated caller, and the endpoint (method and route template) the audit
/// records: never the raw URL, whose query may hold an email.
pub struct Auth {
    pub actor: Actor,
    pub endpoint: String,
}

impl FromRequestParts<Candor> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Candor) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::from(candor_app::AppError::Unauthenticated))?;
        let actor = app.authenticate(secret).await?;
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or("?", MatchedPath::as_str);
        Ok(Auth {
            actor,
            endpoint: format!("{} {route}", parts.method),
        })
    }
}

/// A JSON body: unknown fields are refused, and errors name the field at fault.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid_json",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let msg = inner.to_string();
                let (code, field) = match msg.strip_prefix("unknown field `") {
                    Some(rest) => (
                        "unknown_field",
                        rest.split('`').next().unwrap_or("").to_owned(),
                    ),
                    None => ("invalid_json", path),
                };
                let mut err = ApiError::new(StatusCode::BAD_REQUEST, code, msg);
                if !field.is_empty() && field != "." {
                    err = err.with_field(field);
                }
                err
            })
    }
}

fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is larger than the {} KiB limit",
                crate::api::BODY_LIMIT / 1024
            ),
        )
    } else {
        ApiError::new(e.status(), "invalid_json", e.body_text())
    }
}

/// Query parameters: unknown ones are refused.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e: QueryRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())
            })
    }
}

/// A path parameter: a malformed id is a 400 naming `id`.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    "id: must be a UUID",
                )
                .with_field("id")
            })
    }
}
