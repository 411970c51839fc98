use super::rows::uuid;
use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::ApiToken;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

fn token(row: &SqliteRow) -> Result<ApiToken> {
    let role: String = row.try_get("role")?;
    Ok(ApiToken {
        id: uuid(row, "id")?,
        name: row.try_get("name")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl SqliteStore {
    pub async fn insert_token(&self, t: &ApiToken, secret_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_token (id, name, role, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(t.id.to_string())
        .bind(&t.name)
        .bind(t.role.as_str())
        .bind(secret_hash)
        .bind(t.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The live (not revoked) token whose secret hashes to `secret_hash`.
    pub async fn token_by_secret_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(
            "SELECT id, name, role, created_at, revoked_at FROM api_token \
             WHERE secret_hash = ?1 AND revoked_at IS NULL",
        )
        .bind(secret_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(token).transpose()
    }

    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let found = sqlx::query(
            "SELECT id, name, role, created_at, revoked_at FROM api_token ORDER BY created_at, id",
        )
        .fetch_all(&self.reader)
        .await?;
        found.iter().map(token).collect()
    }

    /// Revokes the live token with this id, or every live token with this name.
    /// Returns how many were revoked.
    pub async fn revoke_tokens(&self, id_or_name: &str, at: OffsetDateTime) -> Result<u64> {
        let by_id = Uuid::parse_str(id_or_name).map(|u| u.to_string()).ok();
        let n = sqlx::query(
            "UPDATE api_token SET revoked_at = ?1 WHERE revoked_at IS NULL AND (id = ?2 OR name = ?3)",
        )
        .bind(at)
        .bind(by_id)
        .bind(id_or_name)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n)
    }
}
