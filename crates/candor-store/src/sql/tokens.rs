//! API tokens and custom fields.

use super::{dialect, Store};
use crate::error::{Result, StoreError};
use crate::model::ApiToken;
use crate::types::{Id, Ts};
use candor_domain::catalogue::FieldDef;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Id,
    name: String,
    role: String,
    created_at: Ts,
    revoked_at: Option<Ts>,
}

fn token(r: TokenRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.id.0,
        name: r.name,
        role: r.role.parse().map_err(StoreError::Corrupt)?,
        created_at: r.created_at.0,
        revoked_at: r.revoked_at.map(|t| t.0),
    })
}

#[async_trait::async_trait]
impl crate::face::ApiTokens for Store {
    async fn insert(&self, t: &ApiToken, secret_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_token (id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Id(t.id))
        .bind(&t.name)
        .bind(t.role.as_str())
        .bind(secret_hash)
        .bind(Ts(t.created_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The live (not revoked) token whose secret hashes to `secret_hash`.
    async fn by_secret_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, name, role, created_at, revoked_at FROM api_token \
             WHERE secret_hash = $1 AND revoked_at IS NULL",
        )
        .bind(secret_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(token).transpose()
    }

    async fn list(&self) -> Result<Vec<ApiToken>> {
        let found: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, name, role, created_at, revoked_at FROM api_token ORDER BY created_at, id",
        )
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(token).collect()
    }

    /// Revokes the live token with this id, or every live token with this name.
    /// Returns how many were revoked.
    async fn revoke(&self, id_or_name: &str, at: OffsetDateTime) -> Result<u64> {
        let by_id = Uuid::parse_str(id_or_name).ok().map(Id);
        let n = sqlx::query(
            "UPDATE api_token SET revoked_at = $1 WHERE revoked_at IS NULL AND (id = $2 OR name = $3)",
        )
        .bind(Ts(at))
        .bind(by_id)
        .bind(id_or_name)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n)
    }
}

#[async_trait::async_trait]
impl crate::face::CustomFields for Store {
    /// Stores a custom field's definition (already checked against the catalogue).
    async fn insert_field(&self, def: &FieldDef, at: OffsetDateTime, by: &str) -> Result<()> {
        let res = sqlx::query(
            "INSERT INTO custom_field (entity, name, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(def.entity.as_str())
        .bind(&def.name)
        .bind(Json(def))
        .bind(Ts(at))
        .bind(by)
        .execute(&self.writer)
        .await;
        match res {
            Err(e) if dialect::unique_field(&e) == Some("name") => Err(StoreError::Duplicate {
                field: "name",
                existing: None,
            }),
            other => other.map(drop).map_err(Into::into),
        }
    }

    async fn fields(&self) -> Result<Vec<FieldDef>> {
        let defs: Vec<Json<FieldDef>> = sqlx::query_scalar(
            "SELECT definition FROM custom_field ORDER BY created_at, entity, name",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(defs.into_iter().map(|d| d.0).collect())
    }
}
