//! The consent ledger on SQLite: an event and its projection in one transaction.

use super::rows::uuid;
use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::VerifyReport;
use crate::model::{ConsentToken, QueuedMail};
use candor_domain::audit::GENESIS;
use candor_domain::consent::{
    self, Action, Channel, ConsentDraft, ConsentEvent, ConsentState, Source, Status,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use uuid::Uuid;

const EVENT_COLUMNS: &str =
    "subject_id, seq, id, purpose, channel, action, pending, source, evidence, at, prev_hash, hash";
const STATE_COLUMNS: &str =
    "purpose, channel, status, reason, source, since, first_opt_in_at, first_opt_in_source";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable consent {what}"))
}

fn event(row: &SqliteRow) -> Result<ConsentEvent> {
    let text = |c: &str| -> Result<String> { Ok(row.try_get(c)?) };
    let evidence: String = row.try_get("evidence")?;
    Ok(ConsentEvent {
        id: uuid(row, "id")?,
        subject_id: uuid(row, "subject_id")?,
        seq: row.try_get("seq")?,
        purpose: text("purpose")?,
        channel: Channel::parse("channel", &text("channel")?).map_err(|_| corrupt("channel"))?,
        action: Action::parse("action", &text("action")?).map_err(|_| corrupt("action"))?,
        pending: row.try_get("pending")?,
        source: Source::parse("source", &text("source")?).map_err(|_| corrupt("source"))?,
        evidence: serde_json::from_str(&evidence).map_err(|_| corrupt("evidence"))?,
        at: row.try_get("at")?,
        prev_hash: text("prev_hash")?,
        hash: text("hash")?,
    })
}

pub(super) fn state_of(row: &SqliteRow) -> Result<ConsentState> {
    let text = |c: &str| -> Result<String> { Ok(row.try_get(c)?) };
    let first_source: Option<String> = row.try_get("first_opt_in_source")?;
    Ok(ConsentState {
        purpose: text("purpose")?,
        channel: Channel::parse("channel", &text("channel")?).map_err(|_| corrupt("channel"))?,
        status: Status::parse("status", &text("status")?).map_err(|_| corrupt("status"))?,
        reason: row.try_get("reason")?,
        source: Source::parse("source", &text("source")?).map_err(|_| corrupt("source"))?,
        since: row.try_get("since")?,
        first_opt_in_at: row.try_get("first_opt_in_at")?,
        first_opt_in_source: first_source
            .map(|s| Source::parse("source", &s).map_err(|_| corrupt("source")))
            .transpose()?,
    })
}

impl SqliteStore {
    /// Appends one event to the subject's ledger and updates the projection, with the
    /// confirmation token and the email it causes, all in one transaction.
    pub async fn append_consent(
        &self,
        d: ConsentDraft,
        token: Option<&ConsentToken>,
        mail: Option<&QueuedMail>,
    ) -> Result<(ConsentEvent, ConsentState)> {
        let mut tx = self.writer.begin().await?;
        let out = append_in(&mut tx, d).await?;
        if let Some(t) = token {
            super::outbox::insert_token(&mut tx, t).await?;
        }
        if let Some(m) = mail {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// Appends one event and updates the projection inside `tx`.
pub(super) async fn append_in(
    tx: &mut Transaction<'_, Sqlite>,
    d: ConsentDraft,
) -> Result<(ConsentEvent, ConsentState)> {
    {
        let subject = d.subject_id.to_string();
        let head: (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM consent_head WHERE subject_id = ?1")
                .bind(&subject)
                .fetch_optional(&mut **tx)
                .await?
                .unwrap_or((0, GENESIS.to_owned()));
        let before = sqlx::query(&format!(
            "SELECT {STATE_COLUMNS} FROM consent_state WHERE subject_id = ?1 AND purpose = ?2 AND channel = ?3"
        ))
        .bind(&subject)
        .bind(&d.purpose)
        .bind(d.channel.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(state_of)
        .transpose()?;
        let e = ConsentEvent::chain(d, head.0 + 1, head.1);
        let after = consent::apply(before.as_ref(), &e);
        sqlx::query(&format!("INSERT INTO consent_event ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"))
            .bind(&subject)
            .bind(e.seq)
            .bind(e.id.to_string())
            .bind(&e.purpose)
            .bind(e.channel.as_str())
            .bind(e.action.as_str())
            .bind(&e.pending)
            .bind(e.source.as_str())
            .bind(serde_json::to_string(&e.evidence).unwrap_or_default())
            .bind(e.at)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO consent_state (subject_id, {STATE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (subject_id, purpose, channel) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
             source = excluded.source, since = excluded.since, first_opt_in_at = excluded.first_opt_in_at, \
             first_opt_in_source = excluded.first_opt_in_source"
        ))
        .bind(&subject)
        .bind(&after.purpose)
        .bind(after.channel.as_str())
        .bind(after.status.as_str())
        .bind(&after.reason)
        .bind(after.source.as_str())
        .bind(after.since)
        .bind(after.first_opt_in_at)
        .bind(after.first_opt_in_source.map(Source::as_str))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO consent_head (subject_id, seq, hash) VALUES (?1, ?2, ?3) \
             ON CONFLICT (subject_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        )
        .bind(&subject)
        .bind(e.seq)
        .bind(&e.hash)
        .execute(&mut **tx)
        .await?;
        Ok((e, after))
    }
}

impl SqliteStore {
    /// A subject's ledger, oldest first.
    pub async fn consent_events(&self, subject: Uuid) -> Result<Vec<ConsentEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM consent_event WHERE subject_id = ?1 ORDER BY seq"
        ))
        .bind(subject.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event).collect()
    }

    /// A subject's current state per purpose × channel (one indexed lookup).
    pub async fn consent_states(&self, subject: Uuid) -> Result<Vec<ConsentState>> {
        let rows = sqlx::query(&format!("SELECT {STATE_COLUMNS} FROM consent_state WHERE subject_id = ?1 ORDER BY purpose, channel"))
            .bind(subject.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(state_of).collect()
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
