//! The PostgreSQL backend: the same methods as the SQLite one, native types (UUID,
//! TIMESTAMPTZ, JSONB), one pool.

mod audit;
mod campaigns;
mod consent;
mod contracts;
mod data;
mod import;
mod misc;
mod outbox;
mod rows;
mod staff;

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
        "staff_user_email_key" => Some("email"),
        _ => None,
    }
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what}"))
}

/// Streams a ledger's entries, subject by subject, with each subject's head, and checks
/// every chain; memory holds one subject's entries at a time.
async fn verify_chains<E: candor_domain::chain::Chained>(
    pool: &PgPool,
    (table, head): (&str, &str),
    columns: &str,
    parse: fn(&sqlx::postgres::PgRow) -> Result<E>,
) -> Result<crate::model::VerifyReport> {
    use futures_util::TryStreamExt;
    use sqlx::Row;
    let mut v = crate::verify::Verifier::default();
    let cols: Vec<String> = columns.split(", ").map(|c| format!("e.{c}")).collect();
    let sql = format!(
        "SELECT {}, h.seq AS head_seq, h.hash AS head_hash FROM {table} e \
         LEFT JOIN {head} h ON h.subject_id = e.subject_id ORDER BY e.subject_id, e.seq",
        cols.join(", ")
    );
    let mut rows = sqlx::query(&sql).fetch(pool);
    while let Some(row) = rows.try_next().await? {
        let hs: Option<i64> = row.try_get("head_seq")?;
        let hh: Option<String> = row.try_get("head_hash")?;
        v.push(parse(&row)?, hs.zip(hh));
    }
    drop(rows);
    let orphans: Vec<(uuid::Uuid, i64)> = sqlx::query_as(&format!(
        "SELECT subject_id, seq FROM {head} h WHERE seq > 0 AND NOT EXISTS \
         (SELECT 1 FROM {table} e WHERE e.subject_id = h.subject_id)"
    ))
    .fetch_all(pool)
    .await?;
    for (subject, head_seq) in orphans {
        v.orphan_head(subject, head_seq);
    }
    Ok(v.finish())
}
