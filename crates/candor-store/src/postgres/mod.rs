//! The PostgreSQL backend: one pool, native types (UUID, TIMESTAMPTZ, JSONB, DATE). The
//! queries are those of `crate::sql`, compiled here against `sqlx::Postgres`; this file
//! holds only what PostgreSQL does its own way.

use crate::error::Result;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub(crate) type Db = sqlx::Postgres;

#[derive(Clone, Debug)]
pub struct PgStore {
    /// The one pool, under both names the shared queries use.
    writer: PgPool,
    reader: PgPool,
}

type Store = PgStore;

// The shared queries, compiled once per backend on purpose (see `sql`).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;

#[async_trait::async_trait]
impl crate::face::Backend for PgStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn close(&self) {
        PgStore::close(self).await
    }

    async fn schema(&self) -> Result<crate::model::Schema> {
        PgStore::schema(self).await
    }
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
        let store = Self {
            writer: pool.clone(),
            reader: pool,
        };
        // Search is not worth refusing to start for: a failure is retried next time.
        if let Err(e) = sql::contacts::index_missing_terms(&store).await {
            tracing::warn!(error = %e, "contacts written before search were not all indexed");
        }
        Ok(store)
    }

    pub async fn close(&self) {
        self.writer.close().await;
    }

    /// Tables (but SQLx's own) with their columns, keys and references, and index names
    /// (but primary keys'), for the check that the backends' schemas agree.
    pub async fn schema(&self) -> Result<crate::model::Schema> {
        let mut schema = crate::model::Schema::default();
        let cols: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text, udt_name::text, is_nullable::text \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' \
             ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&self.reader)
        .await?;
        for (table, column, udt, nullable) in cols {
            schema
                .tables
                .entry(table)
                .or_default()
                .columns
                .push(crate::model::ColumnInfo {
                    name: column,
                    kind: crate::model::ColumnKind::of_postgres(&udt),
                    nullable: nullable == "YES",
                });
        }
        // Every index with its columns in order: primary keys and unique ones apart.
        let idx: Vec<(String, String, bool, bool, Vec<String>)> = sqlx::query_as(
            "SELECT i.relname::text, t.relname::text, x.indisprimary, x.indisunique, \
             ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o) \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace s ON s.oid = t.relnamespace \
             WHERE s.nspname = current_schema() AND t.relname NOT LIKE '\\_sqlx%'",
        )
        .fetch_all(&self.reader)
        .await?;
        for (index, table, primary, unique, columns) in idx {
            let Some(t) = schema.tables.get_mut(&table) else {
                continue;
            };
            if primary {
                t.primary_key = columns;
                continue;
            }
            if unique {
                t.unique.insert(columns);
            }
            schema.indexes.insert(index);
        }
        let fks: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT t.relname::text, a.attname::text, r.relname::text, ra.attname::text \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] \
             JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = c.confkey[1] \
             WHERE c.contype = 'f' AND s.nspname = current_schema()",
        )
        .fetch_all(&self.reader)
        .await?;
        for (table, column, to_table, to_column) in fks {
            if let Some(t) = schema.tables.get_mut(&table) {
                t.foreign_keys.insert((column, to_table, to_column));
            }
        }
        Ok(schema)
    }
}

