//! Outgoing email and the tokens of the person's links.

use super::{dialect, Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::{
    Confirmation, ConsentToken, MailAttachment, OutboxEntry, QueuedMail, TokenKind,
};
use crate::types::{Id, Ts};
use candor_domain::consent::Channel;
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str =
    "id, subject_id, message_id, category, recipient, locale, mail_subject, body_text, body_html, \
    created_at, status, attempts, sent_at, last_error, list_unsubscribe, attachment_name, attachment, forget_after_send";

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Id,
    subject_id: Option<Id>,
    message_id: String,
    category: String,
    recipient: String,
    locale: String,
    mail_subject: String,
    body_text: String,
    body_html: String,
    created_at: Ts,
    status: String,
    attempts: i32,
    sent_at: Option<Ts>,
    last_error: Option<String>,
    list_unsubscribe: Option<String>,
    attachment_name: Option<String>,
    attachment: Option<String>,
    forget_after_send: i64,
}

impl From<EntryRow> for OutboxEntry {
    fn from(r: EntryRow) -> Self {
        OutboxEntry {
            mail: QueuedMail {
                id: r.id.0,
                subject_id: r.subject_id.map(Uuid::from),
                message_id: r.message_id,
                category: r.category,
                recipient: r.recipient,
                locale: r.locale,
                mail_subject: r.mail_subject,
                body_text: r.body_text,
                body_html: r.body_html,
                created_at: r.created_at.0,
                list_unsubscribe: r.list_unsubscribe,
                attachment: r
                    .attachment_name
                    .zip(r.attachment)
                    .map(|(name, content)| MailAttachment { name, content }),
                forget_after_send: r.forget_after_send != 0,
            },
            status: r.status,
            attempts: r.attempts,
            sent_at: r.sent_at.map(|t| t.0),
            last_error: r.last_error,
        }
    }
}

pub(crate) const QUEUE: &str = "INSERT INTO outbox (id, subject_id, message_id, category, \
    recipient, locale, mail_subject, body_text, body_html, status, attempts, next_attempt, \
    created_at, list_unsubscribe, attachment_name, attachment, forget_after_send) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, $10, $11, $12, $13, $14)";

