//! Staff accounts and their back-office sessions.

use super::{dialect, Store};
use crate::error::{Result, StoreError};
use crate::model::StaffUser;
use crate::types::{Id, Ts};
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str = "id, email, role, locale, password_hash, created_at, disabled_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Id,
    email: String,
    role: String,
    locale: String,
    password_hash: String,
    created_at: Ts,
    disabled_at: Option<Ts>,
}

fn user(r: UserRow) -> Result<StaffUser> {
    Ok(StaffUser {
        id: r.id.0,
        email: r.email,
        role: r.role.parse().map_err(StoreError::Corrupt)?,
        locale: r.locale,
        password_hash: r.password_hash,
        created_at: r.created_at.0,
        disabled_at: r.disabled_at.map(|t| t.0),
    })
}

#[async_trait::async_trait]
impl crate::face::Staff for Store {
    /// Adds a staff account; an email already taken is a `Duplicate`.
    async fn insert(&self, u: &StaffUser) -> Result<()> {
        let res = sqlx::query(&format!(
            "INSERT INTO staff_user ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(Id(u.id))
        .bind(&u.email)
        .bind(u.role.as_str())
        .bind(&u.locale)
        .bind(&u.password_hash)
        .bind(Ts(u.created_at))
        .bind(u.disabled_at.map(Ts))
        .execute(&self.writer)
        .await;
        match res {
            Err(e) if dialect::unique_field(&e).is_some() => Err(StoreError::Duplicate {
                field: "email",
                existing: None,
            }),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn by_email(&self, email: &str) -> Result<Option<StaffUser>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM staff_user WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.reader)
        .await?;
        row.map(user).transpose()
    }

    /// Every staff account, by email (byte order on both backends).
    async fn list(&self) -> Result<Vec<StaffUser>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff_user"))
            .fetch_all(&self.reader)
            .await?;
        let mut users = rows.into_iter().map(user).collect::<Result<Vec<_>>>()?;
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(users)
    }

    /// Replaces a staff account's password hash (and re-enables it).
    async fn set_password(&self, id: Uuid, hash: &str) -> Result<()> {
        sqlx::query("UPDATE staff_user SET password_hash = $2, disabled_at = NULL WHERE id = $1")
            .bind(Id(id))
            .bind(hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn disable(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE staff_user SET disabled_at = $2 WHERE id = $1")
            .bind(Id(id))
            .bind(Ts(at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn by_id(&self, id: Uuid) -> Result<Option<StaffUser>> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff_user WHERE id = $1"))
                .bind(Id(id))
                .fetch_optional(&self.reader)
                .await?;
        row.map(user).transpose()
    }

    /// Sets a staff account's language.
    async fn set_locale(&self, id: Uuid, locale: &str) -> Result<()> {
        sqlx::query("UPDATE staff_user SET locale = $2 WHERE id = $1")
            .bind(Id(id))
            .bind(locale)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::face::Sessions for Store {
    /// Stores a new staff session (and drops expired ones); `false` when the id is taken.
    async fn create(&self, id: &str, data: &str, expires_at: OffsetDateTime) -> Result<bool> {
        sqlx::query("DELETE FROM staff_session WHERE expires_at < $1")
            .bind(Ts(OffsetDateTime::now_utc()))
            .execute(&self.writer)
            .await?;
        let n = sqlx::query(
            "INSERT INTO staff_session (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(Ts(expires_at))
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Updates a session; one that was deleted (logout) stays deleted, even when a
    /// request that began before the logout ends after it.
    async fn save(&self, id: &str, data: &str, expires_at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE staff_session SET data = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(data)
            .bind(Ts(expires_at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A session's data and expiry, unless it has expired by `now`.
    async fn load(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(String, OffsetDateTime)>> {
        let row: Option<(String, Ts)> = sqlx::query_as(
            "SELECT data, expires_at FROM staff_session WHERE id = $1 AND expires_at > $2",
        )
        .bind(id)
        .bind(Ts(now))
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(d, t)| (d, t.0)))
    }

    async fn delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM staff_session WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
