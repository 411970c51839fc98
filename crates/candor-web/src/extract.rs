//! Extractors that turn HTTP into parsed, authenticated input, refusing with the
//! error table of `error.rs`.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
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
        if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            if let Some(field) = control_in_json(&doc, "") {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    format!("{field}: must not contain control characters"),
                )
                .with_field(field)
                .with_rule("no_control_characters"));
            }
        }
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

/// Query parameters: unknown ones are refused, and every refusal is a 400
/// `invalid_query` naming the parameter and its rule (`unknown_parameter`, `type`,
/// `no_control_characters`), before anything is read.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let refused = |field: &str, rule, message: String| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
                .with_field(field)
                .with_rule(rule)
        };
        if let Some(name) = stray_control_field(query.as_bytes()) {
            return Err(refused(
                &name,
                "no_control_characters",
                format!("{name}: must not contain control characters"),
            ));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                match msg.strip_prefix("unknown field `") {
                    Some(rest) => {
                        let name = rest.split('`').next().unwrap_or("").to_owned();
                        refused(
                            &name,
                            "unknown_parameter",
                            format!("{name}: is not a parameter of this endpoint"),
                        )
                    }
                    None => refused(&path, "type", format!("{path}: {msg}")),
                }
            })
    }
}

/// A page size from the query: `default` when absent, else 1 to `max`; anything
/// else is refused naming `limit`, never clamped.
pub fn page_limit(given: Option<u32>, default: u32, max: u32) -> Result<u32, candor_app::AppError> {
    let limit = given.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(candor_app::AppError::field(
            "limit",
            "page_size",
            format!("must be between 1 and {max}"),
        ))
    }
}

/// A control character other than a line break or a tab: refused at the edge in every
/// body and query, so no backend ever sees one (PostgreSQL refuses U+0000 in text).
fn stray_control(s: &str) -> bool {
    candor_domain::personal::has_stray_control(s)
}

/// The name (as `clean_name` gives it) of the first field of a URL-encoded query or
/// form whose name or value holds a stray control character: the one check of the
/// API's queries and the back office's forms.
pub fn stray_control_field(encoded: &[u8]) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(name, value)| stray_control(name) || stray_control(value))
        .map(|(name, _)| clean_name(&name))
}

/// A parameter's name as an error may repeat it: its control characters dropped,
/// at most 64 characters.
fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// The path of the first string (key or value) in a JSON document holding a stray
/// control character.
fn control_in_json(v: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => stray_control(s).then(|| path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| control_in_json(item, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if path.is_empty() {
                clean_name(k)
            } else {
                format!("{path}.{}", clean_name(k))
            };
            if stray_control(k) {
                Some(here)
            } else {
                control_in_json(item, &here)
            }
        }),
        _ => None,
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
