//! The raw baseline that `candor bench` measures Candor against: the same database
//! doing the same work (read a contact row, insert an access row) with nothing else.

use super::SqliteStore;
use crate::error::Result;
use time::OffsetDateTime;

impl SqliteStore {
    pub async fn baseline_prepare(&self) -> Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_access (id INTEGER PRIMARY KEY, subject_id TEXT NOT NULL, fields TEXT NOT NULL, at TEXT NOT NULL)",
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Reads one contact's row and commits one access row: one commit per call.
    pub async fn baseline_read_and_insert(
        &self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<String>> {
        let sql = format!(
            "SELECT {} FROM contact WHERE id = ?1",
            super::rows::CONTACT_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let last: String = sqlx::Row::try_get(&row, "last_name")?;
        sqlx::query("INSERT INTO bench_access (subject_id, fields, at) VALUES (?1, ?2, ?3)")
            .bind(id)
            .bind("[\"last_name\"]")
            .bind(at)
            .execute(&self.writer)
            .await?;
        Ok(Some(last))
    }

    /// Ids of the first `n` contacts, for load generators.
    pub async fn sample_contact_ids(&self, n: u32) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM contact ORDER BY id LIMIT ?1")
                .bind(i64::from(n))
                .fetch_all(&self.reader)
                .await?,
        )
    }
}
