//! Tokens, custom fields, bulk inserts and the benchmark baseline on PostgreSQL.

use super::data::INSERT_COMPANY;
use super::rows::{bind_company, bind_contact, CONTACT_COLUMNS};
use super::{unique_field, PgStore};
use crate::error::{Result, StoreError};
use crate::model::{ActivityRecord, ApiToken, OrderRecord};
use candor_domain::catalogue::FieldDef;
use candor_domain::company::Company;
use candor_domain::contact::Contact;
use sqlx::postgres::PgRow;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

fn token(row: &PgRow) -> Result<ApiToken> {
    let role: String = row.try_get("role")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl PgStore {
    pub async fn insert_token(&self, t: &ApiToken, secret_hash: &str) -> Result<()> {
        sqlx::query("INSERT INTO api_token (id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t.id)
            .bind(&t.name)
            .bind(t.role.as_str())
            .bind(secret_hash)
            .bind(t.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn token_by_secret_hash(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query("SELECT id, name, role, created_at, revoked_at FROM api_token WHERE secret_hash = $1 AND revoked_at IS NULL")
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token).transpose()
    }

    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let found = sqlx::query(
            "SELECT id, name, role, created_at, revoked_at FROM api_token ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(token).collect()
    }

    pub async fn revoke_tokens(&self, id_or_name: &str, at: OffsetDateTime) -> Result<u64> {
        let by_id = Uuid::parse_str(id_or_name).ok();
        Ok(sqlx::query("UPDATE api_token SET revoked_at = $1 WHERE revoked_at IS NULL AND (id = $2 OR name = $3)")
            .bind(at)
            .bind(by_id)
            .bind(id_or_name)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub async fn insert_custom_field(
        &self,
        def: &FieldDef,
        at: OffsetDateTime,
        by: &str,
    ) -> Result<()> {
        let json = serde_json::to_value(def).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let res = sqlx::query("INSERT INTO custom_field (entity, name, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(def.entity.as_str())
            .bind(&def.name)
            .bind(json)
            .bind(at)
            .bind(by)
            .execute(&self.pool)
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
        let defs: Vec<serde_json::Value> =
            sqlx::query_scalar("SELECT definition FROM custom_field ORDER BY created_at, name")
                .fetch_all(&self.pool)
                .await?;
        defs.into_iter()
            .map(|d| serde_json::from_value(d).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// Generated data in one transaction; no audit entries, since no one accessed it.
    pub async fn insert_batch(
        &self,
        companies: &[Company],
        contacts: &[(Contact, Option<String>)],
        orders: &[OrderRecord],
        activity: &[ActivityRecord],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for c in companies {
            bind_company(sqlx::query(INSERT_COMPANY), c)
                .execute(&mut *tx)
                .await?;
        }
        let insert_contact = format!(
            "INSERT INTO contact ({CONTACT_COLUMNS}, email_hash) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        );
        for (c, hash) in contacts {
            bind_contact(sqlx::query(&insert_contact), c, hash.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        for o in orders {
            sqlx::query("INSERT INTO customer_order (id, contact_id, ordered_at, currency, total_cents, lines) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(o.id)
                .bind(o.contact_id)
                .bind(o.ordered_at)
                .bind(&o.currency)
                .bind(o.total_cents)
                .bind(&o.lines)
                .execute(&mut *tx)
                .await?;
        }
        for a in activity {
            sqlx::query("INSERT INTO activity (id, contact_id, kind, at, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(a.id)
                .bind(a.contact_id)
                .bind(&a.kind)
                .bind(a.at)
                .bind(&a.detail)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

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
                .fetch_one(&self.pool)
                .await?;
            out.push((t, n));
        }
        Ok(out)
    }

    pub async fn baseline_prepare(&self) -> Result<()> {
        sqlx::query("CREATE TABLE IF NOT EXISTS bench_access (id BIGSERIAL PRIMARY KEY, subject_id UUID NOT NULL, fields TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn baseline_read_and_insert(
        &self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<String>> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE id = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let last: String = row.try_get("last_name")?;
        sqlx::query("INSERT INTO bench_access (subject_id, fields, at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind("[\"last_name\"]")
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(Some(last))
    }

    pub async fn sample_contact_ids(&self, n: u32) -> Result<Vec<String>> {
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM contact ORDER BY id LIMIT $1")
            .bind(i64::from(n))
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().map(|u| u.to_string()).collect())
    }
}

impl PgStore {
    /// The hand-written SQL that `candor bench audience` measures Candor against.
    pub async fn baseline_newsletter_audience(
        &self,
    ) -> Result<(Vec<String>, std::collections::BTreeMap<String, u64>)> {
        use futures_util::TryStreamExt;
        let sql = crate::bulk::BASELINE_AUDIENCE_SQL
            .replace("SELECT c.id,", "SELECT CAST(c.id AS TEXT),");
        let mut rows = sqlx::query_as::<_, (String, String)>(&sql).fetch(&self.pool);
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