/// What PostgreSQL spells its own way, for the shared queries of `crate::sql`.
mod dialect {
    /// The query giving each row of `table` whose `column` is `$1` as one JSON object
    /// (text), keyed by column name.
    pub async fn row_json(
        _pool: &sqlx::Pool<Db>,
        table: &str,
        column: &str,
    ) -> crate::error::Result<String> {
        let secrets: String = crate::registry::SECRET_COLUMNS
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, c)| format!(" - '{c}'"))
            .collect();
        Ok(if secrets.is_empty() {
            format!("SELECT row_to_json(t)::text FROM {table} t WHERE t.{column} = $1")
        } else {
            format!("SELECT (to_jsonb(t){secrets})::text FROM {table} t WHERE t.{column} = $1")
        })
    }

    /// The expression giving a row of `table` (aliased `t`) as the text of one JSON
    /// object.
    pub async fn row_text(_pool: &sqlx::Pool<Db>, _table: &str) -> crate::error::Result<String> {
        Ok("row_to_json(t)::text".to_owned())
    }

    use super::Db;
    use crate::bulk::{Cell, Rows};
    use crate::error::Result;
    use crate::types::Id;
    use sqlx::{Row, Transaction};
    use std::fmt::Write;

    pub const ILIKE: &str = "ILIKE";

    /// The text of key `key` (a placeholder) of the JSON object in `column`, NULL when
    /// absent or null.
    pub fn json_text(column: &str, key: &str) -> String {
        format!("({column} ->> {key})")
    }
    /// Rows read before they are changed are locked: concurrent writers of one chain
    /// queue instead of forking it.
    pub const FOR_UPDATE: &str = " FOR UPDATE";
    /// Workers claiming mail skip the rows another worker holds.
    /// Erasures take their place in the erasure chain one at a time.
    /// Empties the write-ahead log into the database (after an erasure).
    pub const WAL_CHECKPOINT: &str = "";
    pub const ERASURE_LOCK: &str = "SELECT pg_advisory_xact_lock(7302119)";
    pub const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

    /// Routine maintenance after a bulk load, as a live database gets it: the planner's
    /// statistics (and on PostgreSQL the visibility map index-only scans rely on).
    pub const SETTLE: &str = "VACUUM (ANALYZE)";
    pub const BENCH_ACCESS_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_access \
        (id BIGSERIAL PRIMARY KEY, subject_id UUID NOT NULL, fields TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)";

    pub async fn begin(pool: &sqlx::Pool<Db>) -> Result<Transaction<'static, Db>> {
        Ok(pool.begin().await?)
    }

    /// Maps a unique-key violation to the field it protects, by constraint name.
    pub fn unique_field(e: &sqlx::Error) -> Option<&'static str> {
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

    pub fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
    }

    /// Appends one CSV field: unquoted empty for NULL, quoted text otherwise, so an empty
    /// string and a NULL stay distinct.
    fn push_field(out: &mut String, cell: &Cell) {
        let quoted = |out: &mut String, s: &str| {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        };
        match cell {
            Cell::Null => {}
            Cell::Text(s) | Cell::Json(s) => quoted(out, s),
            Cell::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Cell::Real(x) => {
                let _ = write!(out, "{x}");
            }
            // The same microseconds, truncated, as a bound `Ts` and SQLite's text form.
            Cell::Time(t) => out.push_str(&crate::types::Ts(*t).to_text()),
            Cell::Date(d) => {
                let _ = write!(out, "{d}");
            }
            Cell::Uuid(u) => {
                let _ = write!(out, "{u}");
            }
        }
    }

    /// Writes `rows` with one `COPY` in CSV format.
    pub async fn write_rows(tx: &mut Transaction<'_, Db>, rows: &Rows) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut data = String::with_capacity(rows.len() * 128);
        for row in &rows.rows {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    data.push(',');
                }
                push_field(&mut data, cell);
            }
            data.push('\n');
        }
        let sql = format!(
            "COPY {} ({}) FROM STDIN WITH (FORMAT csv)",
            rows.table,
            rows.columns.join(", ")
        );
        let mut copy = tx.copy_in_raw(&sql).await?;
        copy.send(data.into_bytes()).await?;
        copy.finish().await?;
        Ok(())
    }

    /// The audience read, typed columns.
    pub const AUDIENCE_SELECT: &str = "SELECT c.id, c.email, c.locale, c.company_id, \
        n.status, n.source, n.since, g.status, g.source, g.since, a.status";

    /// One row of [`AUDIENCE_SELECT`].
    pub fn audience_row(
        row: &sqlx::postgres::PgRow,
        purpose: &str,
        channel: candor_domain::consent::Channel,
    ) -> Result<crate::model::AudienceRow> {
        let mut found = Vec::with_capacity(2);
        // Columns by position: 4 to 6 the purpose's state, 7 to 9 the global opt-out's.
        for first in [4, 7] {
            let status: Option<&str> = row.try_get(first)?;
            found.push(match status {
                None => None,
                Some(s) => Some((
                    s,
                    row.try_get::<&str, _>(first + 1)?,
                    row.try_get(first + 2)?,
                )),
            });
        }
        let states = crate::segment::audience_states(purpose, channel, found)?;
        let id: Id = row.try_get(0)?;
        let company: Option<Id> = row.try_get(3)?;
        Ok(crate::model::AudienceRow {
            id: id.0,
            email: crate::personal::stored_email(row.try_get(1)?),
            locale: row.try_get(2)?,
            company_id: company.map(|c| c.0),
            states,
            undeliverable: row.try_get::<Option<&str>, _>(10)?.is_some(),
        })
    }
}
