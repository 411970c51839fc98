//! Outgoing email and confirmation tokens on SQLite.

use super::rows::{opt_uuid, uuid};
use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::{Confirmation, ConsentToken, OutboxEntry, QueuedMail, TokenKind};
use candor_domain::consent::{Action, Channel, ConsentDraft, Evidence, Source};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str =
    "id, subject_id, message_id, category, recipient, locale, mail_subject, body_text, body_html, \
    created_at, status, attempts, sent_at, last_error, list_unsubscribe";

fn entry(row: &SqliteRow) -> Result<OutboxEntry> {
    Ok(OutboxEntry {
        mail: QueuedMail {
            id: uuid(row, "id")?,
            subject_id: opt_uuid(row, "subject_id")?,
            message_id: row.try_get("message_id")?,
            category: row.try_get("category")?,
            recipient: row.try_get("recipient")?,
            locale: row.try_get("locale")?,
            mail_subject: row.try_get("mail_subject")?,
            body_text: row.try_get("body_text")?,
            body_html: row.try_get("body_html")?,
            created_at: row.try_get("created_at")?,
            list_unsubscribe: row.try_get("list_unsubscribe")?,
        },
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        sent_at: row.try_get("sent_at")?,
        last_error: row.try_get("last_error")?,
    })
}

pub(super) async fn queue_in(tx: &mut Transaction<'_, Sqlite>, m: &QueuedMail) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, subject_id, message_id, category, recipient, locale, mail_subject, body_text, body_html, \
         status, attempts, next_attempt, created_at, list_unsubscribe) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', 0, ?10, ?10, ?11)",
    )
    .bind(m.id.to_string())
    .bind(m.subject_id.map(|u| u.to_string()))
    .bind(&m.message_id)
    .bind(&m.category)
    .bind(&m.recipient)
    .bind(&m.locale)
    .bind(&m.mail_subject)
    .bind(&m.body_text)
    .bind(&m.body_html)
    .bind(m.created_at)
    .bind(&m.list_unsubscribe)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_token(tx: &mut Transaction<'_, Sqlite>, t: &ConsentToken) -> Result<()> {
    sqlx::query(
        "INSERT INTO consent_token (token_hash, kind, subject_id, purpose, channel, created_at, expires_at) VALUES (?1, ?7, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&t.token_hash)
    .bind(t.subject_id.to_string())
    .bind(&t.purpose)
    .bind(t.channel.as_str())
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(t.kind.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn token(row: &SqliteRow) -> Result<ConsentToken> {
    let channel: String = row.try_get("channel")?;
    let kind: String = row.try_get("kind")?;
    Ok(ConsentToken {
        token_hash: row.try_get("token_hash")?,
        kind: TokenKind::parse(&kind).ok_or_else(|| StoreError::Corrupt("token kind".into()))?,
        subject_id: uuid(row, "subject_id")?,
        purpose: row.try_get("purpose")?,
        channel: Channel::parse("channel", &channel)
            .map_err(|_| StoreError::Corrupt("token channel".into()))?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
    })
}

/// Takes a token of `kind` for use at `now` inside `tx` (locked on PostgreSQL): the
/// token, or why it cannot serve. Marked used in the same transaction, so of two
/// concurrent uses exactly one gets it.
async fn use_token(
    tx: &mut Transaction<'_, Sqlite>,
    token_hash: &str,
    kind: TokenKind,
    now: OffsetDateTime,
) -> Result<std::result::Result<ConsentToken, Confirmation>> {
    let found = sqlx::query("SELECT * FROM consent_token WHERE token_hash = ?1")
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(t) = found
        .as_ref()
        .map(token)
        .transpose()?
        .filter(|t| t.kind == kind)
    else {
        return Ok(Err(Confirmation::Unknown));
    };
    if t.used_at.is_some() {
        return Ok(Err(Confirmation::AlreadyUsed));
    }
    if t.expires_at <= now {
        return Ok(Err(Confirmation::Expired));
    }
    let used = sqlx::query(
        "UPDATE consent_token SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if used == 1 {
        Ok(t)
    } else {
        Err(Confirmation::AlreadyUsed)
    })
}

impl SqliteStore {
    /// Takes up to `limit` messages due at `now` and leases them for five minutes: a
    /// worker killed mid-delivery leaves them to be taken again after the lease.
    pub async fn claim_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET status = 'sending', next_attempt = ?2, attempts = attempts + 1 WHERE id IN \
             (SELECT id FROM outbox WHERE status IN ('queued', 'sending') AND next_attempt <= ?1 ORDER BY next_attempt LIMIT ?3) \
             RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(now + time::Duration::minutes(5))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(entry).collect()
    }

    pub async fn mark_sent(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    pub async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        sqlx::query("UPDATE outbox SET status = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'queued' END, next_attempt = COALESCE(?3, next_attempt), last_error = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(error)
            .bind(retry_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The newest messages first.
    pub async fn list_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT ?1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(entry).collect()
    }

    pub async fn outbox_entry(&self, id: Uuid) -> Result<Option<OutboxEntry>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(entry).transpose()
    }

    pub async fn consent_token(&self, token_hash: &str) -> Result<Option<ConsentToken>> {
        let row = sqlx::query("SELECT * FROM consent_token WHERE token_hash = ?1")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(token).transpose()
    }

    /// Uses a confirmation token once and records the confirmation, atomically: of two
    /// concurrent presentations, exactly one confirms.
    pub async fn confirm_consent(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        evidence: Evidence,
    ) -> Result<Confirmation> {
        let mut tx = self.writer.begin().await?;
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
        let (_, state) = super::consent::append_in(&mut tx, draft).await?;
        tx.commit().await?;
        Ok(Confirmation::Confirmed(state))
    }

    /// Uses a consent-request token once and records the person's answers (C4): one
    /// grant or refusal per purpose, in one transaction.
    pub async fn answer_consent_request(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
        answers: Vec<ConsentDraft>,
    ) -> Result<Confirmation> {
        let mut tx = self.writer.begin().await?;
        match use_token(&mut tx, token_hash, TokenKind::Request, now).await? {
            Ok(t) if answers.iter().all(|a| a.subject_id == t.subject_id) => {}
            Ok(_) => return Ok(Confirmation::Unknown),
            Err(refused) => return Ok(refused),
        }
        let mut last = None;
        for d in answers {
            last = Some(super::consent::append_in(&mut tx, d).await?.1);
        }
        tx.commit().await?;
        Ok(last.map_or(Confirmation::Unknown, Confirmation::Confirmed))
    }
}
