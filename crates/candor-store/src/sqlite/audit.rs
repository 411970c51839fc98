//! The access audit: per-subject hash chains, appended in batches.

use super::rows::uuid;
use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::VerifyReport;
use candor_domain::audit::{AccessEvent, AuditAction, AuditEntry, GENESIS};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

const COLUMNS: &str = "id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash";

fn entry(row: &SqliteRow) -> Result<AuditEntry> {
    let action: String = row.try_get("action")?;
    let fields: String = row.try_get("fields")?;
    Ok(AuditEntry {
        id: uuid(row, "id")?,
        subject_id: uuid(row, "subject_id")?,
        seq: row.try_get("seq")?,
        actor: row.try_get("actor")?,
        action: AuditAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt("audit action".into()))?,
        fields: serde_json::from_str(&fields)
            .map_err(|_| StoreError::Corrupt("audit fields".into()))?,
        endpoint: row.try_get("endpoint")?,
        at: row.try_get("at")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Rows per multi-row statement: 10 columns each stays under SQLite's 32,766 variables.
const CHUNK: usize = 500;

/// Appends `events` to their subjects' chains inside `tx`, with a few multi-row
/// statements per batch rather than three per event.
pub(super) async fn append_in(
    tx: &mut Transaction<'_, Sqlite>,
    events: Vec<AccessEvent>,
) -> Result<Vec<AuditEntry>> {
    let mut heads = read_heads(tx, &events).await?;
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
    for chunk in out.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO audit_entry (id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash) ",
        );
        q.push_values(chunk, |mut b, e| {
            b.push_bind(e.id.to_string())
                .push_bind(e.subject_id.to_string())
                .push_bind(e.seq)
                .push_bind(e.actor.clone())
                .push_bind(e.action.as_str())
                .push_bind(serde_json::to_string(&e.fields).unwrap_or_default())
                .push_bind(e.endpoint.clone())
                .push_bind(e.at)
                .push_bind(e.prev_hash.clone())
                .push_bind(e.hash.clone());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    let new_heads: Vec<(Uuid, i64, String)> =
        heads.into_iter().map(|(s, (n, h))| (s, n, h)).collect();
    for chunk in new_heads.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO audit_head (subject_id, seq, hash) ");
        q.push_values(chunk, |mut b, (s, n, h)| {
            b.push_bind(s.to_string())
                .push_bind(*n)
                .push_bind(h.clone());
        });
        q.push(" ON CONFLICT (subject_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(out)
}

/// The current heads of the subjects in `events`.
async fn read_heads(
    tx: &mut Transaction<'_, Sqlite>,
    events: &[AccessEvent],
) -> Result<HashMap<Uuid, (i64, String)>> {
    let mut subjects: Vec<String> = events.iter().map(|e| e.subject_id.to_string()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let mut heads = HashMap::with_capacity(subjects.len());
    for chunk in subjects.chunks(CHUNK) {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT subject_id, seq, hash FROM audit_head WHERE subject_id IN (");
        let mut list = q.separated(", ");
        for s in chunk {
            list.push_bind(s.clone());
        }
        q.push(")");
        let rows: Vec<(String, i64, String)> = q
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for (s, n, h) in rows {
            let id = Uuid::parse_str(&s).map_err(|_| StoreError::Corrupt("subject".into()))?;
            heads.insert(id, (n, h));
        }
    }
    Ok(heads)
}

impl SqliteStore {
    /// Appends a batch of entries in one transaction (the batching writer's commit).
    pub async fn append_audit(&self, events: Vec<AccessEvent>) -> Result<Vec<AuditEntry>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.writer.begin().await?;
        let out = append_in(&mut tx, events).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A subject's entries, newest first, at most `limit`.
    pub async fn list_audit(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_entry WHERE subject_id = ?1 ORDER BY seq DESC LIMIT ?2"
        );
        let found = sqlx::query(&sql)
            .bind(subject.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        found.iter().map(entry).collect()
    }

    /// Checks every subject's chain against its head; streams, so memory stays flat.
    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        super::verify_chains(&self.reader, ("audit_entry", "audit_head"), COLUMNS, entry).await
    }

    pub async fn search_audit(
        &self,
        filter: &crate::model::AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let mut q: sqlx::QueryBuilder<sqlx::Sqlite> =
            sqlx::QueryBuilder::new(format!("SELECT {COLUMNS} FROM audit_entry WHERE 1 = 1"));
        if let Some(s) = filter.subject_id {
            q.push(" AND subject_id = ").push_bind(s.to_string());
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
        let found = q.build().fetch_all(&self.reader).await?;
        found.iter().map(entry).collect()
    }
}
