//! The consent ledger: an event and its projection in one transaction.

use super::outbox::{token, use_token, TokenRow, TOKEN_COLUMNS};
use super::{dialect, Db, Store, Tx, LIST};
use crate::error::{Result, StoreError};
use crate::model::{Confirmation, ConsentToken, QueuedMail, TokenKind, VerifyReport};
use crate::types::{Id, Ts};
use candor_domain::audit::{AccessEvent, AuditEntry, GENESIS};
use candor_domain::communication::LastRequest;
use candor_domain::consent::{
    self, Action, Channel, ConsentDraft, ConsentEvent, ConsentState, Evidence, Pending, Source,
    Status,
};
use sqlx::types::Json;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

const EVENT_COLUMNS: &str =
    "subject_id, seq, id, purpose, channel, action, pending, source, evidence, at, prev_hash, hash";
pub(crate) const STATE_COLUMNS: &str =
    "purpose, channel, status, reason, source, since, first_opt_in_at, first_opt_in_source";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable consent {what}"))
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    subject_id: Id,
    seq: i64,
    id: Id,
    purpose: String,
    channel: String,
    action: String,
    pending: Option<String>,
    source: String,
    evidence: Json<Evidence>,
    at: Ts,
    prev_hash: String,
    hash: String,
}

fn event(r: EventRow) -> Result<ConsentEvent> {
    Ok(ConsentEvent {
        id: r.id.0,
        subject_id: r.subject_id.0,
        seq: r.seq,
        purpose: r.purpose,
        channel: Channel::parse("channel", &r.channel).map_err(|_| corrupt("channel"))?,
        action: Action::parse("action", &r.action).map_err(|_| corrupt("action"))?,
        pending: r
            .pending
            .map(|p| Pending::parse("pending", &p).map_err(|_| corrupt("pending")))
            .transpose()?,
        source: Source::parse("source", &r.source).map_err(|_| corrupt("source"))?,
        evidence: r.evidence.0,
        at: r.at.0,
        prev_hash: r.prev_hash,
        hash: r.hash,
    })
}

/// A row of `consent_state`, in `STATE_COLUMNS` order.
#[derive(sqlx::FromRow)]
pub(crate) struct StateRow {
    purpose: String,
    channel: String,
    status: String,
    reason: Option<String>,
    source: String,
    since: Ts,
    first_opt_in_at: Option<Ts>,
    first_opt_in_source: Option<String>,
}

impl StateRow {
    pub(crate) fn into_state(self) -> Result<ConsentState> {
        Ok(ConsentState {
            purpose: self.purpose,
            channel: Channel::parse("channel", &self.channel).map_err(|_| corrupt("channel"))?,
            status: Status::parse("status", &self.status).map_err(|_| corrupt("status"))?,
            reason: self
                .reason
                .map(|p| Pending::parse("reason", &p).map_err(|_| corrupt("reason")))
                .transpose()?,
            source: Source::parse("source", &self.source).map_err(|_| corrupt("source"))?,
            since: self.since.0,
            first_opt_in_at: self.first_opt_in_at.map(|t| t.0),
            first_opt_in_source: self
                .first_opt_in_source
                .map(|s| Source::parse("source", &s).map_err(|_| corrupt("source")))
                .transpose()?,
        })
    }
}

