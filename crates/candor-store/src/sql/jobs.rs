//! Jobs: scheduled once (a dedupe key), claimed with a lease naming the node
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite), done once (the
//! completion commits only while the lease is still the node's).

use super::{dialect, Store, Tx};
use crate::error::Result;
use crate::model::{JobRecord, QueuedMail};
use crate::types::{Id, Ts};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str = "id, kind, payload, run_at, status, attempts, lease_owner, last_error, \
    dedupe_key, created_at, finished_at";

/// How long a claimed job is the claimer's before another node may take it.
const LEASE: time::Duration = time::Duration::minutes(5);

#[derive(sqlx::FromRow)]
struct Row {
    id: Id,
    kind: String,
    payload: Json<serde_json::Value>,
    run_at: Ts,
    status: String,
    attempts: i64,
    lease_owner: Option<String>,
    last_error: Option<String>,
    dedupe_key: Option<String>,
    created_at: Ts,
    finished_at: Option<Ts>,
}

impl From<Row> for JobRecord {
    fn from(r: Row) -> Self {
        JobRecord {
            id: r.id.0,
            kind: r.kind,
            payload: r.payload.0,
            run_at: r.run_at.0,
            status: r.status,
            attempts: r.attempts,
            lease_owner: r.lease_owner,
            last_error: r.last_error,
            dedupe_key: r.dedupe_key,
            created_at: r.created_at.0,
            finished_at: r.finished_at.map(|t| t.0),
        }
    }
}

/// Schedules `job` inside `tx` (the transaction of the change that causes it); a dedupe
/// key already held schedules nothing.
pub(crate) async fn schedule_in(tx: &mut Tx<'_>, job: &JobRecord) -> Result<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO job ({COLUMNS}, lease_until) VALUES ($1, $2, $3, $4, 'queued', 0, NULL, NULL, $5, $6, NULL, NULL) \
         ON CONFLICT (dedupe_key) DO NOTHING"
    ))
    .bind(Id(job.id))
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(Ts(job.run_at))
    .bind(&job.dedupe_key)
    .bind(Ts(job.created_at))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[async_trait::async_trait]
impl crate::face::Jobs for Store {
    async fn schedule(&self, job: &JobRecord) -> Result<bool> {
        let mut tx = self.write().await?;
        let added = schedule_in(&mut tx, job).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn claim(&self, now: OffsetDateTime, limit: u32, owner: &str) -> Result<Vec<JobRecord>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "UPDATE job SET status = 'running', attempts = attempts + 1, lease_owner = $3, \
             lease_until = $2 WHERE id IN (SELECT id FROM job WHERE \
             (status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until <= $1) \
             ORDER BY run_at, id LIMIT $4{}) RETURNING {COLUMNS}",
            dialect::SKIP_LOCKED
        ))
        .bind(Ts(now))
        .bind(Ts(now + LEASE))
        .bind(owner)
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        let mut jobs: Vec<JobRecord> = rows.into_iter().map(JobRecord::from).collect();
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    async fn complete(
        &self,
        id: Uuid,
        owner: &str,
        now: OffsetDateTime,
        next: Option<&JobRecord>,
        mail: Option<&QueuedMail>,
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE job SET status = 'done', finished_at = $3, lease_until = NULL, last_error = NULL \
             WHERE id = $1 AND status = 'running' AND lease_owner = $2",
        )
        .bind(Id(id))
        .bind(owner)
        .bind(Ts(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(n) = next {
            schedule_in(&mut tx, n).await?;
        }
        if let Some(m) = mail {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn fail(
        &self,
        id: Uuid,
        owner: &str,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        let status = if retry_at.is_some() {
            "queued"
        } else {
            "failed"
        };
        sqlx::query(
            "UPDATE job SET status = $3, run_at = COALESCE($4, run_at), last_error = $5, \
             lease_until = NULL WHERE id = $1 AND status = 'running' AND lease_owner = $2",
        )
        .bind(Id(id))
        .bind(owner)
        .bind(status)
        .bind(retry_at.map(Ts))
        .bind(error)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn cancel(&self, dedupe_key: &str, now: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE job SET status = 'cancelled', finished_at = $2 \
             WHERE dedupe_key = $1 AND status = 'queued'",
        )
        .bind(dedupe_key)
        .bind(Ts(now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn release_leases(&self, owner: &str, now: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE job SET lease_until = $2 WHERE status = 'running' AND lease_owner = $1 \
             AND lease_until > $2",
        )
        .bind(owner)
        .bind(Ts(now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn keyed(&self, key: &str) -> Result<Option<JobRecord>> {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM job WHERE dedupe_key = $1"))
                .bind(key)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(JobRecord::from))
    }

    async fn list(&self, limit: u32) -> Result<Vec<JobRecord>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM job ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(JobRecord::from).collect())
    }
}
