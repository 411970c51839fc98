//! The SQLite backend: one writer connection (SQLite has one writer at a time, so a
//! queue in our process beats lock retries), a pool of readers, WAL journal. The
//! queries are those of `crate::sql`, compiled here against `sqlx::Sqlite`; this file
//! holds only what SQLite does its own way.

use crate::error::Result;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub(crate) type Db = sqlx::Sqlite;

#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

type Store = SqliteStore;

// The shared queries, compiled once per backend on purpose (see `sql`).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;

#[async_trait::async_trait]
impl crate::face::Backend for SqliteStore {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn close(&self) {
        SqliteStore::close(self).await
    }

    async fn schema(&self) -> Result<crate::model::Schema> {
        SqliteStore::schema(self).await
    }
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
            // Deleted rows are overwritten, not left in free pages (erasure, E2).
            .pragma("secure_delete", "ON")
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
        let store = Self { writer, reader };
        // Search is not worth refusing to start for: a failure is retried next time.
        if let Err(e) = sql::contacts::index_missing_terms(&store).await {
            tracing::warn!(error = %e, "contacts written before search were not all indexed");
        }
        Ok(store)
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Tables (but SQLx's own) with their columns, keys and references, and index names
    /// (but SQLite's automatic ones), for the check that the backends' schemas agree.
    pub async fn schema(&self) -> Result<crate::model::Schema> {
        let mut schema = crate::model::Schema::default();
        let cols: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             ORDER BY m.name, p.cid",
        )
        .fetch_all(&self.reader)
        .await?;
        for (table, column, ty, not_null, pk) in cols {
            let t = schema.tables.entry(table).or_default();
            t.columns.push(crate::model::ColumnInfo {
                name: column,
                kind: crate::model::ColumnKind::of_sqlite(&ty),
                // A key column is never null (SQLite itself would accept a NULL in a
                // single-column TEXT key; Candor never writes one).
                nullable: not_null == 0 && pk == 0,
            });
        }
        // Primary keys in key order, with their column names.
        for (name, t) in schema.tables.iter_mut() {
            t.primary_key = sqlx::query_scalar(
                "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
            )
            .bind(name.as_str())
            .fetch_all(&self.reader)
            .await?;
            let fks: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
            )
            .bind(name.as_str())
            .fetch_all(&self.reader)
            .await?;
            t.foreign_keys = fks.into_iter().collect();
        }
        let indexes: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT m.name, m.tbl_name, i.\"unique\" FROM sqlite_master m \
             JOIN pragma_index_list(m.tbl_name) i ON i.name = m.name \
             WHERE m.type = 'index' AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&self.reader)
        .await?;
        for (index, table, unique) in indexes {
            let cols: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(index.as_str())
                    .fetch_all(&self.reader)
                    .await?;
            if unique == 1 {
                if let Some(t) = schema.tables.get_mut(&table) {
                    t.unique.insert(cols);
                }
            }
            schema.indexes.insert(index);
        }
        Ok(schema)
    }
}

/// What SQLite spells its own way, for the shared queries of `crate::sql`.
mod dialect {
    use super::Db;
    use crate::bulk::{Cell, Rows};
    use crate::error::Result;
    use crate::types::{Id, Ts};
    use sqlx::{QueryBuilder, Transaction};

    /// `LIKE` is already case-insensitive (for ASCII letters) on SQLite.
    pub const ILIKE: &str = "LIKE";

    /// The text of key `key` (a placeholder) of the JSON object in `column`, NULL when
    /// absent or null.
    pub fn json_text(column: &str, key: &str) -> String {
        format!("json_extract({column}, '$.' || {key})")
    }
    /// One writer connection holds the database: no row lock to take.
    pub const FOR_UPDATE: &str = "";
    /// One writer: erasures are one at a time already.
    /// Empties the write-ahead log into the database (after an erasure).
    pub const WAL_CHECKPOINT: &str = "PRAGMA wal_checkpoint(TRUNCATE)";
    pub const ERASURE_LOCK: &str = "";
    pub const SKIP_LOCKED: &str = "";

    /// The query giving each row of `table` whose `column` is `$1` as one JSON object
    /// (text), keyed by column name: `json_object` needs the names, read from the table.
    pub async fn row_json(pool: &sqlx::Pool<Db>, table: &str, column: &str) -> Result<String> {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(pool)
                .await?;
        let pairs: Vec<String> = columns
            .iter()
            .filter(|c| !crate::registry::SECRET_COLUMNS.contains(&(table, c.as_str())))
            .map(|c| format!("'{c}', \"{c}\""))
            .collect();
        Ok(format!(
            "SELECT json_object({}) FROM {table} WHERE {column} = $1",
            pairs.join(", ")
        ))
    }

