//! The access audit on PostgreSQL: per-subject chains, heads locked while appending so
//! concurrent writers on one subject queue instead of forking its chain.

use super::PgStore;
use crate::error::{Result, StoreError};
use crate::model::VerifyReport;
use candor_domain::audit::{AccessEvent, AuditAction, AuditEntry, GENESIS};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str = "id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash";

fn entry(row: &PgRow) -> Result<AuditEntry> {
    let action: String = row.try_get("action")?;
    let fields: serde_json::Value = row.try_get("fields")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        subject_id: row.try_get("subject_id")?,
        seq: row.try_get("seq")?,
        actor: row.try_get("actor")?,
        action: AuditAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt("audit action".into()))?,
        fields: serde_json::from_value(fields)
            .map_err(|_| StoreError::Corrupt("audit fields".into()))?,
        endpoint: row.try_get("endpoint")?,
        at: row.try_get("at")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Appends `events` to their subjects' chains inside `tx`: heads are created if
/// missing and locked in subject order (no deadlock between batches), then entries
/// and heads are written with one statement each.
pub(super) async fn append_in(
    tx: &mut Transaction<'_, Postgres>,
    events: Vec<AccessEvent>,
) -> Result<Vec<AuditEntry>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut subjects: Vec<Uuid> = events.iter().map(|e| e.subject_id).collect();
    subjects.sort_unstable();
    subjects.dedup();
    sqlx::query("INSERT INTO audit_head (subject_id, seq, hash) SELECT s, 0, $2 FROM UNNEST($1::uuid[]) AS s ON CONFLICT DO NOTHING")
        .bind(&subjects)
        .bind(GENESIS)
        .execute(&mut **tx)
        .await?;
    let rows: Vec<(Uuid, i64, String)> =
        sqlx::query_as("SELECT subject_id, seq, hash FROM audit_head WHERE subject_id = ANY($1) ORDER BY subject_id FOR UPDATE")
            .bind(&subjects)
            .fetch_all(&mut **tx)
            .await?;
    let mut heads: HashMap<Uuid, (i64, String)> =
        rows.into_iter().map(|(s, n, h)| (s, (n, h))).collect();
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        let subject = ev.subject_id;
        let (seq, prev) = heads
            .get(&subject)
            .cloned()
            .unwrap_or_else(|| (0, GENESIS.to_owned()));
        let e = AuditEntry::chain(Uuid::now_v7(), ev, seq + 1, prev);
        heads.insert(subject, (e.seq, e.hash.clone()));
        out.push(e);
    }
    sqlx::query(
        "INSERT INTO audit_entry (id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash) \
         SELECT id, subject_id, seq, actor, action, fields::jsonb, endpoint, at, prev_hash, hash FROM UNNEST(\
         $1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[]) \
         AS t(id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash)",
    )
    .bind(out.iter().map(|e| e.id).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.subject_id).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.seq).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.actor.clone()).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.action.as_str().to_owned()).collect::<Vec<_>>())
    .bind(out.iter().map(|e| serde_json::to_string(&e.fields).unwrap_or_default()).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.endpoint.clone()).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.at).collect::<Vec<OffsetDateTime>>())
    .bind(out.iter().map(|e| e.prev_hash.clone()).collect::<Vec<_>>())
    .bind(out.iter().map(|e| e.hash.clone()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    let (ids, rest): (Vec<Uuid>, Vec<(i64, String)>) = heads.into_iter().unzip();
    let (seqs, hashes): (Vec<i64>, Vec<String>) = rest.into_iter().unzip();
    sqlx::query(
        "UPDATE audit_head h SET seq = t.seq, hash = t.hash FROM UNNEST($1::uuid[], $2::bigint[], $3::text[]) \
         AS t(subject_id, seq, hash) WHERE h.subject_id = t.subject_id",
    )
    .bind(ids)
    .bind(seqs)
    .bind(hashes)
    .execute(&mut **tx)
    .await?;
    Ok(out)
}

impl PgStore {
    pub async fn append_audit(&self, events: Vec<AccessEvent>) -> Result<Vec<AuditEntry>> {
        let mut tx = self.pool.begin().await?;
        let out = append_in(&mut tx, events).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn list_audit(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_entry WHERE subject_id = $1 ORDER BY seq DESC LIMIT $2"
        );
        let found = sqlx::query(&sql)
            .bind(subject)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(entry).collect()
    }

    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        super::verify_chains(&self.pool, ("audit_entry", "audit_head"), COLUMNS, entry).await
    }

    pub async fn search_audit(
        &self,
        filter: &crate::model::AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let mut q: sqlx::QueryBuilder<sqlx::Postgres> =
            sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_entry WHERE 1 = 1"));
        if let Some(s) = filter.subject_id {
            q.push(" AND subject_id = ").push_bind(s);
        }
        if let Some(a) = &filter.actor {
            q.push(" AND actor = ").push_bind(a.clone());
        }
        if let Some(t) = filter.from {
            q.push(" AND at >= ").push_bind(t);
        }
        if let Some(t) = filter.until {
            q.push(" AND at < ").push_bind(t);
        }
        q.push(" ORDER BY at DESC, seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        let found = q.build().fetch_all(&self.pool).await?;
        found.iter().map(entry).collect()
    }
}
