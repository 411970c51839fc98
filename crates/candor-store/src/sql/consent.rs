//! The consent ledger: an event and its projection in one transaction.

use super::{dialect, Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::{ConsentToken, QueuedMail, VerifyReport};
use crate::types::{Id, Ts};
use candor_domain::audit::{AccessEvent, AuditEntry, GENESIS};
use candor_domain::consent::{
    self, Action, Channel, ConsentDraft, ConsentEvent, ConsentState, Evidence, Source, Status,
};
use sqlx::types::Json;
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
        pending: r.pending,
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
            reason: self.reason,
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
    .bind(&e.pending)
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
    .bind(&after.reason)
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

impl Store {
    /// Appends one event to the subject's ledger and updates the projection, with the
    /// confirmation token and the email it causes and its access-audit entries, all in
    /// one transaction: a crash leaves all of them or none.
    pub async fn append_consent(
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
    pub async fn consent_events(&self, subject: Uuid) -> Result<Vec<ConsentEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM consent_event WHERE subject_id = $1 ORDER BY seq"
        ))
        .bind(Id(subject))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(event).collect()
    }

    /// A subject's current state per purpose × channel (one indexed lookup).
    pub async fn consent_states(&self, subject: Uuid) -> Result<Vec<ConsentState>> {
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

    pub async fn verify_consents(&self) -> Result<VerifyReport> {
        super::verify_chains(
            &self.reader,
            ("consent_event", "consent_head"),
            EVENT_COLUMNS,
            event,
        )
        .await
    }
}
