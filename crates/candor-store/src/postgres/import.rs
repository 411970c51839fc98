//! Import batches on PostgreSQL: `COPY … FROM STDIN` of prepared rows, appends to
//! existing chains, and the job's checkpoint, in one transaction.

use super::rows::bind_contact;
use super::PgStore;
use crate::bulk::{self, Cell, ImportBatch, Rows};
use crate::error::{Result, StoreError};
use crate::model::{ImportCounts, ImportJob, ImportReject};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use std::collections::HashMap;
use std::fmt::Write;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

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
        Cell::Time(t) => out.push_str(&t.format(&Rfc3339).unwrap_or_default()),
        Cell::Date(d) => {
            let _ = write!(out, "{d}");
        }
        Cell::Uuid(u) => {
            let _ = write!(out, "{u}");
        }
    }
}

/// Writes `rows` with one `COPY` in CSV format.
pub(super) async fn copy_rows(tx: &mut Transaction<'_, Postgres>, rows: &Rows) -> Result<()> {
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

const JOB_COLUMNS: &str = "id, file_name, options, actor, started_at, updated_at, finished_at, \
    next_record, created, merged, skipped, rejected, consents, requests";

fn job(row: &PgRow) -> Result<ImportJob> {
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

impl PgStore {
    pub async fn import_job(&self, id: &str) -> Result<Option<ImportJob>> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM import_job WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job).transpose()
    }

    pub async fn start_import(&self, j: &ImportJob) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO import_job ({JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, NULL, 0, 0, 0, 0, 0, 0, 0) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&j.id)
        .bind(&j.file_name)
        .bind(&j.options)
        .bind(&j.actor)
        .bind(j.started_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes one batch and moves the job's checkpoint from `from_record`, atomically.
    /// The checkpoint is moved first, which locks the job's row: a second process
    /// running the same job waits, then finds the checkpoint moved and writes nothing.
    pub async fn import_batch(
        &self,
        job: &ImportJob,
        from_record: u64,
        batch: ImportBatch,
    ) -> Result<()> {
        let planned = bulk::plan(batch, &job.id);
        let mut tx = self.pool.begin().await?;
        let c = job.counts;
        let moved = sqlx::query(
            "UPDATE import_job SET updated_at = $2, next_record = $3, created = $4, merged = $5, \
             skipped = $6, rejected = $7, consents = $8, requests = $9 WHERE id = $1 AND next_record = $10",
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
            copy_rows(&mut tx, rows).await?;
        }
        for (c, hash) in &planned.merged {
            bind_contact(sqlx::query(super::data::UPDATE_CONTACT), c, hash.as_deref())
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

    pub async fn import_rejects(
        &self,
        job_id: &str,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<ImportReject>> {
        let rows = sqlx::query(
            "SELECT line, field, rule, message, record FROM import_reject \
             WHERE job_id = $1 AND line > $2 ORDER BY line, field LIMIT $3",
        )
        .bind(job_id)
        .bind(after_line as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
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

    pub async fn finish_import(&self, job_id: &str, at: OffsetDateTime) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE import_job SET finished_at = $2, updated_at = $2 WHERE id = $1")
            .bind(job_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM import_reject WHERE job_id = $1")
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn contact_ids_by_email_hashes(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, Uuid>> {
        let rows: Vec<(String, Uuid)> =
            sqlx::query_as("SELECT email_hash, id FROM contact WHERE email_hash = ANY($1)")
                .bind(hashes)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }

    pub async fn write_raw(&self, tables: &[Rows]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for rows in tables {
            copy_rows(&mut tx, rows).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
