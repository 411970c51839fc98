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

impl SqliteStore {
    /// The hand-written SQL that `candor bench audience` measures Candor against: the
    /// newsletter-by-email audience of every contact, decided in one query.
    pub async fn baseline_newsletter_audience(
        &self,
    ) -> Result<(Vec<String>, std::collections::BTreeMap<String, u64>)> {
        use futures_util::TryStreamExt;
        let mut rows =
            sqlx::query_as::<_, (String, String)>(super::super::bulk::BASELINE_AUDIENCE_SQL)
                .fetch(&self.reader);
        let mut allowed = Vec::new();
        let mut counts = std::collections::BTreeMap::new();
        while let Some((id, rule)) = rows.try_next().await? {
            if rule == "allowed" {
                allowed.push(id);
            } else {
                *counts.entry(rule).or_insert(0) += 1;
            }
        }
        Ok((allowed, counts))
    }
}
