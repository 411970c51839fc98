//! The one table that maps refusals to HTTP statuses and stable snake_case codes:
//! `{"error":{"code":"invalid_field","field":"email","rule":"email_format","message":"…"}}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use candor_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: invalid_json, unknown_field, invalid_field, invalid_query,
    /// unauthenticated, field_forbidden, role_forbidden, not_found, conflict,
    /// still_referenced, suppressed, payload_too_large, internal.
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule the value broke, when a field was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    pub message: String,
    /// The record that already holds a unique value (409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
    /// Every refused field, when there were several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub rule: &'static str,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            detail: ErrorDetail {
                code,
                field: None,
                rule: None,
                message: message.into(),
                existing_id: None,
                details: Vec::new(),
            },
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(field.into());
        self
    }

    pub fn with_rule(mut self, rule: &'static str) -> Self {
        self.detail.rule = Some(rule);
        self
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use StatusCode as S;
        match e {
            AppError::Invalid(errs) => {
                let first = errs.0.first().cloned();
                let mut out = Self::new(S::UNPROCESSABLE_ENTITY, "invalid_field", "");
                if let Some(f) = first {
                    out.detail.message = format!("{}: {}", f.field, f.message);
                    out.detail.field = Some(f.field);
                    out.detail.rule = Some(f.rule);
                }
                out.detail.details = errs
                    .0
                    .into_iter()
                    .map(|f| FieldDetail { field: f.field, rule: f.rule, message: f.message })
                    .collect();
                out
            }
            AppError::FieldForbidden { field, role, action } => Self::new(
                S::FORBIDDEN,
                "field_forbidden",
                format!("the role {role} may not {action} the field {field} (field catalogue)"),
            )
            .with_field(field),
            AppError::RoleForbidden { role, what } => {
                Self::new(S::FORBIDDEN, "role_forbidden", format!("the role {role} may not {what}"))
            }
            AppError::Unauthenticated => Self::new(
                S::UNAUTHORIZED,
                "unauthenticated",
                "send a valid API token: `Authorization: Bearer cdr_…` (create one with `candor token create`)",
            ),
            AppError::NotFound { what } => Self::new(S::NOT_FOUND, "not_found", format!("no {what} with this id")),
            AppError::Conflict { field, existing } => {
                let mut out = Self::new(
                    S::CONFLICT,
                    "conflict",
                    match existing {
                        Some(id) => format!("the record {id} already has this {field}"),
                        None => format!("another record already has this {field}"),
                    },
                )
                .with_field(field);
                out.detail.existing_id = existing.map(|id| id.to_string());
                out
            }
            AppError::Suppressed { field } => Self::new(
                S::CONFLICT,
                "suppressed",
                format!(
                    "this {field} belongs to a person who was erased: it is on the suppression list and is not added again"
                ),
            )
            .with_field(field)
            .with_rule("suppressed"),
            AppError::StillReferenced { what, by } => Self::new(
                S::CONFLICT,
                "still_referenced",
                format!("this {what} is still referenced by at least one {by}"),
            ),
            AppError::NotEditable { what, why } => Self::new(
                S::CONFLICT,
                "not_editable",
                format!("this {what} can no longer be changed: {why}"),
            ),
            AppError::Store(e) => internal(&e.to_string()),
            AppError::Internal(e) => internal(&e),
        }
    }
}

/// Infrastructure failures are logged here and answered with an opaque 500.
fn internal(cause: &str) -> ApiError {
    tracing::error!(cause, "request failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "an internal error occurred; it has been logged",
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(ErrorBody { error: self.detail })).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}
