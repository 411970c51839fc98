use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value; `existing` names the record that has it.
    #[error("duplicate value for {field}")]
    Duplicate {
        field: &'static str,
        existing: Option<Uuid>,
    },
    /// A reference to a record that does not exist.
    #[error("{field} refers to a record that does not exist")]
    MissingReference { field: &'static str },
    /// The record to change does not exist (any more).
    #[error("no such {what}")]
    NotFound { what: &'static str },
    /// A record still referenced by others.
    #[error("still referenced by {by}")]
    StillReferenced { by: &'static str },
    /// Another writer changed the record first (an import job run twice at once).
    #[error("changed concurrently: {0}")]
    Conflict(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// What a reader handed the rows to could not take them (a bundle being written).
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, StoreError>;
