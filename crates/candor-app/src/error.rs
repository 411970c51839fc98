use candor_domain::{FieldError, FieldErrors};
use candor_store::StoreError;
use uuid::Uuid;

/// What a use case refuses or fails with. The web layer maps each to one status and
/// one stable code; messages never carry personal data.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("the role {role} may not {action} the field {field}")]
    FieldForbidden {
        field: String,
        role: candor_domain::Role,
        action: &'static str,
    },
    #[error("the role {role} may not {what}")]
    RoleForbidden {
        role: candor_domain::Role,
        what: &'static str,
    },
    #[error("missing or unknown API token")]
    Unauthenticated,
    #[error("no {what} with this id")]
    NotFound { what: &'static str },
    #[error("another record already has this {field}")]
    Conflict {
        field: &'static str,
        existing: Option<Uuid>,
    },
    /// The email or phone of a person who was erased (E2): not taken again unnoticed.
    #[error("this {field} is on the suppression list")]
    Suppressed { field: &'static str },
    #[error("this {what} is still referenced by a {by}")]
    StillReferenced {
        what: &'static str,
        by: &'static str,
    },
    /// A record that no longer changes: a campaign sent or being sent, a segment
    /// whose campaign is being sent.
    #[error("this {what} can no longer be changed: {why}")]
    NotEditable {
        what: &'static str,
        why: &'static str,
    },
    #[error("storage failure: {0}")]
    Store(StoreError),
    #[error("internal failure: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(e: impl Into<FieldErrors>) -> Self {
        Self::Invalid(e.into())
    }

    pub fn field(field: &str, rule: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, rule, message).into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { field, existing } => Self::Conflict { field, existing },
            StoreError::NotFound { what } => Self::NotFound { what },
            // Another writer moved the record first (a request's status, an import
            // run twice at once): the caller reads it again.
            StoreError::Conflict(_) => Self::Conflict {
                field: "status",
                existing: None,
            },
            StoreError::MissingReference { field } => Self::field(
                field,
                "reference_exists",
                "refers to a record that does not exist",
            ),
            other => Self::Store(other),
        }
    }
}
