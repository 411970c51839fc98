//! The access audit: per-subject hash chains, appended in batches.

use super::{dialect, Builder, Store, Tx, LIST};
use crate::error::{Result, StoreError};
use crate::model::{AuditFilter, VerifyReport};
use crate::types::{Id, Ts};
use candor_domain::audit::{AccessEvent, AuditAction, AuditEntry, GENESIS};
use sqlx::types::Json;
use std::collections::HashMap;
use uuid::Uuid;

const COLUMNS: &str = "id, subject_id, seq, actor, action, fields, endpoint, at, prev_hash, hash";

#[derive(sqlx::FromRow)]
pub(super) struct EntryRow {
    id: Id,
    subject_id: Id,
    seq: i64,
    actor: String,
    action: String,
    fields: Json<Vec<String>>,
    endpoint: String,
    at: Ts,
    prev_hash: String,
    hash: String,
}

fn entry(r: EntryRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.id.0,
        subject_id: r.subject_id.0,
        seq: r.seq,
        actor: r.actor,
        action: AuditAction::parse(&r.action)
            .ok_or_else(|| StoreError::Corrupt("audit action".into()))?,
        fields: r.fields.0,
        endpoint: r.endpoint,
        at: r.at.0,
        prev_hash: r.prev_hash,
        hash: r.hash,
    })
}

/// Rows per multi-row statement: 10 values each stays well under both backends' limits.
const CHUNK: usize = 500;

/// Appends `events` to their subjects' chains inside `tx`. Heads are created if missing
/// and read locked (on PostgreSQL, in subject order, so two batches never deadlock),
/// then entries and heads are written with a few multi-row statements.
pub(crate) async fn append_in(
    tx: &mut Tx<'_>,
    events: Vec<AccessEvent>,
) -> Result<Vec<AuditEntry>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut subjects: Vec<Id> = events.iter().map(|e| Id(e.subject_id)).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let mut heads: HashMap<Uuid, (i64, String)> = HashMap::with_capacity(subjects.len());
    let mut erased = std::collections::HashSet::new();
    for chunk in subjects.chunks(LIST) {
        let mut q = Builder::new("INSERT INTO audit_head (subject_id, seq, hash) ");
        q.push_values(chunk, |mut b, s| {
            b.push_bind(*s).push_bind(0i64).push_bind(GENESIS);
        });
        q.push(" ON CONFLICT (subject_id) DO NOTHING");
        q.build().persistent(false).execute(&mut **tx).await?;
        let mut q =
            Builder::new("SELECT subject_id, seq, hash FROM audit_head WHERE subject_id IN (");
        let mut list = q.separated(", ");
        for s in chunk {
            list.push_bind(*s);
        }
        q.push(format!(") ORDER BY subject_id{}", dialect::FOR_UPDATE));
        let rows: Vec<(Id, i64, String)> = q
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        heads.extend(rows.into_iter().map(|(s, n, h)| (s.0, (n, h))));
        // A person erased meanwhile (an access read queued before the erasure) has no
        // chain any more and starts none: their entries are dropped, with the empty
        // head just made. Checked after the heads are locked, so an erasure that
        // committed first is seen.
        let mut q = Builder::new("SELECT subject_id FROM erasure WHERE subject_id IN (");
        let mut list = q.separated(", ");
        for s in chunk {
            list.push_bind(*s);
        }
        q.push(")");
        let gone: Vec<Id> = q
            .build_query_scalar()
            .persistent(false)
            .fetch_all(&mut **tx)
            .await?;
        for g in gone {
            sqlx::query("DELETE FROM audit_head WHERE subject_id = $1 AND seq = 0")
                .bind(g)
                .execute(&mut **tx)
                .await?;
            heads.remove(&g.0);
            erased.insert(g.0);
        }
    }
    let events: Vec<AccessEvent> = events
        .into_iter()
        .filter(|e| !erased.contains(&e.subject_id))
        .collect();
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
        let mut q = Builder::new(format!("INSERT INTO audit_entry ({COLUMNS}) "));
        q.push_values(chunk, |mut b, e| {
            b.push_bind(Id(e.id))
                .push_bind(Id(e.subject_id))
                .push_bind(e.seq)
                .push_bind(e.actor.clone())
                .push_bind(e.action.as_str())
                .push_bind(Json(e.fields.clone()))
                .push_bind(e.endpoint.clone())
                .push_bind(Ts(e.at))
                .push_bind(e.prev_hash.clone())
                .push_bind(e.hash.clone());
        });
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    let new_heads: Vec<(Id, i64, String)> =
        heads.into_iter().map(|(s, (n, h))| (Id(s), n, h)).collect();
    for chunk in new_heads.chunks(CHUNK) {
        let mut q = Builder::new("INSERT INTO audit_head (subject_id, seq, hash) ");
        q.push_values(chunk, |mut b, (s, n, h)| {
            b.push_bind(*s).push_bind(*n).push_bind(h.clone());
        });
        q.push(" ON CONFLICT (subject_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
        q.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(out)
}

impl Store {
    /// A subject's newest entries, `only` narrowing them (a fixed SQL condition).
    async fn newest(&self, subject: Uuid, only: &str, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_entry WHERE subject_id = $1{only} ORDER BY seq DESC LIMIT $2"
        );
        let found: Vec<EntryRow> = sqlx::query_as(&sql)
            .bind(Id(subject))
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        found.into_iter().map(entry).collect()
    }
}

