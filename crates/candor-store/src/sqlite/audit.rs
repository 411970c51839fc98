//! The access audit: per-subject hash chains, appended in batches.

use super::rows::uuid;
use super::Store;
use crate::error::{Result, StoreError};
use crate::model::VerifyReport;
use candor_domain::audit::{verify_chain, AccessEvent, AuditAction, AuditEntry, ChainBreak, GENESIS};
use futures_util::TryStreamExt;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
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
        action: AuditAction::parse(&action).ok_or_else(|| StoreError::Corrupt("audit action".into()))?,
        fields: serde_json::from_str(&fields).map_err(|_| StoreError::Corrupt("audit fields".into()))?,
        endpoint: row.try_get("endpoint")?,
        at: row.try_get("at")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Appends `events` to their subjects' chains inside `tx`.
pub(super) async fn append_in(
    tx: &mut Transaction<'_, Sqlite>,
    events: Vec<AccessEvent>,
) -> Result<Vec<AuditEntry>> {
    let mut heads: HashMap<Uuid, (i64, String)> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        let subject = ev.subject_id;
        let (seq, prev) = match heads.get(&subject) {
            Some(h) => h.clone(),
            None => sqlx::query_as::<_, (i64, String)>(
                "SELECT seq, hash FROM audit_head WHERE subject_id = ?1",
            )
            .bind(subject.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or((0, GENESIS.to_owned())),
        };
        let e = AuditEntry::chain(Uuid::now_v7(), ev, seq + 1, prev);
        sqlx::query(
            "INSERT INTO audit_entry (id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(e.id.to_string())
        .bind(subject.to_string())
        .bind(e.seq)
        .bind(&e.actor)
        .bind(e.action.as_str())
        .bind(serde_json::to_string(&e.fields).unwrap_or_default())
        .bind(&e.endpoint)
        .bind(e.at)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut **tx)
        .await?;
        heads.insert(subject, (e.seq, e.hash.clone()));
        out.push(e);
    }
    for (subject, (seq, hash)) in heads {
        sqlx::query(
            "INSERT INTO audit_head (subject_id, seq, hash) VALUES (?1, ?2, ?3) \
             ON CONFLICT (subject_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        )
        .bind(subject.to_string())
        .bind(seq)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    }
    Ok(out)
}

impl Store {
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
        let mut report = VerifyReport::default();
        let sql = "SELECT e.id, e.subject_id, e.seq, e.actor, e.action, e.fields, e.endpoint, \
                   e.at, e.prev_hash, e.hash, h.seq AS head_seq, h.hash AS head_hash \
                   FROM audit_entry e LEFT JOIN audit_head h ON h.subject_id = e.subject_id \
                   ORDER BY e.subject_id, e.seq";
        let mut rows = sqlx::query(sql).fetch(&self.reader);
        let mut current: Vec<AuditEntry> = Vec::new();
        let mut head: Option<(i64, String)> = None;
        while let Some(row) = rows.try_next().await? {
            let e = entry(&row)?;
            if current.first().is_some_and(|f| f.subject_id != e.subject_id) {
                check(&mut report, &current, head.take());
                current.clear();
            }
            let hs: Option<i64> = row.try_get("head_seq")?;
            let hh: Option<String> = row.try_get("head_hash")?;
            head = hs.zip(hh);
            report.entries += 1;
            current.push(e);
        }
        if !current.is_empty() {
            check(&mut report, &current, head);
        }
        drop(rows);
        let orphans: Vec<(String, i64)> = sqlx::query_as(
            "SELECT subject_id, seq FROM audit_head h WHERE NOT EXISTS \
             (SELECT 1 FROM audit_entry e WHERE e.subject_id = h.subject_id)",
        )
        .fetch_all(&self.reader)
        .await?;
        for (subject, head_seq) in orphans {
            let id = Uuid::parse_str(&subject).map_err(|_| StoreError::Corrupt("subject".into()))?;
            report.subjects += 1;
            report.breaks.push((id, ChainBreak::Truncated { last_seq: 0, head_seq }));
        }
        Ok(report)
    }
}

fn check(report: &mut VerifyReport, entries: &[AuditEntry], head: Option<(i64, String)>) {
    report.subjects += 1;
    let subject = entries[0].subject_id;
    let head_ref = head.as_ref().map(|(s, h)| (*s, h.as_str()));
    let result = match head_ref {
        // Entries without a head: the head row itself was removed.
        None => Err(ChainBreak::Truncated {
            last_seq: entries.last().map_or(0, |e| e.seq),
            head_seq: 0,
        }),
        Some(_) => verify_chain(entries, head_ref),
    };
    if let Err(b) = result {
        report.breaks.push((subject, b));
    }
}