pub(crate) async fn queue_in(tx: &mut Tx<'_>, m: &QueuedMail) -> Result<()> {
    // Nothing is queued to a person erased meanwhile (the notice answering their
    // erasure request names no subject).
    if let Some(subject) = m.subject_id {
        let erased: Option<Id> =
            sqlx::query_scalar("SELECT subject_id FROM erasure WHERE subject_id = $1")
                .bind(Id(subject))
                .fetch_optional(&mut **tx)
                .await?;
        if erased.is_some() {
            return Ok(());
        }
    }
    sqlx::query(QUEUE)
        .bind(Id(m.id))
        .bind(m.subject_id.map(Id))
        .bind(&m.message_id)
        .bind(&m.category)
        .bind(&m.recipient)
        .bind(&m.locale)
        .bind(&m.mail_subject)
        .bind(&m.body_text)
        .bind(&m.body_html)
        .bind(Ts(m.created_at))
        .bind(&m.list_unsubscribe)
        .bind(m.attachment.as_ref().map(|a| &a.name))
        .bind(m.attachment.as_ref().map(|a| &a.content))
        .bind(i64::from(m.forget_after_send))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn insert_token(tx: &mut Tx<'_>, t: &ConsentToken) -> Result<()> {
    sqlx::query(
        "INSERT INTO consent_token (token_hash, kind, subject_id, purpose, channel, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&t.token_hash)
    .bind(t.kind.as_str())
    .bind(Id(t.subject_id))
    .bind(&t.purpose)
    .bind(t.channel.as_str())
    .bind(Ts(t.created_at))
    .bind(Ts(t.expires_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) const TOKEN_COLUMNS: &str =
    "token_hash, kind, subject_id, purpose, channel, created_at, expires_at, used_at";

#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    token_hash: String,
    kind: String,
    subject_id: Id,
    purpose: String,
    channel: String,
    created_at: Ts,
    expires_at: Ts,
    used_at: Option<Ts>,
}

pub(super) fn token(r: TokenRow) -> Result<ConsentToken> {
    Ok(ConsentToken {
        token_hash: r.token_hash,
        kind: TokenKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt("token kind".into()))?,
        subject_id: r.subject_id.0,
        purpose: r.purpose,
        channel: Channel::parse("channel", &r.channel)
            .map_err(|_| StoreError::Corrupt("token channel".into()))?,
        created_at: r.created_at.0,
        expires_at: r.expires_at.0,
        used_at: r.used_at.map(|t| t.0),
    })
}

/// Takes a token of `kind` for use at `now` inside `tx` (locked on PostgreSQL): the
/// token, or why it cannot serve. Marked used in the same transaction, so of two
/// concurrent uses exactly one gets it.
pub(super) async fn use_token(
    tx: &mut Tx<'_>,
    token_hash: &str,
    kind: TokenKind,
    now: OffsetDateTime,
) -> Result<std::result::Result<ConsentToken, Confirmation>> {
    let found: Option<TokenRow> = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM consent_token WHERE token_hash = $1{}",
        dialect::FOR_UPDATE
    ))
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(t) = found.map(token).transpose()?.filter(|t| t.kind == kind) else {
        return Ok(Err(Confirmation::Unknown));
    };
    if t.used_at.is_some() {
        return Ok(Err(Confirmation::AlreadyUsed));
    }
    if t.expires_at <= now {
        return Ok(Err(Confirmation::Expired));
    }
    let used = sqlx::query(
        "UPDATE consent_token SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
    )
    .bind(token_hash)
    .bind(Ts(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if used == 1 {
        Ok(t)
    } else {
        Err(Confirmation::AlreadyUsed)
    })
}

#[async_trait::async_trait]
impl crate::face::Outbox for Store {
    /// Queues messages that go to no contact (a staff member's test of a campaign),
    /// all or none.
    async fn queue(&self, mails: &[QueuedMail]) -> Result<()> {
        let mut tx = self.write().await?;
        for m in mails {
            queue_in(&mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes up to `limit` messages due at `now` and leases them for five minutes: a
    /// worker killed mid-delivery leaves them to be taken again after the lease.
    async fn claim(
        &self,
        now: OffsetDateTime,
        limit: u32,
        owner: &str,
    ) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "UPDATE outbox SET status = 'sending', next_attempt = $2, attempts = attempts + 1, \
             lease_owner = $4 WHERE id IN \
             (SELECT id FROM outbox WHERE status IN ('queued', 'sending') AND next_attempt <= $1 \
             ORDER BY CASE WHEN status = 'sending' THEN 0 ELSE 1 END, next_attempt, id LIMIT $3{}) \
             RETURNING {COLUMNS}",
            dialect::SKIP_LOCKED
        ))
        .bind(Ts(now))
        .bind(Ts(now + time::Duration::minutes(5)))
        .bind(i64::from(limit))
        .bind(owner)
        .fetch_all(&self.writer)
        .await?;
        Ok(rows.into_iter().map(OutboxEntry::from).collect())
    }

    async fn release_leases(&self, owner: &str, now: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET next_attempt = $2 WHERE status = 'sending' AND lease_owner = $1 \
             AND next_attempt > $2",
        )
        .bind(owner)
        .bind(Ts(now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn mark_sent(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1",
        )
        .bind(Id(id))
        .bind(Ts(at))
        .execute(&self.writer)
        .await?;
        // A message to a person already erased keeps nothing of them once it is sent,
        // not even in SQLite's write-ahead log or a page the log has not yet replaced.
        let forgotten = sqlx::query("DELETE FROM outbox WHERE id = $1 AND forget_after_send = 1")
            .bind(Id(id))
            .execute(&self.writer)
            .await?
            .rows_affected();
        if forgotten > 0 {
            crate::face::Erasures::flush_log(self).await?;
        }
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        let status = if retry_at.is_some() {
            "queued"
        } else {
            "failed"
        };
        sqlx::query(
            "UPDATE outbox SET status = $3, next_attempt = COALESCE($4, next_attempt), \
             last_error = $2 WHERE id = $1",
        )
        .bind(Id(id))
        .bind(error)
        .bind(status)
        .bind(retry_at.map(Ts))
        .execute(&self.writer)
        .await?;
        if retry_at.is_none() {
            // Given up on, a message to a person already erased keeps nothing either.
            let forgotten =
                sqlx::query("DELETE FROM outbox WHERE id = $1 AND forget_after_send = 1")
                    .bind(Id(id))
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
            if forgotten > 0 {
                crate::face::Erasures::flush_log(self).await?;
            }
        }
        Ok(())
    }

    /// The newest messages first.
    async fn list(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(OutboxEntry::from).collect())
    }

    async fn of_subject(&self, subject: Uuid, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE subject_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(Id(subject))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(OutboxEntry::from).collect())
    }

    async fn entry(&self, id: Uuid) -> Result<Option<OutboxEntry>> {
        let row: Option<EntryRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"))
                .bind(Id(id))
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(OutboxEntry::from))
    }
}