    /// The expression giving a row of `table` (aliased `t`) as the text of one JSON
    /// object: `json_object` needs the names, read from the table.
    pub async fn row_text(pool: &sqlx::Pool<Db>, table: &str) -> Result<String> {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(pool)
                .await?;
        let pairs: Vec<String> = columns
            .iter()
            .map(|c| format!("'{c}', t.\"{c}\""))
            .collect();
        Ok(format!("json_object({})", pairs.join(", ")))
    }

    /// Routine maintenance after a bulk load, as a live database gets it: the planner's
    /// statistics (and on PostgreSQL the visibility map index-only scans rely on).
    pub const SETTLE: &str = "ANALYZE";
    pub const BENCH_ACCESS_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_access \
        (id INTEGER PRIMARY KEY, subject_id TEXT NOT NULL, fields TEXT NOT NULL, at TEXT NOT NULL)";

    /// `BEGIN IMMEDIATE`: the write lock from the start, so that a transaction that
    /// reads before it writes is never overtaken by another process's write.
    pub async fn begin(pool: &sqlx::Pool<Db>) -> Result<Transaction<'static, Db>> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Maps a unique-key violation to the field it protects (SQLite names the columns).
    pub fn unique_field(e: &sqlx::Error) -> Option<&'static str> {
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

    pub fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
    }

    /// SQLite allows 32,766 bound values per statement.
    const MAX_VARIABLES: usize = 32_000;

    /// Writes `rows` with as few multi-row statements as the variable limit allows.
    pub async fn write_rows(tx: &mut Transaction<'_, Db>, rows: &Rows) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let per_statement = (MAX_VARIABLES / rows.columns.len()).max(1);
        for chunk in rows.rows.chunks(per_statement) {
            let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
                "INSERT INTO {} ({}) ",
                rows.table,
                rows.columns.join(", ")
            ));
            q.push_values(chunk, |mut b, row| {
                for cell in row {
                    match cell {
                        Cell::Null => b.push_bind(None::<String>),
                        Cell::Text(s) | Cell::Json(s) => b.push_bind(s.clone()),
                        Cell::Int(n) => b.push_bind(*n),
                        Cell::Real(x) => b.push_bind(*x),
                        Cell::Time(t) => b.push_bind(Ts(*t)),
                        Cell::Date(d) => b.push_bind(*d),
                        Cell::Uuid(u) => b.push_bind(Id(*u)),
                    };
                }
            });
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The audience read, packed: the id and everything else in one text column. Each
    /// column crosses from SQLite's thread on its own, the main cost of this read, so
    /// packing halves it (docs/operations.md).
    pub const AUDIENCE_SELECT: &str = "SELECT c.id, c.locale || '|' || COALESCE(c.company_id, '') || '|' || \
        COALESCE(n.status, '') || '|' || COALESCE(n.source, '') || '|' || COALESCE(n.since, '') || '|' || \
        COALESCE(g.status, '') || '|' || COALESCE(g.source, '') || '|' || COALESCE(g.since, '') || '|' || \
        COALESCE(a.status, '') || '|' || COALESCE(c.email, '') AS packed";

    /// One row of [`AUDIENCE_SELECT`], unpacked.
    pub fn audience_row(
        row: &sqlx::sqlite::SqliteRow,
        purpose: &str,
        channel: candor_domain::consent::Channel,
    ) -> Result<crate::model::AudienceRow> {
        use sqlx::Row;
        let corrupt =
            |w: &str| crate::error::StoreError::Corrupt(format!("unreadable audience {w}"));
        let id: Id = row.try_get(0)?;
        let packed: &str = row.try_get(1)?;
        let f: Vec<&str> = packed.splitn(10, '|').collect();
        let [locale, company, n_status, n_source, n_since, g_status, g_source, g_since, address, email] =
            f.as_slice()
        else {
            return Err(corrupt("row"));
        };
        let since = |s: &str| Ts::parse_text(s).map(|t| t.0).map_err(|_| corrupt("date"));
        let mut found = Vec::with_capacity(2);
        for (status, source, at) in [(n_status, n_source, n_since), (g_status, g_source, g_since)] {
            found.push(if status.is_empty() {
                None
            } else {
                Some((*status, *source, since(at)?))
            });
        }
        let states = crate::segment::audience_states(purpose, channel, found)?;
        Ok(crate::model::AudienceRow {
            id: id.0,
            email: crate::personal::stored_email(Some((*email).to_owned())),
            locale: (*locale).to_owned(),
            company_id: if company.is_empty() {
                None
            } else {
                Some(uuid::Uuid::parse_str(company).map_err(|_| corrupt("company"))?)
            },
            states,
            undeliverable: !address.is_empty(),
        })
    }
}
