//! The breach register (B1, B2): a breach's facts and notifications as documents, each
//! change with its history entry in the same transaction, the DPO's reminders scheduled
//! with the record and cancelled with the first notification.

use super::{Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::{BreachChange, BreachRecord, JobRecord, QueuedMail};
use crate::types::{Id, Ts};
use uuid::Uuid;

type Row = (Id, String, String, String, Ts, Ts, i64);

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("breach: {e}"))
}

fn record(r: Row) -> Result<BreachRecord> {
    Ok(BreachRecord {
        id: r.0 .0,
        facts: serde_json::from_str(&r.1).map_err(corrupt)?,
        notifications: serde_json::from_str(&r.2).map_err(corrupt)?,
        recorded_by: r.3,
        created_at: r.4 .0,
        updated_at: r.5 .0,
        subject_notices: u64::try_from(r.6).unwrap_or(0),
    })
}

const COLUMNS: &str =
    "id, facts, notifications, recorded_by, created_at, updated_at, subject_notices";

async fn change_in(tx: &mut Tx<'_>, breach: Uuid, c: &BreachChange) -> Result<()> {
    sqlx::query(
        "INSERT INTO breach_change (breach_id, seq, at, actor, action, changes) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM breach_change WHERE breach_id = $1), \
         $2, $3, $4, $5)",
    )
    .bind(Id(breach))
    .bind(Ts(c.at))
    .bind(&c.actor)
    .bind(&c.action)
    .bind(c.changes.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn locked(tx: &mut Tx<'_>, id: Uuid) -> Result<Option<BreachRecord>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM breach WHERE id = $1{}",
        super::dialect::FOR_UPDATE
    ))
    .bind(Id(id))
    .fetch_optional(&mut **tx)
    .await?;
    row.map(record).transpose()
}

#[async_trait::async_trait]
impl crate::face::Breaches for Store {
    async fn record(
        &self,
        b: &BreachRecord,
        change: &BreachChange,
        reminders: &[JobRecord],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO breach (id, discovered_at, facts, notifications, recorded_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Id(b.id))
        .bind(Ts(b.facts.discovered_at))
        .bind(serde_json::to_string(&b.facts).map_err(corrupt)?)
        .bind(serde_json::to_string(&b.notifications).map_err(corrupt)?)
        .bind(&b.recorded_by)
        .bind(Ts(b.created_at))
        .bind(Ts(b.updated_at))
        .execute(&mut *tx)
        .await?;
        change_in(&mut tx, b.id, change).await?;
        for j in reminders {
            super::jobs::schedule_in(&mut tx, j).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn update(
        &self,
        after: &BreachRecord,
        seen: time::OffsetDateTime,
        change: &BreachChange,
        reminders: &[JobRecord],
        cancel: &[String],
    ) -> Result<bool> {
        let mut tx = self.write().await?;
        // Written only over the version the change was made from: two people editing
        // at once do not overwrite each other unseen.
        match locked(&mut tx, after.id).await? {
            Some(now) if now.updated_at == seen => {}
            _ => return Ok(false),
        }
        sqlx::query(
            "UPDATE breach SET discovered_at = $2, facts = $3, notifications = $4, updated_at = $5 \
             WHERE id = $1",
        )
        .bind(Id(after.id))
        .bind(Ts(after.facts.discovered_at))
        .bind(serde_json::to_string(&after.facts).map_err(corrupt)?)
        .bind(serde_json::to_string(&after.notifications).map_err(corrupt)?)
        .bind(Ts(after.updated_at))
        .execute(&mut *tx)
        .await?;
        change_in(&mut tx, after.id, change).await?;
        for j in reminders {
            let moved = sqlx::query(
                "UPDATE job SET run_at = $2 WHERE dedupe_key = $1 AND status = 'queued'",
            )
            .bind(&j.dedupe_key)
            .bind(Ts(j.run_at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                super::jobs::schedule_in(&mut tx, j).await?;
            }
        }
        for key in cancel {
            sqlx::query(
                "UPDATE job SET status = 'cancelled', finished_at = $2 \
                 WHERE dedupe_key = $1 AND status = 'queued'",
            )
            .bind(key)
            .bind(Ts(after.updated_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn get(&self, id: Uuid) -> Result<Option<BreachRecord>> {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM breach WHERE id = $1"))
                .bind(Id(id))
                .fetch_optional(&self.reader)
                .await?;
        row.map(record).transpose()
    }

    async fn list(&self, limit: u32) -> Result<Vec<BreachRecord>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM breach ORDER BY discovered_at DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(record).collect()
    }

    async fn history(&self, id: Uuid) -> Result<Vec<BreachChange>> {
        let rows: Vec<(Ts, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, changes FROM breach_change WHERE breach_id = $1 ORDER BY seq",
        )
        .bind(Id(id))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(at, actor, action, changes)| {
                Ok(BreachChange {
                    at: at.0,
                    actor,
                    action,
                    changes: serde_json::from_str(&changes).map_err(corrupt)?,
                })
            })
            .collect()
    }

    async fn told(&self, breach: Uuid, subjects: &[Uuid]) -> Result<Vec<Uuid>> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT subject_id FROM breach_notice WHERE breach_id = $1 AND subject_id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, Id>(&sql).bind(Id(breach));
            for s in chunk {
                q = q.bind(Id(*s));
            }
            out.extend(q.fetch_all(&self.reader).await?.into_iter().map(|i| i.0));
        }
        Ok(out)
    }

    async fn tell(&self, breach: Uuid, notices: &[(Uuid, QueuedMail)]) -> Result<u64> {
        let mut tx = self.write().await?;
        let mut told = 0u64;
        for (subject, mail) in notices {
            let added = sqlx::query(
                "INSERT INTO breach_notice (breach_id, subject_id, message_id, at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (breach_id, subject_id) DO NOTHING",
            )
            .bind(Id(breach))
            .bind(Id(*subject))
            .bind(&mail.message_id)
            .bind(Ts(mail.created_at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added == 1 {
                super::outbox::queue_in(&mut tx, mail).await?;
                told += 1;
            }
        }
        sqlx::query("UPDATE breach SET subject_notices = subject_notices + $2 WHERE id = $1")
            .bind(Id(breach))
            .bind(i64::try_from(told).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(told)
    }
}