/// Appends one event and updates the projection inside `tx`, the subject's head locked
/// (PostgreSQL) or the writer held (SQLite).
pub(crate) async fn append_in(
    tx: &mut Tx<'_>,
    d: ConsentDraft,
) -> Result<(ConsentEvent, ConsentState)> {
    let subject = Id(d.subject_id);
    sqlx::query(
        "INSERT INTO consent_head (subject_id, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (subject_id) DO NOTHING",
    )
    .bind(subject)
    .bind(GENESIS)
    .execute(&mut **tx)
    .await?;
    let head: (i64, String) = sqlx::query_as(&format!(
        "SELECT seq, hash FROM consent_head WHERE subject_id = $1{}",
        dialect::FOR_UPDATE
    ))
    .bind(subject)
    .fetch_one(&mut **tx)
    .await?;
    // A person erased meanwhile (an unsubscribe link followed as they were erased)
    // gets no new chain: checked after the head is locked, so an erasure that
    // committed first is seen.
    let erased: Option<Id> =
        sqlx::query_scalar("SELECT subject_id FROM erasure WHERE subject_id = $1")
            .bind(subject)
            .fetch_optional(&mut **tx)
            .await?;
    if erased.is_some() {
        return Err(crate::error::StoreError::NotFound { what: "contact" });
    }
    let before: Option<StateRow> = sqlx::query_as(&format!(
        "SELECT {STATE_COLUMNS} FROM consent_state WHERE subject_id = $1 AND purpose = $2 AND channel = $3"
    ))
    .bind(subject)
    .bind(&d.purpose)
    .bind(d.channel.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let before = before.map(StateRow::into_state).transpose()?;
    let e = ConsentEvent::chain(d, head.0 + 1, head.1);
    let after = consent::apply(before.as_ref(), &e);
    sqlx::query(&format!(
        "INSERT INTO consent_event ({EVENT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(subject)
    .bind(e.seq)
    .bind(Id(e.id))
    .bind(&e.purpose)
    .bind(e.channel.as_str())
    .bind(e.action.as_str())
    .bind(e.pending.map(Pending::as_str))
    .bind(e.source.as_str())
    .bind(Json(&e.evidence))
    .bind(Ts(e.at))
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO consent_state (subject_id, {STATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (subject_id, purpose, channel) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
         source = excluded.source, since = excluded.since, first_opt_in_at = excluded.first_opt_in_at, \
         first_opt_in_source = excluded.first_opt_in_source"
    ))
    .bind(subject)
    .bind(&after.purpose)
    .bind(after.channel.as_str())
    .bind(after.status.as_str())
    .bind(after.reason.map(Pending::as_str))
    .bind(after.source.as_str())
    .bind(Ts(after.since))
    .bind(after.first_opt_in_at.map(Ts))
    .bind(after.first_opt_in_source.map(Source::as_str))
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE consent_head SET seq = $2, hash = $3 WHERE subject_id = $1")
        .bind(subject)
        .bind(e.seq)
        .bind(&e.hash)
        .execute(&mut **tx)
        .await?;
    Ok((e, after))
}

#[async_trait::async_trait]
impl crate::face::Consents for Store {
    async fn queue_request(
        &self,
        token: &ConsentToken,
        mail: &QueuedMail,
        audit: Vec<AccessEvent>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        super::outbox::insert_token(&mut tx, token).await?;
        super::outbox::queue_in(&mut tx, mail).await?;
        super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Which of these subjects have an effective consent to `purpose` on `channel`.
    async fn effective(
        &self,
        ids: &[Uuid],
        purpose: &str,
        channel: Channel,
    ) -> Result<HashSet<Uuid>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(LIST) {
            let ps: Vec<String> = (3..=chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT subject_id FROM consent_state WHERE purpose = $1 AND channel = $2 \
                 AND status = 'effective' AND subject_id IN ({})",
                ps.join(", ")
            );
            let mut q = sqlx::query_scalar::<Db, Id>(&sql)
                .bind(purpose)
                .bind(channel.as_str());
            for id in chunk {
                q = q.bind(Id(*id));
            }
            out.extend(q.fetch_all(&self.reader).await?.into_iter().map(|i| i.0));
        }
        Ok(out)
    }

    /// Appends one event to the subject's ledger and updates the projection, with the
    /// confirmation token and the email it causes and its access-audit entries, all in
    /// one transaction: a crash leaves all of them or none.
    async fn append(
        &self,
        d: ConsentDraft,
        token: Option<&ConsentToken>,
        mail: Option<&QueuedMail>,
        audit: Vec<AccessEvent>,
    ) -> Result<(ConsentEvent, ConsentState, Vec<AuditEntry>)> {
        let mut tx = self.write().await?;
        let (event, state) = append_in(&mut tx, d).await?;
        if let Some(t) = token {
            super::outbox::insert_token(&mut tx, t).await?;
        }
        if let Some(m) = mail {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        let entries = super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok((event, state, entries))
    }

    /// A subject's ledger, oldest first.
    async fn events(&self, subject: Uuid) -> Result<Vec<ConsentEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM consent_event WHERE subject_id = $1 ORDER BY seq"
        ))
        .bind(Id(subject))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(event).collect()
    }

    /// A subject's current state per purpose × channel (one indexed lookup).
    async fn states(&self, subject: Uuid) -> Result<Vec<ConsentState>> {
        let rows: Vec<StateRow> = sqlx::query_as(&format!(
            "SELECT {STATE_COLUMNS} FROM consent_state WHERE subject_id = $1 ORDER BY purpose, channel"
        ))
        .bind(Id(subject))
        .fetch_all(&self.reader)
        .await?;
        let mut states = rows
            .into_iter()
            .map(StateRow::into_state)
            .collect::<Result<Vec<_>>>()?;
        // Byte order on both backends, whatever PostgreSQL's collation.
        states.sort_by(|a, b| {
            (a.purpose.as_bytes(), a.channel.as_str())
                .cmp(&(b.purpose.as_bytes(), b.channel.as_str()))
        });
        Ok(states)
    }

    async fn states_of(&self, subjects: &[Uuid]) -> Result<HashMap<Uuid, Vec<ConsentState>>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            subject_id: Id,
            #[sqlx(flatten)]
            state: StateRow,
        }
        let mut out: HashMap<Uuid, Vec<ConsentState>> = HashMap::new();
        for chunk in subjects.chunks(LIST) {
            let ps: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT subject_id, {STATE_COLUMNS} FROM consent_state WHERE subject_id IN ({})",
                ps.join(", ")
            );
            let mut q = sqlx::query_as::<Db, Row>(&sql);
            for id in chunk {
                q = q.bind(Id(*id));
            }
            for r in q.fetch_all(&self.reader).await? {
                out.entry(r.subject_id.0)
                    .or_default()
                    .push(r.state.into_state()?);
            }
        }
        for states in out.values_mut() {
            states.sort_by(|a, b| {
                (a.purpose.as_bytes(), a.channel.as_str())
                    .cmp(&(b.purpose.as_bytes(), b.channel.as_str()))
            });
        }
        Ok(out)
    }

    async fn verify(&self) -> Result<VerifyReport> {
        let mut report = super::verify_chains(
            &self.reader,
            ("consent_event", "consent_head"),
            false,
            EVENT_COLUMNS,
            event,
        )
        .await?;
        report.projection = self.verify_projection().await?;
        Ok(report)
    }

    /// The last consent request sent to a subject (C4), for the communication rules.
    async fn last_request(&self, subject: Uuid) -> Result<Option<LastRequest>> {
        let row: Option<(Ts, Ts, Option<Ts>)> = sqlx::query_as(
            "SELECT created_at, expires_at, used_at FROM consent_token \
             WHERE subject_id = $1 AND kind = 'request' ORDER BY created_at DESC, token_hash LIMIT 1",
        )
        .bind(Id(subject))
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(sent_at, expires_at, used)| LastRequest {
            sent_at: sent_at.0,
            expires_at: expires_at.0,
            answered: used.is_some(),
        }))
    }

    async fn token(&self, token_hash: &str) -> Result<Option<ConsentToken>> {
        let row: Option<TokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM consent_token WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(token).transpose()
    }

    /// Uses a confirmation token once and records the confirmation, atomically: of two
    /// concurrent presentations, exactly one confirms.
    async fn confirm(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        evidence: Evidence,
    ) -> Result<Confirmation> {
        let mut tx = self.write().await?;
        let t = match use_token(&mut tx, token_hash, TokenKind::Confirm, now).await? {
            Ok(t) => t,
            Err(refused) => return Ok(refused),
        };
        let draft = ConsentDraft {
            subject_id: t.subject_id,
            purpose: t.purpose,
            channel: t.channel,
            action: Action::Confirm,
            pending: None,
            source: Source::EmailLink,
            evidence,
            at: now,
        };
        let (_, state) = super::append_consent_in(&mut tx, draft).await?;
        tx.commit().await?;
        Ok(Confirmation::Confirmed(state))
    }

    /// Uses a consent-request token once and records the person's answers (C4): one
    /// grant or refusal per purpose, in one transaction.
    async fn answer_request(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        answers: Vec<ConsentDraft>,
    ) -> Result<Confirmation> {
        let mut tx = self.write().await?;
        match use_token(&mut tx, token_hash, TokenKind::Request, now).await? {
            Ok(t) if answers.iter().all(|a| a.subject_id == t.subject_id) => {}
            Ok(_) => return Ok(Confirmation::Unknown),
            Err(refused) => return Ok(refused),
        }
        let mut last = None;
        for d in answers {
            last = Some(super::append_consent_in(&mut tx, d).await?.1);
        }
        tx.commit().await?;
        Ok(last.map_or(Confirmation::Unknown, Confirmation::Confirmed))
    }
}