#[async_trait::async_trait]
impl crate::face::Audit for Store {
    /// Appends a batch of entries in one transaction (the batching writer's commit).
    async fn append(&self, events: Vec<AccessEvent>) -> Result<Vec<AuditEntry>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let out = append_in(&mut tx, events).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A subject's entries, newest first, at most `limit`.
    async fn list(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>> {
        self.newest(subject, "", limit).await
    }

    async fn changes(&self, subject: Uuid, limit: u32) -> Result<Vec<AuditEntry>> {
        self.newest(
            subject,
            " AND action IN ('create', 'update', 'delete')",
            limit,
        )
        .await
    }

    /// Checks every subject's chain against its head; streams, so memory stays flat.
    async fn verify(&self) -> Result<VerifyReport> {
        super::verify_chains(
            &self.reader,
            ("audit_entry", "audit_head"),
            true,
            COLUMNS,
            entry,
        )
        .await
    }

    async fn trim_before(
        &self,
        cutoff: time::OffsetDateTime,
        apply: bool,
        sign: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
        chunk: u32,
    ) -> Result<u64> {
        // An entry goes when it and every entry before it in its chain are older than
        // the cutoff.
        const TRIMMABLE: &str = "FROM audit_entry e WHERE e.at < $1 AND NOT EXISTS \
            (SELECT 1 FROM audit_entry n WHERE n.subject_id = e.subject_id \
             AND n.seq < e.seq AND n.at >= $1)";
        if !apply {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {TRIMMABLE}"))
                .bind(Ts(cutoff))
                .fetch_one(&self.reader)
                .await?;
            return Ok(n.unsigned_abs());
        }
        let chunk = chunk.max(1);
        let mut total = 0;
        loop {
            let subjects: Vec<Id> = sqlx::query_scalar(&format!(
                "SELECT DISTINCT e.subject_id {TRIMMABLE} ORDER BY e.subject_id LIMIT $2"
            ))
            .bind(Ts(cutoff))
            .bind(i64::from(chunk))
            .fetch_all(&self.reader)
            .await?;
            let mut tx = self.write().await?;
            let mut removed = 0;
            for subject in &subjects {
                let head: Option<(i64, i64)> = sqlx::query_as(&format!(
                    "SELECT seq, base_seq FROM audit_head WHERE subject_id = $1{}",
                    dialect::FOR_UPDATE
                ))
                .bind(*subject)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((head_seq, base_seq)) = head else {
                    continue;
                };
                let first_new: Option<i64> = sqlx::query_scalar(
                    "SELECT MIN(seq) FROM audit_entry WHERE subject_id = $1 AND at >= $2",
                )
                .bind(*subject)
                .bind(Ts(cutoff))
                .fetch_one(&mut *tx)
                .await?;
                let last = first_new.map_or(head_seq, |n| n - 1);
                if last <= base_seq {
                    continue;
                }
                // A trim signs a new start only over entries still as they were: the
                // ones it removes and the one after them must follow the current start
                // and hash to themselves, and the entry the last checkpoint kept must
                // be the one it saw. A chain someone changed (an entry's date moved
                // back to have it removed) is left whole for `candor verify` to name.
                let (from_seq, from_hash): (i64, Option<String>) = sqlx::query_as(
                    "SELECT base_seq, base_hash FROM audit_head WHERE subject_id = $1",
                )
                .bind(*subject)
                .fetch_one(&mut *tx)
                .await?;
                let rows: Vec<EntryRow> = sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM audit_entry WHERE subject_id = $1 \
                     AND seq > $2 AND seq <= $3 ORDER BY seq"
                ))
                .bind(*subject)
                .bind(from_seq)
                .bind(last + 1)
                .fetch_all(&mut *tx)
                .await?;
                let Ok(entries) = rows.into_iter().map(entry).collect::<Result<Vec<_>>>() else {
                    continue;
                };
                let from = (from_seq, from_hash.as_deref().unwrap_or(GENESIS));
                let whole =
                    usize::try_from(last.min(head_seq) + i64::from(last < head_seq) - from_seq)
                        .is_ok_and(|n| n == entries.len());
                if !whole || candor_domain::chain::verify_chain_from(&entries, from, None).is_err()
                {
                    continue;
                }
                let kept: Option<(i64, String)> = sqlx::query_as(
                    "SELECT seq, hash FROM checkpoint_head WHERE ledger = 'audit' AND subject_id = $1",
                )
                .bind(*subject)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((kept_seq, kept_hash)) = kept.filter(|k| k.0 > from_seq) {
                    let now: Option<String> = sqlx::query_scalar(
                        "SELECT hash FROM audit_entry WHERE subject_id = $1 AND seq = $2",
                    )
                    .bind(*subject)
                    .bind(kept_seq)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if now.as_deref() != Some(kept_hash.as_str()) {
                        continue;
                    }
                }
                let Some(hash) = entries
                    .iter()
                    .find(|e| e.seq == last)
                    .map(|e| e.hash.clone())
                else {
                    continue;
                };
                let n = sqlx::query("DELETE FROM audit_entry WHERE subject_id = $1 AND seq <= $2")
                    .bind(*subject)
                    .bind(last)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let signature = sign(&candor_domain::audit::base_digest(subject.0, last, &hash));
                sqlx::query(
                    "UPDATE audit_head SET base_seq = $2, base_hash = $3, base_signature = $4 \
                     WHERE subject_id = $1",
                )
                .bind(*subject)
                .bind(last)
                .bind(&hash)
                .bind(signature)
                .execute(&mut *tx)
                .await?;
                removed += n;
            }
            tx.commit().await?;
            total += removed;
            if subjects.len() < chunk as usize || removed == 0 {
                return Ok(total);
            }
        }
    }

    async fn bases(&self) -> Result<Vec<(Uuid, i64, String, String)>> {
        let rows: Vec<(Id, i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT subject_id, base_seq, base_hash, base_signature FROM audit_head \
             WHERE base_seq > 0 ORDER BY subject_id",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(s, n, h, sig)| (s.0, n, h.unwrap_or_default(), sig.unwrap_or_default()))
            .collect())
    }

    /// Access-audit entries matching `filter`, newest first.
    async fn search(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut q = Builder::new(format!("SELECT {COLUMNS} FROM audit_entry WHERE 1 = 1"));
        if let Some(s) = filter.subject_id {
            q.push(" AND subject_id = ").push_bind(Id(s));
        }
        if let Some(a) = &filter.actor {
            q.push(" AND actor = ").push_bind(a.clone());
        }
        if let Some(t) = filter.from {
            q.push(" AND at >= ").push_bind(Ts(t));
        }
        if let Some(t) = filter.until {
            q.push(" AND at < ").push_bind(Ts(t));
        }
        // After the cursor in the order below: older, or as old with a greater
        // subject, or the same subject with a smaller place in its chain.
        if let Some(c) = filter.after {
            q.push(" AND (at < ")
                .push_bind(Ts(c.at))
                .push(" OR (at = ")
                .push_bind(Ts(c.at))
                .push(" AND (subject_id > ")
                .push_bind(Id(c.subject_id))
                .push(" OR (subject_id = ")
                .push_bind(Id(c.subject_id))
                .push(" AND seq < ")
                .push_bind(c.seq)
                .push("))))");
        }
        q.push(" ORDER BY at DESC, subject_id, seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        let found: Vec<EntryRow> = q.build_query_as().fetch_all(&self.reader).await?;
        found.into_iter().map(entry).collect()
    }
}
