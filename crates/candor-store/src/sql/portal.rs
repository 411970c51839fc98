//! The privacy portal's links, sessions and accounts (P1). Only hashes of the secrets
//! are kept; a link is spent and its session opened in one transaction, so of two
//! uses of one link exactly one opens a session.

use super::{append_audit_in, append_consent_in, dialect, Store};
use crate::error::Result;
use crate::model::{LinkRefusal, PortalLink};
use crate::types::{Id, Ts};
use crate::QueuedMail;
use candor_domain::audit::AccessEvent;
use candor_domain::consent::ConsentDraft;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn open_in(
    tx: &mut super::Tx<'_>,
    id_hash: &str,
    subject: Uuid,
    now: OffsetDateTime,
    ends: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_session (id_hash, subject_id, created_at, seen_at, ends_at) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(id_hash)
    .bind(Id(subject))
    .bind(Ts(now))
    .bind(Ts(ends))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::face::Portal for Store {
    async fn create_link(&self, link: &PortalLink, mail: &QueuedMail) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO portal_link (token_hash, subject_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&link.token_hash)
        .bind(Id(link.subject_id))
        .bind(Ts(link.created_at))
        .bind(Ts(link.expires_at))
        .execute(&mut *tx)
        .await?;
        super::outbox::queue_in(&mut tx, mail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn live_links(&self, subject: Uuid, now: OffsetDateTime) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_link \
             WHERE subject_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(Id(subject))
        .bind(Ts(now))
        .fetch_one(&self.reader)
        .await?)
    }

    async fn end_others(&self, subject: Uuid, keep: &str) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM portal_session WHERE subject_id = $1 AND id_hash <> $2")
                .bind(Id(subject))
                .bind(keep)
                .execute(&self.writer)
                .await?
                .rows_affected(),
        )
    }

    async fn link(&self, token_hash: &str) -> Result<Option<PortalLink>> {
        let row: Option<(String, Id, Ts, Ts, Option<Ts>)> = sqlx::query_as(
            "SELECT token_hash, subject_id, created_at, expires_at, used_at \
             FROM portal_link WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(token_hash, s, c, e, u)| PortalLink {
            token_hash,
            subject_id: s.0,
            created_at: c.0,
            expires_at: e.0,
            used_at: u.map(|t| t.0),
        }))
    }

    async fn enter(
        &self,
        token_hash: &str,
        id_hash: &str,
        now: OffsetDateTime,
        ends: OffsetDateTime,
    ) -> Result<std::result::Result<Uuid, LinkRefusal>> {
        let mut tx = self.write().await?;
        let found: Option<(Id, Ts, Option<Ts>)> = sqlx::query_as(&format!(
            "SELECT subject_id, expires_at, used_at FROM portal_link WHERE token_hash = $1{}",
            dialect::FOR_UPDATE
        ))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((subject, expires, used)) = found else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        if used.is_some() {
            return Ok(Err(LinkRefusal::Used));
        }
        if expires.0 <= now {
            return Ok(Err(LinkRefusal::Expired));
        }
        let spent = sqlx::query(
            "UPDATE portal_link SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        )
        .bind(token_hash)
        .bind(Ts(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent != 1 {
            return Ok(Err(LinkRefusal::Used));
        }
        open_in(&mut tx, id_hash, subject.0, now, ends).await?;
        tx.commit().await?;
        Ok(Ok(subject.0))
    }

    async fn open(
        &self,
        id_hash: &str,
        subject: Uuid,
        now: OffsetDateTime,
        ends: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        open_in(&mut tx, id_hash, subject, now, ends).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
        idle: Duration,
    ) -> Result<Option<Uuid>> {
        // Touched only when alive: an ended session is not brought back.
        let row: Option<Id> = sqlx::query_scalar(
            "UPDATE portal_session SET seen_at = $2 \
             WHERE id_hash = $1 AND seen_at > $3 AND ends_at > $2 RETURNING subject_id",
        )
        .bind(id_hash)
        .bind(Ts(now))
        .bind(Ts(now - idle))
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|i| i.0))
    }

    async fn end(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM portal_session WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn sweep(&self, now: OffsetDateTime, idle: Duration) -> Result<u64> {
        let sessions =
            sqlx::query("DELETE FROM portal_session WHERE ends_at <= $1 OR seen_at <= $2")
                .bind(Ts(now))
                .bind(Ts(now - idle))
                .execute(&self.writer)
                .await?
                .rows_affected();
        let links = sqlx::query("DELETE FROM portal_link WHERE expires_at <= $1")
            .bind(Ts(now - Duration::days(1)))
            .execute(&self.writer)
            .await?
            .rows_affected();
        Ok(sessions + links)
    }

    async fn account(&self, subject: Uuid) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM portal_account WHERE subject_id = $1")
                .bind(Id(subject))
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn drop_account(&self, subject: Uuid) -> Result<bool> {
        Ok(
            sqlx::query("DELETE FROM portal_account WHERE subject_id = $1")
                .bind(Id(subject))
                .execute(&self.writer)
                .await?
                .rows_affected()
                > 0,
        )
    }

    async fn set_account(
        &self,
        subject: Uuid,
        password_hash: &str,
        at: OffsetDateTime,
        consent: Option<ConsentDraft>,
        audit: Vec<AccessEvent>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO portal_account (subject_id, password_hash, created_at, changed_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (subject_id) \
             DO UPDATE SET password_hash = excluded.password_hash, changed_at = excluded.changed_at",
        )
        .bind(Id(subject))
        .bind(password_hash)
        .bind(Ts(at))
        .execute(&mut *tx)
        .await?;
        if let Some(d) = consent {
            append_consent_in(&mut tx, d).await?;
        }
        append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
