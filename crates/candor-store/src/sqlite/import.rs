//! Import batches on SQLite: multi-row `INSERT`s of prepared rows, appends to existing
//! chains, and the job's checkpoint, in one transaction.

use super::SqliteStore;
use crate::bulk::{self, Cell, ImportBatch, Rows};
use crate::error::{Result, StoreError};
use crate::model::{ImportCounts, ImportJob, ImportReject};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// SQLite allows 32,766 bound variables per statement.
const MAX_VARIABLES: usize = 32_000;

/// Writes `rows` with as few multi-row statements as the variable limit allows.
pub(super) async fn write_rows(tx: &mut Transaction<'_, Sqlite>, rows: &Rows) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_statement = (MAX_VARIABLES / rows.columns.len()).max(1);
    for chunk in rows.rows.chunks(per_statement) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
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
                    Cell::Time(t) => b.push_bind(*t),
                    Cell::Date(d) => b.push_bind(*d),
                    Cell::Uuid(u) => b.push_bind(u.to_string()),
                };
            }
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

const JOB_COLUMNS: &str = "id, file_name, options, actor, started_at, updated_at, finished_at, \
    next_record, created, merged, skipped, rejected, consents, requests";

fn job(row: &SqliteRow) -> Result<ImportJob> {
    let n = |c: &str| -> Result<u64> { Ok(row.try_get::<i64, _>(c)?.max(0) as u64) };
    Ok(ImportJob {
        id: row.try_get("id")?,
        file_name: row.try_get("file_name")?,
        options: row.try_get("options")?,
        actor: row.try_get("actor")?,
        started_at: row.try_get("started_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
        next_record: n("next_record")?,
        counts: ImportCounts {
            created: n("created")?,
            merged: n("merged")?,
            skipped: n("skipped")?,
            rejected: n("rejected")?,
            consents: n("consents")?,
            requests: n("requests")?,
        },
    })
}

impl SqliteStore {
    /// The job with this id, if it was ever started.
    pub async fn import_job(&self, id: &str) -> Result<Option<ImportJob>> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM import_job WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.writer)
        .await?;
        row.as_ref().map(job).transpose()
    }

    /// Records a new job; a job that exists already is left as it is.
    pub async fn start_import(&self, j: &ImportJob) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO import_job ({JOB_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?5, NULL, 0, 0, 0, 0, 0, 0, 0) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&j.id)
        .bind(&j.file_name)
        .bind(&j.options)
        .bind(&j.actor)
        .bind(j.started_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Writes one batch and moves the job's checkpoint from `from_record` to
    /// `job.next_record`, atomically; if the checkpoint is no longer at `from_record`
    /// (another process ran the job meanwhile) nothing is written.
    pub async fn import_batch(
        &self,
        job: &ImportJob,
        from_record: u64,
        batch: ImportBatch,
    ) -> Result<()> {
        let planned = bulk::plan(batch, &job.id);
        let mut tx = self.writer.begin().await?;
        let c = job.counts;
        let moved = sqlx::query(
            "UPDATE import_job SET updated_at = ?2, next_record = ?3, created = ?4, merged = ?5, \
             skipped = ?6, rejected = ?7, consents = ?8, requests = ?9 WHERE id = ?1 AND next_record = ?10",
        )
        .bind(&job.id)
        .bind(job.updated_at)
        .bind(job.next_record as i64)
        .bind(c.created as i64)
        .bind(c.merged as i64)
        .bind(c.skipped as i64)
        .bind(c.rejected as i64)
        .bind(c.consents as i64)
        .bind(c.requests as i64)
        .bind(from_record as i64)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the import job's checkpoint moved: is another process running it?".into(),
            ));
        }
        for rows in &planned.tables {
            write_rows(&mut tx, rows).await?;
        }
        for (c, hash) in &planned.merged {
            super::rows::bind_contact(sqlx::query(super::contacts::UPDATE), c, hash.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        for d in planned.existing_consents {
            super::consent::append_in(&mut tx, d).await?;
        }
        super::audit::append_in(&mut tx, planned.existing_audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The job's rejected rows after `after_line`, in line order.
    pub async fn import_rejects(
        &self,
        job_id: &str,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<ImportReject>> {
        let rows = sqlx::query(
            "SELECT line, field, rule, message, record FROM import_reject \
             WHERE job_id = ?1 AND line > ?2 ORDER BY line, field LIMIT ?3",
        )
        .bind(job_id)
        .bind(after_line as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        rows.iter()
            .map(|r| {
                let record: String = r.try_get("record")?;
                Ok(ImportReject {
                    line: r.try_get::<i64, _>("line")? as u64,
                    field: r.try_get("field")?,
                    rule: r.try_get("rule")?,
                    message: r.try_get("message")?,
                    record: serde_json::from_str(&record).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Marks the job finished and forgets its rejected rows (their file is written).
    pub async fn finish_import(&self, job_id: &str, at: OffsetDateTime) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE import_job SET finished_at = ?2, updated_at = ?2 WHERE id = ?1")
            .bind(job_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM import_reject WHERE job_id = ?1")
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The contacts holding these email hashes, by hash.
    pub async fn contact_ids_by_email_hashes(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, Uuid>> {
        let mut out = HashMap::new();
        for chunk in hashes.chunks(MAX_VARIABLES) {
            let mut q: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT email_hash, id FROM contact WHERE email_hash IN (");
            let mut sep = q.separated(", ");
            for h in chunk {
                sep.push_bind(h.as_str());
            }
            q.push(")");
            let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&self.reader).await?;
            for (h, id) in rows {
                if let Ok(id) = Uuid::parse_str(&id) {
                    out.insert(h, id);
                }
            }
        }
        Ok(out)
    }

    /// The raw baseline of `candor bench import`: the same rows, written the same way,
    /// with nothing else (no parsing, no validation, no hashing, no checkpoint).
    pub async fn write_raw(&self, tables: &[Rows]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for rows in tables {
            write_rows(&mut tx, rows).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
