//! The SQLite backend: one writer connection (SQLite has one writer at a time, so a
//! queue in our process beats lock retries), a pool of readers, WAL journal.

mod audit;
mod baseline;
mod bulk;
mod campaigns;
mod companies;
mod consent;
mod contacts;
mod contracts;
mod fields;
mod import;
mod outbox;
mod rows;
mod staff;
mod tokens;

use crate::error::Result;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new().filename(path);
        Self::open_with(opts).await
    }

    /// Opens a `sqlite:` URL.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open_with(SqliteConnectOptions::from_str(url)?).await
    }

    async fn open_with(opts: SqliteConnectOptions) -> Result<Self> {
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            .statement_cache_capacity(256);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(2)
            .min_connections(1)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }

    /// Tables (but SQLx's own), their columns, and index names (but SQLite's automatic ones).
    pub async fn schema(&self) -> Result<crate::model::Schema> {
        let mut schema = crate::model::Schema::default();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             ORDER BY m.name, p.cid",
        )
        .fetch_all(&self.reader)
        .await?;
        for (table, column) in rows {
            schema.columns.entry(table).or_default().push(column);
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&self.reader)
        .await?;
        schema.indexes.extend(indexes);
        Ok(schema)
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Maps a unique-key violation to the field it protects.
fn unique_field(e: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    let msg = db.message();
    [
        ("contact.email_hash", "email"),
        ("company.siret", "siret"),
        ("custom_field.entity", "name"),
        ("api_token.secret_hash", "secret"),
        ("staff_user.email", "email"),
    ]
    .into_iter()
    .find(|(col, _)| msg.contains(col))
    .map(|(_, field)| field)
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

/// Streams a ledger's entries, subject by subject, with each subject's head, and checks
/// every chain; memory holds one subject's entries at a time.
async fn verify_chains<E: candor_domain::chain::Chained>(
    pool: &SqlitePool,
    (table, head): (&str, &str),
    columns: &str,
    parse: fn(&sqlx::sqlite::SqliteRow) -> Result<E>,
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
    let orphans: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT subject_id, seq FROM {head} h WHERE seq > 0 AND NOT EXISTS \
         (SELECT 1 FROM {table} e WHERE e.subject_id = h.subject_id)"
    ))
    .fetch_all(pool)
    .await?;
    for (subject, head_seq) in orphans {
        let id = uuid::Uuid::parse_str(&subject).map_err(|_| rows::corrupt("subject"))?;
        v.orphan_head(id, head_seq);
    }
    Ok(v.finish())
}
