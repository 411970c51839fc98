//! Bulk inserts for demo data and benchmarks: many rows per transaction, prepared
//! statements reused, never one transaction per row.

use super::rows::{bind_contact, CONTACT_COLUMNS};
use super::SqliteStore;
use crate::error::Result;
use crate::model::{ActivityRecord, OrderRecord};
use candor_domain::company::Company;
use candor_domain::contact::Contact;

impl SqliteStore {
    /// Inserts companies, contacts (with their email hashes), orders and activity in one
    /// transaction. Meant for generated data: no audit entries, since no one accessed it.
    pub async fn insert_batch(
        &self,
        companies: &[Company],
        contacts: &[(Contact, Option<String>)],
        orders: &[OrderRecord],
        activity: &[ActivityRecord],
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for c in companies {
            sqlx::query(
                "INSERT INTO company (id, name, siret, country, address_line, postal_code, city, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(c.id.to_string())
            .bind(c.name.as_str())
            .bind(c.siret.as_ref().map(|s| s.as_str()))
            .bind(c.country.as_str())
            .bind(c.address_line.as_ref().map(|s| s.as_str()))
            .bind(c.postal_code.as_ref().map(|s| s.as_str()))
            .bind(c.city.as_ref().map(|s| s.as_str()))
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        let insert_contact = format!(
            "INSERT INTO contact ({CONTACT_COLUMNS}, email_hash) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
        );
        for (c, hash) in contacts {
            bind_contact(sqlx::query(&insert_contact), c, hash.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        for o in orders {
            sqlx::query(
                "INSERT INTO customer_order (id, contact_id, ordered_at, currency, total_cents, lines) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(o.id.to_string())
            .bind(o.contact_id.to_string())
            .bind(o.ordered_at)
            .bind(&o.currency)
            .bind(o.total_cents)
            .bind(o.lines.to_string())
            .execute(&mut *tx)
            .await?;
        }
        for a in activity {
            sqlx::query(
                "INSERT INTO activity (id, contact_id, kind, at, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(a.id.to_string())
            .bind(a.contact_id.to_string())
            .bind(&a.kind)
            .bind(a.at)
            .bind(&a.detail)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Row counts of the subject-data tables, for demo output and tests.
    pub async fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
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
        ] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&self.reader)
                .await?;
            out.push((t, n));
        }
        Ok(out)
    }
}