impl Store {
    /// Folds the ledger again, subject by subject, and compares every purpose × channel
    /// with the stored `consent_state` that decisions read: a row edited, added or
    /// removed by hand is named. The stored states are held in memory (one small row
    /// per purpose × channel), the events stream.
    async fn verify_projection(&self) -> Result<Vec<crate::model::ProjectionMismatch>> {
        use crate::model::ProjectionMismatch;
        use futures_util::TryStreamExt;
        use std::collections::HashMap;
        type Key = (Uuid, String, Channel);
        let rows: Vec<(Id, StateRow)> = {
            let sql = format!(
                "SELECT subject_id, {STATE_COLUMNS} FROM consent_state ORDER BY subject_id"
            );
            let raw: Vec<<Db as sqlx::Database>::Row> =
                sqlx::query(&sql).fetch_all(&self.reader).await?;
            raw.iter()
                .map(|r| {
                    use sqlx::{FromRow, Row};
                    Ok((r.try_get::<Id, _>("subject_id")?, StateRow::from_row(r)?))
                })
                .collect::<Result<_>>()?
        };
        let mut stored: HashMap<Key, ConsentState> = HashMap::with_capacity(rows.len());
        for (subject, row) in rows {
            let s = row.into_state()?;
            stored.insert((subject.0, s.purpose.clone(), s.channel), s);
        }
        let mut out = Vec::new();
        let mut folded: HashMap<(String, Channel), ConsentState> = HashMap::new();
        let mut current: Option<Uuid> = None;
        let mut compare = |subject: Uuid,
                           folded: &mut HashMap<(String, Channel), ConsentState>,
                           stored: &mut HashMap<Key, ConsentState>| {
            for ((purpose, channel), want) in folded.drain() {
                let have = stored.remove(&(subject, purpose.clone(), channel));
                if have.as_ref() != Some(&want) {
                    out.push(ProjectionMismatch {
                        subject,
                        purpose,
                        channel,
                        stored: have.map(|h| h.status),
                        ledger: Some(want.status),
                    });
                }
            }
        };
        let sql = format!("SELECT {EVENT_COLUMNS} FROM consent_event ORDER BY subject_id, seq");
        let mut events = sqlx::query(&sql).fetch(&self.reader);
        // Subjects with an event that no longer reads: the chain check names the event;
        // their fold would be a guess, so their states are not compared.
        let mut unreadable = std::collections::HashSet::new();
        while let Some(raw) = events.try_next().await? {
            use sqlx::{FromRow, Row};
            let e = match EventRow::from_row(&raw).map_err(Into::into).and_then(event) {
                Ok(e) => e,
                Err(_) => {
                    if let Ok(s) = raw.try_get::<Id, _>("subject_id") {
                        unreadable.insert(s.0);
                    }
                    continue;
                }
            };
            if current.is_some_and(|c| c != e.subject_id) {
                compare(current.unwrap_or(e.subject_id), &mut folded, &mut stored);
            }
            current = Some(e.subject_id);
            let key = (e.purpose.clone(), e.channel);
            let after = consent::apply(folded.get(&key), &e);
            folded.insert(key, after);
        }
        drop(events);
        if let Some(c) = current {
            compare(c, &mut folded, &mut stored);
        }
        out.retain(|m| !unreadable.contains(&m.subject));
        stored.retain(|(subject, _, _), _| !unreadable.contains(subject));
        // States no event gives.
        for ((subject, purpose, channel), s) in stored {
            out.push(ProjectionMismatch {
                subject,
                purpose,
                channel,
                stored: Some(s.status),
                ledger: None,
            });
        }
        out.sort_by(|a, b| {
            (a.subject, a.purpose.as_bytes(), a.channel.as_str()).cmp(&(
                b.subject,
                b.purpose.as_bytes(),
                b.channel.as_str(),
            ))
        });
        Ok(out)
    }
}
