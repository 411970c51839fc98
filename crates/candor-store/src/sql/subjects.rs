//! Every row held on one person, table by table, for the access bundle (R3): the
//! registry names the tables and their subject columns (SQLite's query names each
//! column, read from the table), so a table added to the registry is in the bundle the
//! day it exists.

use super::{dialect, Db, Store};
use crate::error::{Result, StoreError};
use crate::registry::SUBJECT_TABLES;
use crate::types::Id;
use uuid::Uuid;

#[async_trait::async_trait]
impl crate::face::Subjects for Store {
    async fn rows(&self, subject: Uuid) -> Result<Vec<(&'static str, Vec<serde_json::Value>)>> {
        let mut out = Vec::with_capacity(SUBJECT_TABLES.len());
        for t in SUBJECT_TABLES {
            let sql = dialect::row_json(&self.reader, t.table, t.subject_column).await?;
            let rows: Vec<String> = sqlx::query_scalar::<Db, String>(&sql)
                .bind(Id(subject))
                .fetch_all(&self.reader)
                .await?;
            let rows = rows
                .iter()
                .map(|r| serde_json::from_str(r).map_err(|e| StoreError::Corrupt(e.to_string())))
                .collect::<Result<Vec<_>>>()?;
            out.push((t.table, rows));
        }
        Ok(out)
    }

    async fn count(&self, subject: Uuid, table: &'static str) -> Result<u64> {
        let t = SUBJECT_TABLES
            .iter()
            .find(|t| t.table == table)
            .ok_or(StoreError::NotFound {
                what: "subject table",
            })?;
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {} WHERE {} = $1",
            t.table, t.subject_column
        ))
        .bind(Id(subject))
        .fetch_one(&self.reader)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn each_row(
        &self,
        subject: Uuid,
        table: &'static str,
        each: &mut (dyn for<'r> FnMut(&'r str) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        use futures_util::TryStreamExt;
        let t = SUBJECT_TABLES
            .iter()
            .find(|t| t.table == table)
            .ok_or(StoreError::NotFound {
                what: "subject table",
            })?;
        let sql = dialect::row_json(&self.reader, t.table, t.subject_column).await?;
        let mut rows = sqlx::query_scalar::<Db, String>(&sql)
            .bind(Id(subject))
            .fetch(&self.reader);
        let mut n = 0;
        while let Some(row) = rows.try_next().await? {
            each(&row)?;
            n += 1;
        }
        Ok(n)
    }
}
