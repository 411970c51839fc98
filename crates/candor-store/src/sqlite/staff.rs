//! Staff accounts on SQLite.

use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::StaffUser;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str = "id, email, role, locale, password_hash, created_at, disabled_at";

fn user(row: &SqliteRow) -> Result<StaffUser> {
    let role: String = row.try_get("role")?;
    Ok(StaffUser {
        id: super::rows::uuid(row, "id")?,
        email: row.try_get("email")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        locale: row.try_get("locale")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

impl SqliteStore {
    /// Adds a staff account; an email already taken is a `Duplicate`.
    pub async fn insert_staff_user(&self, u: &StaffUser) -> Result<()> {
        let res = sqlx::query(&format!(
            "INSERT INTO staff_user ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ))
        .bind(u.id.to_string())
        .bind(&u.email)
        .bind(u.role.as_str())
        .bind(&u.locale)
        .bind(&u.password_hash)
        .bind(u.created_at)
        .bind(u.disabled_at)
        .execute(&self.writer)
        .await;
        match res {
            Err(e) if super::unique_field(&e).is_some() => Err(StoreError::Duplicate {
                field: "email",
                existing: None,
            }),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    pub async fn staff_user_by_email(&self, email: &str) -> Result<Option<StaffUser>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM staff_user WHERE email = ?1"
        ))
        .bind(email)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn list_staff_users(&self) -> Result<Vec<StaffUser>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM staff_user ORDER BY email"))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(user).collect()
    }

    /// Replaces a staff account's password hash (and re-enables it).
    pub async fn set_staff_password(&self, id: Uuid, hash: &str) -> Result<()> {
        sqlx::query("UPDATE staff_user SET password_hash = ?2, disabled_at = NULL WHERE id = ?1")
            .bind(id.to_string())
            .bind(hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn disable_staff_user(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE staff_user SET disabled_at = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn staff_user_by_id(&self, id: Uuid) -> Result<Option<StaffUser>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM staff_user WHERE id = ?1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(user).transpose()
    }

    /// Sets a staff account's language.
    pub async fn set_staff_locale(&self, id: Uuid, locale: &str) -> Result<()> {
        sqlx::query("UPDATE staff_user SET locale = ?2 WHERE id = ?1")
            .bind(id.to_string())
            .bind(locale)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Stores a new session; `false` when the id is already taken.
    pub async fn create_session(
        &self,
        id: &str,
        data: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        sqlx::query("DELETE FROM staff_session WHERE expires_at < ?1")
            .bind(OffsetDateTime::now_utc())
            .execute(&self.writer)
            .await?;
        let n = sqlx::query(
            "INSERT INTO staff_session (id, data, expires_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Updates a session; one that was deleted (logout) stays deleted, even when a
    /// request that began before the logout ends after it.
    pub async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("UPDATE staff_session SET data = ?2, expires_at = ?3 WHERE id = ?1")
            .bind(id)
            .bind(data)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A session's data, unless it has expired.
    pub async fn load_session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(String, OffsetDateTime)>> {
        let row = sqlx::query(
            "SELECT data, expires_at FROM staff_session WHERE id = ?1 AND expires_at > ?2",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| Ok((r.try_get("data")?, r.try_get("expires_at")?)))
            .transpose()
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM staff_session WHERE id = ?1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
