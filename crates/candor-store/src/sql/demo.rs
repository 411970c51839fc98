//! Generated data and the raw baselines of `candor bench`: the same database doing the
//! same work with nothing of Candor's around it.

use super::{dialect, Store};
use crate::bulk::Rows;
use crate::error::Result;
use crate::model::{ActivityRecord, OrderRecord};
use crate::personal::{CompanyRow, ContactRow};
use crate::types::{Id, Ts};
use candor_domain::company::Company;
use candor_domain::contact::Contact;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait::async_trait]
impl crate::face::Demo for Store {
    /// Inserts companies, contacts (with their email hashes), orders and activity in one
    /// transaction. Meant for generated data: no audit entries, since no one accessed it.
    async fn insert_batch(
        &self,
        companies: &[Company],
        contacts: &[(Contact, Option<String>)],
        orders: &[OrderRecord],
        activity: &[ActivityRecord],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        for c in companies {
            super::contacts::bind_company(
                sqlx::query(super::contacts::INSERT_COMPANY),
                CompanyRow::of(c),
            )
            .execute(&mut *tx)
            .await?;
        }
        for (c, hash) in contacts {
            super::contacts::write_contact_in(
                &mut tx,
                super::contacts::INSERT_CONTACT,
                c,
                hash.as_deref(),
            )
            .await?;
        }
        for o in orders {
            super::contracts::insert_order_in(&mut tx, o).await?;
        }
        for a in activity {
            super::campaigns::insert_activity(&mut *tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Row counts of the subject-data tables, for demo output and tests.
    async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in [
            "company",
            "contact",
            "customer_order",
            "activity",
            "audit_entry",
            "consent_event",
            "outbox",
            "import_job",
            "contract",
            "segment",
            "campaign",
            "staff_session",
            "subject_request",
            "request_event",
            "job",
        ] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&self.reader)
                .await?;
            out.push((t, n));
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl crate::face::Bench for Store {
    async fn settle(&self) -> Result<()> {
        sqlx::query(dialect::SETTLE).execute(&self.writer).await?;
        Ok(())
    }

    async fn prepare(&self) -> Result<()> {
        sqlx::query(dialect::BENCH_ACCESS_TABLE)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Reads one contact's row and commits one access row: one commit per call.
    async fn read_and_insert(&self, id: &str, at: OffsetDateTime) -> Result<Option<String>> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {} FROM contact WHERE id = $1", ContactRow::COLUMNS);
        let Some(row): Option<ContactRow> = sqlx::query_as(&sql)
            .bind(Id(id))
            .fetch_optional(&self.reader)
            .await?
        else {
            return Ok(None);
        };
        sqlx::query("INSERT INTO bench_access (subject_id, fields, at) VALUES ($1, $2, $3)")
            .bind(Id(id))
            .bind("[\"last_name\"]")
            .bind(Ts(at))
            .execute(&self.writer)
            .await?;
        Ok(Some(row.last_name))
    }

    /// Ids of the first `n` contacts, for load generators.
    async fn sample_contact_ids(&self, n: u32) -> Result<Vec<String>> {
        let ids: Vec<Id> = sqlx::query_scalar("SELECT id FROM contact ORDER BY id LIMIT $1")
            .bind(i64::from(n))
            .fetch_all(&self.reader)
            .await?;
        Ok(ids.into_iter().map(|i| i.0.to_string()).collect())
    }

    async fn scan_names(&self, pattern: &str, limit: u32) -> Result<Vec<Uuid>> {
        let ids: Vec<Id> = sqlx::query_scalar(
            "SELECT id FROM contact \
             WHERE lower(COALESCE(first_name, '') || ' ' || last_name) LIKE $1 \
             ORDER BY last_name, first_name LIMIT $2",
        )
        .bind(pattern)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(|i| i.0).collect())
    }

    async fn raw_erase(&self, subject: Uuid) -> Result<u64> {
        let mut tx = self.write().await?;
        let mut n = 0;
        for t in crate::registry::SUBJECT_TABLES
            .iter()
            .filter(|t| t.table != "contact" && t.table != "checkpoint_head")
        {
            n += sqlx::query(&format!(
                "DELETE FROM {} WHERE {} = $1",
                t.table, t.subject_column
            ))
            .bind(Id(subject))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        n += sqlx::query("DELETE FROM contact WHERE id = $1")
            .bind(Id(subject))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn heads_root(&self) -> Result<(u64, String)> {
        use futures_util::TryStreamExt;
        let mut root = candor_domain::checkpoint::Root::default();
        for (ledger, heads) in [("audit", "audit_head"), ("consent", "consent_head")] {
            let sql = format!(
                "SELECT subject_id, seq, hash FROM {heads} WHERE seq > 0 ORDER BY subject_id"
            );
            let mut rows = sqlx::query_as::<_, (Id, i64, String)>(&sql).fetch(&self.reader);
            while let Some((subject, seq, hash)) = rows.try_next().await? {
                root.push(ledger, subject.0, seq, &hash);
            }
        }
        Ok(root.finish())
    }

    /// The hand-written SQL baseline of `candor bench audience`: the allowed ids and
    /// the number left out per rule, for a newsletter by email to every contact.
    async fn newsletter_audience(&self) -> Result<(Vec<String>, BTreeMap<String, u64>)> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query_as::<_, (String, String)>(crate::bulk::BASELINE_AUDIENCE_SQL)
            .fetch(&self.reader);
        let mut allowed = Vec::new();
        let mut counts = BTreeMap::new();
        while let Some((id, rule)) = rows.try_next().await? {
            if rule == "allowed" {
                allowed.push(id);
            } else {
                *counts.entry(rule).or_insert(0) += 1;
            }
        }
        Ok((allowed, counts))
    }

    /// Writes rows as they are, in one transaction, the fastest way the backend offers
    /// (multi-row INSERT on SQLite, COPY on PostgreSQL): the raw baseline of `candor
    /// bench import`, with nothing else (no parsing, no validation, no checkpoint).
    async fn write_raw(&self, tables: &[Rows]) -> Result<()> {
        let mut tx = self.write().await?;
        for rows in tables {
            dialect::write_rows(&mut tx, rows).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
