//! The PostgreSQL backend: the same methods as the SQLite one, native types (UUID,
//! TIMESTAMPTZ, JSONB), one pool.

mod audit;
mod consent;
mod data;
mod misc;
mod rows;

use crate::error::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn open_url(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Tables (but SQLx's own), their columns, and index names (but primary keys').
    pub async fn schema(&self) -> Result<crate::model::Schema> {
        let mut schema = crate::model::Schema::default();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' \
             ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&self.pool)
        .await?;
        for (table, column) in rows {
            schema.columns.entry(table).or_default().push(column);
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND indexname NOT LIKE '%\\_pkey' AND tablename NOT LIKE '\\_sqlx%'",
        )
        .fetch_all(&self.pool)
        .await?;
        schema.indexes.extend(indexes);
        Ok(schema)
    }
}

/// Maps a unique-key violation to the field it protects, by constraint name.
fn unique_field(e: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    match db.constraint()? {
        "contact_email_key" => Some("email"),
        "company_siret_key" => Some("siret"),
        "custom_field_pkey" => Some("name"),
        "api_token_secret_key" => Some("secret"),
        _ => None,
    }
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what}"))
}
