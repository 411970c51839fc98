use super::{unique_field, SqliteStore};
use crate::error::{Result, StoreError};
use candor_domain::catalogue::FieldDef;
use time::OffsetDateTime;

impl SqliteStore {
    /// Stores a custom field's definition (already checked against the catalogue).
    pub async fn insert_custom_field(
        &self,
        def: &FieldDef,
        at: OffsetDateTime,
        by: &str,
    ) -> Result<()> {
        let json = serde_json::to_string(def).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let res = sqlx::query(
            "INSERT INTO custom_field (entity, name, definition, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(def.entity.as_str())
        .bind(&def.name)
        .bind(json)
        .bind(at)
        .bind(by)
        .execute(&self.writer)
        .await;
        match res {
            Err(e) if unique_field(&e) == Some("name") => Err(StoreError::Duplicate {
                field: "name",
                existing: None,
            }),
            other => other.map(drop).map_err(Into::into),
        }
    }

    pub async fn list_custom_fields(&self) -> Result<Vec<FieldDef>> {
        let defs: Vec<String> =
            sqlx::query_scalar("SELECT definition FROM custom_field ORDER BY created_at, name")
                .fetch_all(&self.reader)
                .await?;
        defs.iter()
            .map(|d| serde_json::from_str(d).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}
