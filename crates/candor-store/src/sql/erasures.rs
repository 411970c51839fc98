//! Erasure (E1–E3): one transaction that removes a person from every table the
//! registry says holds their data, by what the registry says erasure does there, and
//! records it. See `candor_domain::erasure` for the record and its chain.

use super::{dialect, Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::{Erased, ErasurePlan};
use crate::registry::{OnErasure, SUBJECT_TABLES};
use crate::types::{Id, Ts};
use candor_domain::erasure::{Erasure, Held, HoldKind, HoldRules, SealedHead, TableCount};
use sqlx::types::Json;
use std::collections::BTreeMap;
use time::Date;
use uuid::Uuid;

const COLUMNS: &str = "id, seq, subject_id, erased_at, actor, reason, counts, sealed, files, \
    prev_hash, hash, signature";

type Row = (
    Id,
    i64,
    Id,
    Ts,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn record(r: Row) -> Result<(Erasure, Vec<Uuid>)> {
    let bad = |e: serde_json::Error| StoreError::Corrupt(format!("erasure record: {e}"));
    Ok((
        Erasure {
            id: r.0 .0,
            seq: r.1,
            subject_id: r.2 .0,
            erased_at: r.3 .0,
            actor: r.4,
            reason: r.5,
            counts: serde_json::from_str(&r.6).map_err(bad)?,
            sealed: serde_json::from_str(&r.7).map_err(bad)?,
            prev_hash: r.9,
            hash: r.10,
            signature: r.11,
        },
        serde_json::from_str(&r.8).map_err(bad)?,
    ))
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Id,
    ordered_at: Ts,
    currency: String,
    total_cents: i64,
    lines: Json<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: Id,
    reference: String,
    status: String,
    starts_on: Date,
    ends_on: Option<Date>,
    created_at: Ts,
}

/// The person's orders, deleted from the live table and returned as what their legal
/// hold keeps: no person named, the country read from the contact before it went.
async fn hold_orders(
    tx: &mut Tx<'_>,
    subject: Uuid,
    country: Option<&str>,
    rules: &HoldRules,
    out: &mut Vec<Held>,
) -> Result<u64> {
    let mut orders: Vec<OrderRow> = sqlx::query_as(
        "DELETE FROM customer_order WHERE contact_id = $1 \
         RETURNING id, ordered_at, currency, total_cents, lines",
    )
    .bind(Id(subject))
    .fetch_all(&mut **tx)
    .await?;
    let n = orders.len() as u64;
    orders.sort_by_key(|o| (o.ordered_at.0, o.id.0));
    for o in orders {
        out.push(Held {
            id: o.id.0,
            kind: HoldKind::Order,
            at: o.ordered_at.0,
            held_until: rules.order_until(o.ordered_at.0.date()),
            reason: rules.order_ground.clone(),
            data: serde_json::json!({
                "ordered_at": candor_domain::contact::rfc3339(o.ordered_at.0),
                "currency": o.currency,
                "total_cents": o.total_cents,
                "lines": o.lines.0,
                "country": country,
            }),
        });
    }
    Ok(n)
}

/// The person's contracts, deleted from the live table and returned as what their
/// legal hold keeps.
async fn hold_contracts(
    tx: &mut Tx<'_>,
    subject: Uuid,
    rules: &HoldRules,
    today: Date,
    out: &mut Vec<Held>,
) -> Result<u64> {
    let mut contracts: Vec<ContractRow> = sqlx::query_as(
        "DELETE FROM contract WHERE contact_id = $1 \
         RETURNING id, reference, status, starts_on, ends_on, created_at",
    )
    .bind(Id(subject))
    .fetch_all(&mut **tx)
    .await?;
    let n = contracts.len() as u64;
    contracts.sort_by_key(|c| (c.created_at.0, c.id.0));
    for c in contracts {
        out.push(Held {
            id: c.id.0,
            kind: HoldKind::Contract,
            at: c.created_at.0,
            held_until: rules.contract_until(c.starts_on, c.ends_on, today),
            reason: rules.contract_ground.clone(),
            data: serde_json::json!({
                "reference": c.reference,
                "status": c.status,
                "starts_on": c.starts_on.to_string(),
                "ends_on": c.ends_on.map(|d| d.to_string()),
            }),
        });
    }
    Ok(n)
}

/// Runs one statement on the person's rows; how many it touched.
async fn exec(tx: &mut Tx<'_>, sql: &str, subject: Uuid) -> Result<u64> {
    Ok(sqlx::query(sql)
        .bind(Id(subject))
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// The JSON text of a record's parts, exactly as hashed.
fn text(v: serde_json::Result<serde_json::Value>) -> Result<String> {
    v.map(|v| v.to_string())
        .map_err(|e| StoreError::Corrupt(format!("erasure record: {e}")))
}

/// The head a checkpoint kept of one of the person's chains, the entry now at its
/// sequence number, and (for the access audit) the chain's signed start.
#[derive(sqlx::FromRow)]
struct KeptRow {
    ledger: String,
    seq: i64,
    hash: String,
    at_seq: Option<String>,
    base_seq: Option<i64>,
    base_hash: Option<String>,
}

/// What an erasure gathers while it walks the tables: the legal holds, the outbox
/// messages whose `.eml` copies go after the commit, and what it knows beforehand.
struct Walk<'a> {
    subject: Uuid,
    country: Option<String>,
    rules: &'a HoldRules,
    today: Date,
    /// The person's rows in `checkpoint_head`, read with the kept-head check.
    kept: u64,
    held: Vec<Held>,
    files: Vec<Uuid>,
}

impl Walk<'_> {
    /// The rows of one table the person has, handled by the registry's rule for it.
    async fn table(
        &mut self,
        tx: &mut Tx<'_>,
        table: &str,
        column: &str,
        rule: OnErasure,
    ) -> Result<TableCount> {
        let subject = self.subject;
        let delete = || format!("DELETE FROM {table} WHERE {column} = $1");
        Ok(match (table, rule) {
            // The kept heads stay: a sequence number and a hash per chain, which the
            // erasure record answers for (no personal content).
            ("checkpoint_head", OnErasure::Seal) => TableCount {
                sealed: self.kept,
                ..TableCount::default()
            },
            // Their `.eml` copies are deleted after the commit; the record lists them.
            ("outbox", OnErasure::Delete) => {
                let ids: Vec<Id> = sqlx::query_scalar(&format!("{} RETURNING id", delete()))
                    .bind(Id(subject))
                    .fetch_all(&mut **tx)
                    .await?;
                self.files.extend(ids.iter().map(|i| i.0));
                TableCount {
                    deleted: ids.len() as u64,
                    ..TableCount::default()
                }
            }
            (_, OnErasure::Delete | OnErasure::Seal) => TableCount {
                deleted: exec(tx, &delete(), subject).await?,
                ..TableCount::default()
            },
            // Moved to the legal holds, naming no one.
            ("customer_order", OnErasure::Anonymise) => TableCount {
                held: hold_orders(
                    tx,
                    subject,
                    self.country.as_deref(),
                    self.rules,
                    &mut self.held,
                )
                .await?,
                ..TableCount::default()
            },
            ("contract", OnErasure::LegalHold) => TableCount {
                held: hold_contracts(tx, subject, self.rules, self.today, &mut self.held).await?,
                ..TableCount::default()
            },
            // Kept as proof that the request was answered (Art. 5(2)), emptied of what
            // the person gave and of free text; the request names no one any more.
            ("subject_request", OnErasure::LegalHold) => TableCount {
                minimised: exec(
                    tx,
                    &format!(
                    "UPDATE subject_request SET subject_id = NULL, requester = '{{}}', details = '', \
                     identity_method = CASE WHEN identity_method IS NULL THEN NULL ELSE 'erased' END, \
                     refusal_note = NULL, extension_reason = CASE WHEN extension_reason IS NULL \
                     THEN NULL ELSE 'erased' END, \
                     answer = CASE WHEN answer IS NULL THEN NULL ELSE 'erased' END WHERE {column} = $1"
                    ),
                    subject,
                )
                .await?,
                ..TableCount::default()
            },
            ("request_event", OnErasure::LegalHold) => TableCount {
                minimised: exec(
                    tx,
                    &format!(
                        "UPDATE request_event SET subject_id = NULL, detail = '{{}}' WHERE {column} = $1"
                    ),
                    subject,
                )
                .await?,
                ..TableCount::default()
            },
            (other, rule) => {
                return Err(StoreError::Corrupt(format!(
                    "no erasure rule for the table {other} ({rule:?}): give it one in sql/erasures.rs"
                )))
            }
        })
    }
}

/// No sign of life since `$1`: no web visit or email event, no consent event and no
/// open request; the retention policies that erase people select on it, oldest first.
const QUIET_SINCE: &str =
    "AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.contact_id = c.id AND a.at >= $1) \
     AND NOT EXISTS (SELECT 1 FROM consent_event e WHERE e.subject_id = c.id AND e.at >= $1) \
     AND NOT EXISTS (SELECT 1 FROM subject_request r WHERE r.subject_id = c.id \
       AND r.status IN ('received', 'identity_verified', 'in_progress')) \
     ORDER BY c.created_at, c.id";

#[async_trait::async_trait]
impl crate::face::Erasures for Store {
    async fn erase(
        &self,
        plan: &ErasurePlan,
        sign: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
    ) -> Result<Option<Erased>> {
        let subject = plan.subject;
        let mut tx = self.write().await?;
        if !dialect::ERASURE_LOCK.is_empty() {
            sqlx::query(dialect::ERASURE_LOCK).execute(&mut *tx).await?;
        }
        // The contact row, locked; its country goes with the orders under their hold.
        let contact: Option<(Option<String>,)> = sqlx::query_as(&format!(
            "SELECT country FROM contact WHERE id = $1{}",
            dialect::FOR_UPDATE
        ))
        .bind(Id(subject))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((country,)) = contact else {
            return Ok(None);
        };
        // The heads of the person's chains, as they are now: sealed into the record.
        // The consent head first, then the audit head: the order consent writes lock
        // them in, so the two never deadlock on PostgreSQL.
        let mut sealed = Vec::new();
        for (ledger, heads) in [("consent", "consent_head"), ("audit", "audit_head")] {
            let head: Option<(i64, String)> = sqlx::query_as(&format!(
                "SELECT seq, hash FROM {heads} WHERE subject_id = $1 AND seq > 0{}",
                dialect::FOR_UPDATE
            ))
            .bind(Id(subject))
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((seq, hash)) = head {
                sealed.push(SealedHead {
                    ledger: ledger.to_owned(),
                    seq,
                    hash,
                });
            }
        }
        // The entries the last checkpoint kept of each chain must still be there (or,
        // for an access audit that retention shortened, answered by the chain's signed
        // start): sealing a chain that lost its kept entry would seal the tampering.
        let kept: Vec<KeptRow> = sqlx::query_as(
            "SELECT k.ledger, k.seq, k.hash, CASE k.ledger \
               WHEN 'audit' THEN (SELECT e.hash FROM audit_entry e \
                 WHERE e.subject_id = k.subject_id AND e.seq = k.seq) \
               ELSE (SELECT e.hash FROM consent_event e \
                 WHERE e.subject_id = k.subject_id AND e.seq = k.seq) END AS at_seq, \
             b.base_seq, b.base_hash \
             FROM checkpoint_head k \
             LEFT JOIN audit_head b ON k.ledger = 'audit' AND b.subject_id = k.subject_id \
             WHERE k.subject_id = $1",
        )
        .bind(Id(subject))
        .fetch_all(&mut *tx)
        .await?;
        for k in &kept {
            let answered = k.base_seq.is_some_and(|base_seq| {
                k.seq < base_seq
                    || (k.seq == base_seq && k.base_hash.as_deref() == Some(k.hash.as_str()))
            });
            if !answered && k.at_seq.as_deref() != Some(k.hash.as_str()) {
                return Err(StoreError::Corrupt(format!(
                    "this person's {} chain no longer holds the entry the last checkpoint kept: \
                     run `candor verify`; the erasure would seal the tampering",
                    k.ledger
                )));
            }
        }
        let mut walk = Walk {
            subject,
            country,
            rules: &plan.holds,
            today: plan.at.date(),
            kept: kept.len() as u64,
            held: Vec::new(),
            files: Vec::new(),
        };
        let mut counts = BTreeMap::new();
        for t in SUBJECT_TABLES.iter().filter(|t| t.table != "contact") {
            let n = walk
                .table(&mut tx, t.table, t.subject_column, t.on_erasure)
                .await?;
            if n != TableCount::default() {
                counts.insert(t.table.to_owned(), n);
            }
        }
        let contact = walk
            .table(&mut tx, "contact", "id", OnErasure::Delete)
            .await?;
        counts.insert("contact".to_owned(), contact);
        let Walk { held, files, .. } = walk;
        let prev: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM erasure ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let record = Erasure {
            id: plan.id,
            seq: 0,
            subject_id: subject,
            erased_at: plan.at,
            actor: plan.actor.clone(),
            reason: plan.reason.clone(),
            counts,
            sealed,
            prev_hash: String::new(),
            hash: String::new(),
            signature: String::new(),
        }
        .chain(prev);
        let record = Erasure {
            signature: sign(&record.hash),
            ..record
        };
        sqlx::query(&format!(
            "INSERT INTO erasure ({COLUMNS}, told) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(Id(record.id))
        .bind(record.seq)
        .bind(Id(subject))
        .bind(Ts(record.erased_at))
        .bind(&record.actor)
        .bind(&record.reason)
        .bind(text(serde_json::to_value(&record.counts))?)
        .bind(text(serde_json::to_value(&record.sealed))?)
        .bind(text(serde_json::to_value(&files))?)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .bind(&record.signature)
        .bind(i64::from(plan.notice.is_some()))
        .execute(&mut *tx)
        .await?;
        // One statement per 500 held records (7 parameters each, well under either
        // backend's limit).
        for chunk in held.chunks(500) {
            let mut q = super::Builder::new(
                "INSERT INTO held_record (id, erasure_id, kind, at, held_until, reason, data) ",
            );
            q.push_values(chunk, |mut b, h| {
                b.push_bind(Id(h.id))
                    .push_bind(Id(record.id))
                    .push_bind(h.kind.as_str())
                    .push_bind(Ts(h.at))
                    .push_bind(h.held_until)
                    .push_bind(h.reason.clone())
                    .push_bind(h.data.to_string());
            });
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        // The person's notice, if any, commits with their erasure (it names no subject
        // and its row goes once sent).
        if let Some(m) = &plan.notice {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        if !plan.suppress.is_empty() {
            let mut q = super::Builder::new(
                "INSERT INTO suppression (hash, kind, erasure_id, created_at) ",
            );
            q.push_values(&plan.suppress, |mut b, (hash, kind)| {
                b.push_bind(hash.clone())
                    .push_bind(*kind)
                    .push_bind(Id(record.id))
                    .push_bind(Ts(plan.at));
            });
            q.push(" ON CONFLICT (hash) DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Some(Erased {
            record,
            held,
            files,
        }))
    }

    async fn of_subject(&self, subject: Uuid) -> Result<Option<Erasure>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM erasure WHERE subject_id = $1"
        ))
        .bind(Id(subject))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| record(r).map(|(e, _)| e)).transpose()
    }

    async fn by_reason(&self, reason: &str) -> Result<Option<(Erasure, bool)>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT told FROM erasure WHERE reason = $1 ORDER BY seq LIMIT 1")
                .bind(reason)
                .fetch_optional(&self.reader)
                .await?;
        let Some((told,)) = row else { return Ok(None) };
        let row: Row = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM erasure WHERE reason = $1 ORDER BY seq LIMIT 1"
        ))
        .bind(reason)
        .fetch_one(&self.reader)
        .await?;
        record(row).map(|(e, _)| Some((e, told != 0)))
    }

    async fn list(&self, limit: u32) -> Result<Vec<Erasure>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM erasure ORDER BY seq DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| record(r).map(|(e, _)| e))
            .collect()
    }

    async fn held(&self, erasure: Uuid) -> Result<Vec<Held>> {
        let rows: Vec<(Id, String, Ts, Date, String, String)> = sqlx::query_as(
            "SELECT id, kind, at, held_until, reason, data FROM held_record \
             WHERE erasure_id = $1 ORDER BY kind DESC, at, id",
        )
        .bind(Id(erasure))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(id, kind, at, held_until, reason, data)| {
                Ok(Held {
                    id: id.0,
                    kind: HoldKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("hold kind {kind}")))?,
                    at: at.0,
                    held_until,
                    reason,
                    data: serde_json::from_str(&data)
                        .map_err(|e| StoreError::Corrupt(format!("held record: {e}")))?,
                })
            })
            .collect()
    }

    async fn pending_files(&self) -> Result<Vec<(Uuid, Vec<Uuid>)>> {
        let rows: Vec<(Id, String)> =
            sqlx::query_as("SELECT id, files FROM erasure WHERE files <> '[]' ORDER BY seq")
                .fetch_all(&self.reader)
                .await?;
        rows.into_iter()
            .map(|(id, files)| {
                Ok((
                    id.0,
                    serde_json::from_str(&files)
                        .map_err(|e| StoreError::Corrupt(format!("erasure files: {e}")))?,
                ))
            })
            .collect()
    }

    async fn files_done(&self, erasure: Uuid) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE erasure SET files = '[]' WHERE id = $1")
            .bind(Id(erasure))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn lift(
        &self,
        hashes: &[String],
        reason: &str,
        actor: &str,
        at: time::OffsetDateTime,
    ) -> Result<u64> {
        let mut tx = self.write().await?;
        let mut n = 0;
        for h in hashes {
            let on: Option<(String, Id)> =
                sqlx::query_as("SELECT kind, erasure_id FROM suppression WHERE hash = $1")
                    .bind(h)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((kind, erasure)) = on else { continue };
            sqlx::query(
                "INSERT INTO suppression_lift (id, kind, erasure_id, reason, actor, lifted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Id(Uuid::now_v7()))
            .bind(kind)
            .bind(erasure)
            .bind(reason)
            .bind(actor)
            .bind(Ts(at))
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM suppression WHERE hash = $1")
                .bind(h)
                .execute(&mut *tx)
                .await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn suppressed(&self, hashes: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in hashes.chunks(super::LIST) {
            let mut q = super::Builder::new("SELECT hash FROM suppression WHERE hash IN (");
            let mut list = q.separated(", ");
            for h in chunk {
                list.push_bind(h.clone());
            }
            q.push(")");
            let found: Vec<String> = q
                .build_query_scalar()
                .persistent(false)
                .fetch_all(&self.reader)
                .await?;
            out.extend(found);
        }
        Ok(out)
    }

    async fn verify(&self) -> Result<crate::model::VerifyReport> {
        let all = crate::face::Erasures::chain(self).await?;
        // No head row of its own: the newest record is the head, and the checkpoints'
        // kept head shows records removed from the end.
        let head = all.last().map(|e| (e.seq, e.hash.clone()));
        let mut v = crate::verify::Verifier::default();
        for e in all {
            v.push(e, head.clone(), None);
        }
        Ok(v.finish())
    }

    async fn find_text(&self, needle: &str) -> Result<Vec<(&'static str, u64)>> {
        let tables = SUBJECT_TABLES
            .iter()
            .map(|t| t.table)
            .chain(crate::registry::OTHER_TABLES.iter().map(|t| t.table));
        let mut out = Vec::new();
        for table in tables {
            let row = dialect::row_text(&self.reader, table).await?;
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {table} t WHERE lower({row}) LIKE $1"
            ))
            .bind(format!("%{}%", needle.to_lowercase()))
            .fetch_one(&self.reader)
            .await?;
            if n > 0 {
                out.push((table, n.unsigned_abs()));
            }
        }
        Ok(out)
    }

    async fn inactive_prospects(
        &self,
        cutoff: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Uuid>> {
        let ids: Vec<Id> = sqlx::query_scalar(&format!(
            "SELECT c.id FROM contact c WHERE c.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM contract k WHERE k.contact_id = c.id) \
             AND NOT EXISTS (SELECT 1 FROM customer_order o WHERE o.contact_id = c.id) \
             {QUIET_SINCE} LIMIT $2"
        ))
        .bind(Ts(cutoff))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(|i| i.0).collect())
    }

    async fn former_customers(
        &self,
        cutoff: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Uuid>> {
        // A contract keeps the relation alive until its end date, or while it is
        // active without one; one ended or cancelled without a date ended when it
        // was last changed.
        let ids: Vec<Id> = sqlx::query_scalar(&format!(
            "SELECT c.id FROM contact c WHERE c.created_at < $1 \
             AND (EXISTS (SELECT 1 FROM contract k WHERE k.contact_id = c.id) \
               OR EXISTS (SELECT 1 FROM customer_order o WHERE o.contact_id = c.id)) \
             AND NOT EXISTS (SELECT 1 FROM contract k WHERE k.contact_id = c.id \
               AND COALESCE(k.ends_on >= $2, k.status = 'active' OR k.updated_at >= $1)) \
             AND NOT EXISTS (SELECT 1 FROM customer_order o WHERE o.contact_id = c.id AND o.ordered_at >= $1) \
             {QUIET_SINCE} LIMIT $3"
        ))
        .bind(Ts(cutoff))
        .bind(cutoff.date())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(|i| i.0).collect())
    }

    async fn lapse_pending(
        &self,
        cutoff: time::OffsetDateTime,
        at: time::OffsetDateTime,
        by: &str,
        apply: bool,
        chunk: u32,
    ) -> Result<u64> {
        use candor_domain::consent::{Action, Channel, ConsentDraft, Evidence, Source};
        // Only grants waiting for the person's confirmation (double opt-in): one
        // waiting for a signed document is not the person's silence.
        const PENDING: &str = "FROM consent_state WHERE status = 'pending' \
            AND reason = 'double_opt_in' AND since < $1";
        if !apply {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {PENDING}"))
                .bind(Ts(cutoff))
                .fetch_one(&self.reader)
                .await?;
            return Ok(n.unsigned_abs());
        }
        let chunk = chunk.max(1);
        let mut total = 0;
        loop {
            let rows: Vec<(Id, String, String)> = sqlx::query_as(&format!(
                "SELECT subject_id, purpose, channel {PENDING} \
                 ORDER BY subject_id, purpose, channel LIMIT $2"
            ))
            .bind(Ts(cutoff))
            .bind(i64::from(chunk))
            .fetch_all(&self.reader)
            .await?;
            let found = rows.len();
            let mut closed = 0;
            // One person per transaction: a single chain head is held at a time, as
            // every other appender holds it, so no two writers wait on each other.
            for (subject, purpose, channel) in rows {
                let channel = Channel::parse("channel", &channel)
                    .map_err(|e| StoreError::Corrupt(format!("consent_state: {}", e.message)))?;
                let mut tx = self.write().await?;
                // The head first, as every append takes it; then the state again: a
                // confirmation that committed meanwhile wins.
                sqlx::query(&format!(
                    "SELECT seq FROM consent_head WHERE subject_id = $1{}",
                    dialect::FOR_UPDATE
                ))
                .bind(subject)
                .fetch_optional(&mut *tx)
                .await?;
                let still: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT source {PENDING} AND subject_id = $2 AND purpose = $3 AND channel = $4"
                ))
                .bind(Ts(cutoff))
                .bind(subject)
                .bind(&purpose)
                .bind(channel.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(source) = still else { continue };
                let source = Source::parse("source", &source)
                    .map_err(|e| StoreError::Corrupt(format!("consent_state: {}", e.message)))?;
                let draft = ConsentDraft {
                    subject_id: subject.0,
                    purpose,
                    channel,
                    action: Action::Lapse,
                    pending: None,
                    source,
                    evidence: Evidence {
                        recorded_by: Some(by.to_owned()),
                        ..Evidence::default()
                    },
                    at,
                };
                super::append_consent_in(&mut tx, draft).await?;
                tx.commit().await?;
                closed += 1;
            }
            total += closed;
            if found < chunk as usize || closed == 0 {
                return Ok(total);
            }
        }
    }

    async fn requests_closed_before(
        &self,
        cutoff: time::OffsetDateTime,
        delete: bool,
        chunk: u32,
    ) -> Result<u64> {
        const CLOSED: &str = "FROM subject_request WHERE status IN ('answered', 'refused') \
            AND closed_at < $1";
        if !delete {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {CLOSED}"))
                .bind(Ts(cutoff))
                .fetch_one(&self.reader)
                .await?;
            return Ok(n.unsigned_abs());
        }
        let chunk = chunk.max(1);
        let mut total = 0;
        loop {
            let mut tx = self.write().await?;
            // Their steps and links go by the foreign keys' cascade.
            let n = sqlx::query(&format!(
                "DELETE FROM subject_request WHERE id IN (SELECT id {CLOSED} LIMIT $2)"
            ))
            .bind(Ts(cutoff))
            .bind(i64::from(chunk))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            total += n;
            if n < u64::from(chunk) {
                return Ok(total);
            }
        }
    }

    async fn record_run(&self, run: &crate::model::RetentionRun) -> Result<()> {
        let outcomes = serde_json::to_string(&run.outcomes)
            .map_err(|e| StoreError::Corrupt(format!("retention run: {e}")))?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO retention_run (id, started_at, finished_at, dry_run, actor, outcomes) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Id(run.id))
        .bind(Ts(run.started_at))
        .bind(Ts(run.finished_at))
        .bind(i64::from(run.dry_run))
        .bind(&run.actor)
        .bind(outcomes)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn runs(&self, limit: u32) -> Result<Vec<crate::model::RetentionRun>> {
        let rows: Vec<(Id, Ts, Ts, i64, String, String)> = sqlx::query_as(
            "SELECT id, started_at, finished_at, dry_run, actor, outcomes FROM retention_run \
             ORDER BY started_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(crate::model::RetentionRun {
                    id: r.0 .0,
                    started_at: r.1 .0,
                    finished_at: r.2 .0,
                    dry_run: r.3 != 0,
                    actor: r.4,
                    outcomes: serde_json::from_str(&r.5)
                        .map_err(|e| StoreError::Corrupt(format!("retention run: {e}")))?,
                })
            })
            .collect()
    }

    async fn tracking_before(
        &self,
        cutoff: time::OffsetDateTime,
        delete: bool,
        chunk: u32,
    ) -> Result<u64> {
        if !delete {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activity WHERE at < $1")
                .bind(Ts(cutoff))
                .fetch_one(&self.reader)
                .await?;
            return Ok(n.unsigned_abs());
        }
        let mut total = 0;
        loop {
            let mut tx = self.write().await?;
            let n = sqlx::query(
                "DELETE FROM activity WHERE (contact_id, id) IN \
                 (SELECT contact_id, id FROM activity WHERE at < $1 LIMIT $2)",
            )
            .bind(Ts(cutoff))
            .bind(i64::from(chunk.max(1)))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            total += n;
            if n < u64::from(chunk.max(1)) {
                return Ok(total);
            }
        }
    }

    async fn holds_ended(&self, day: Date, delete: bool, chunk: u32) -> Result<u64> {
        if !delete {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM held_record WHERE held_until < $1")
                    .bind(day)
                    .fetch_one(&self.reader)
                    .await?;
            return Ok(n.unsigned_abs());
        }
        let mut total = 0;
        loop {
            let mut tx = self.write().await?;
            let n = sqlx::query(
                "DELETE FROM held_record WHERE id IN \
                 (SELECT id FROM held_record WHERE held_until < $1 LIMIT $2)",
            )
            .bind(day)
            .bind(i64::from(chunk.max(1)))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            total += n;
            if n < u64::from(chunk.max(1)) {
                return Ok(total);
            }
        }
    }

    async fn flush_log(&self) -> Result<()> {
        if !dialect::WAL_CHECKPOINT.is_empty() {
            sqlx::query(dialect::WAL_CHECKPOINT)
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    async fn chain(&self) -> Result<Vec<Erasure>> {
        let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM erasure ORDER BY seq"))
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter()
            .map(|r| record(r).map(|(e, _)| e))
            .collect()
    }
}
