//! Import jobs: their checkpoints, batches and rejected rows.

use super::{dialect, Store};
use crate::bulk::{self, ImportBatch};
use crate::error::{Result, StoreError};
use crate::model::{ImportCounts, ImportJob, ImportReject};
use crate::types::Ts;
use time::OffsetDateTime;

const JOB_COLUMNS: &str = "id, file_name, options, actor, started_at, updated_at, finished_at, \
    next_record, created, merged, skipped, rejected, consents, requests, grants, confirmations, \
    withdrawals, names_split, undeliverable, requests_held";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    file_name: String,
    options: String,
    actor: String,
    started_at: Ts,
    updated_at: Ts,
    finished_at: Option<Ts>,
    next_record: i64,
    created: i64,
    merged: i64,
    skipped: i64,
    rejected: i64,
    consents: i64,
    requests: i64,
    grants: i64,
    confirmations: i64,
    withdrawals: i64,
    names_split: i64,
    undeliverable: i64,
    requests_held: i64,
}

impl From<JobRow> for ImportJob {
    fn from(r: JobRow) -> Self {
        let n = |v: i64| v.max(0) as u64;
        ImportJob {
            id: r.id,
            file_name: r.file_name,
            options: r.options,
            actor: r.actor,
            started_at: r.started_at.0,
            updated_at: r.updated_at.0,
            finished_at: r.finished_at.map(|t| t.0),
            next_record: n(r.next_record),
            counts: ImportCounts {
                created: n(r.created),
                merged: n(r.merged),
                skipped: n(r.skipped),
                rejected: n(r.rejected),
                consents: n(r.consents),
                requests: n(r.requests),
                grants: n(r.grants),
                confirmations: n(r.confirmations),
                withdrawals: n(r.withdrawals),
                names_split: n(r.names_split),
                undeliverable: n(r.undeliverable),
                requests_held: n(r.requests_held),
            },
        }
    }
}

#[async_trait::async_trait]
impl crate::face::Imports for Store {
    /// The import job with this id, if it was ever started.
    async fn job(&self, id: &str) -> Result<Option<ImportJob>> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM import_job WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(ImportJob::from))
    }

    async fn recent(&self, limit: u32) -> Result<Vec<ImportJob>> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM import_job ORDER BY started_at DESC, id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(ImportJob::from).collect())
    }

    /// Records a new import job; one that exists already is left as it is.
    async fn start(&self, j: &ImportJob) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO import_job ({JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(&j.id)
        .bind(&j.file_name)
        .bind(&j.options)
        .bind(&j.actor)
        .bind(Ts(j.started_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Writes one import batch and moves the job's checkpoint from `from_record` to
    /// `job.next_record` in the same transaction: a crash loses the whole batch or
    /// nothing, so rerunning the job neither misses nor repeats a row. If the checkpoint
    /// is no longer at `from_record` (another process ran the job meanwhile) nothing is
    /// written.
    async fn batch(&self, job: &ImportJob, from_record: u64, batch: ImportBatch) -> Result<()> {
        let planned = bulk::plan(batch, &job.id);
        let mut tx = self.write().await?;
        let c = job.counts;
        let moved = sqlx::query(
            "UPDATE import_job SET updated_at = $2, next_record = $3, created = $4, merged = $5, \
             skipped = $6, rejected = $7, consents = $8, requests = $9, grants = $11, \
             confirmations = $12, withdrawals = $13, names_split = $14, undeliverable = $15, \
             requests_held = $16 \
             WHERE id = $1 AND next_record = $10",
        )
        .bind(&job.id)
        .bind(Ts(job.updated_at))
        .bind(job.next_record as i64)
        .bind(c.created as i64)
        .bind(c.merged as i64)
        .bind(c.skipped as i64)
        .bind(c.rejected as i64)
        .bind(c.consents as i64)
        .bind(c.requests as i64)
        .bind(from_record as i64)
        .bind(c.grants as i64)
        .bind(c.confirmations as i64)
        .bind(c.withdrawals as i64)
        .bind(c.names_split as i64)
        .bind(c.undeliverable as i64)
        .bind(c.requests_held as i64)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the import job's checkpoint moved: is another process running it?".into(),
            ));
        }
        for rows in &planned.tables {
            dialect::write_rows(&mut tx, rows).await?;
        }
        for (c, hash) in &planned.merged {
            super::contacts::write_contact_in(
                &mut tx,
                super::contacts::UPDATE_CONTACT,
                c,
                hash.as_deref(),
            )
            .await?;
        }
        for d in planned.existing_consents {
            super::append_consent_in(&mut tx, d).await?;
        }
        for a in &planned.undeliverable {
            super::addresses::mark_in(&mut tx, a).await?;
        }
        super::append_audit_in(&mut tx, planned.existing_audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The job's rejected rows after `after_line`, in line order.
    async fn rejects(
        &self,
        job_id: &str,
        after_line: u64,
        limit: u32,
    ) -> Result<Vec<ImportReject>> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT line, field, rule, message, record FROM import_reject \
             WHERE job_id = $1 AND line > $2 ORDER BY line, field LIMIT $3",
        )
        .bind(job_id)
        .bind(after_line as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(line, field, rule, message, record)| ImportReject {
                line: line.max(0) as u64,
                field,
                rule,
                message,
                record: serde_json::from_str(&record).unwrap_or_default(),
            })
            .collect())
    }

    /// Marks a job finished and deletes its rejected rows (their file is written).
    async fn finish(&self, job_id: &str, at: OffsetDateTime) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE import_job SET finished_at = $2, updated_at = $2 WHERE id = $1")
            .bind(job_id)
            .bind(Ts(at))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM import_reject WHERE job_id = $1")
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
