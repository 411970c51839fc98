//! Contacts and companies on PostgreSQL.

use super::audit::append_in;
use super::rows::{self, bind_company, bind_contact, COMPANY_COLUMNS, CONTACT_COLUMNS};
use super::{is_foreign_key_violation, unique_field, PgStore};
use crate::error::{Result, StoreError};
use crate::model::{ConsentToken, ContactFilter, Page, QueuedMail};
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::company::Company;
use candor_domain::contact::Contact;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

const INSERT_CONTACT: &str =
    "INSERT INTO contact (id, kind, company_id, first_name, last_name, email, \
    phone, locale, address_line, postal_code, city, country, notes, custom, created_at, \
    updated_at, newsletter_subscribed_at, newsletter_open_rate, email_hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

pub(super) const UPDATE_CONTACT: &str =
    "UPDATE contact SET kind = $2, company_id = $3, first_name = $4, \
    last_name = $5, email = $6, phone = $7, locale = $8, address_line = $9, postal_code = $10, \
    city = $11, country = $12, notes = $13, custom = $14, created_at = $15, updated_at = $16, \
    newsletter_subscribed_at = $17, newsletter_open_rate = $18, email_hash = $19 WHERE id = $1";

pub(super) const INSERT_COMPANY: &str =
    "INSERT INTO company (id, name, siret, country, address_line, \
    postal_code, city, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const UPDATE_COMPANY: &str = "UPDATE company SET name = $2, siret = $3, country = $4, \
    address_line = $5, postal_code = $6, city = $7, created_at = $8, updated_at = $9 WHERE id = $1";

impl PgStore {
    pub async fn insert_contact(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        self.write_contact(INSERT_CONTACT, c, email_hash, audit, request)
            .await
    }

    pub async fn update_contact(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        self.write_contact(UPDATE_CONTACT, c, email_hash, audit, None)
            .await
    }

    async fn write_contact(
        &self,
        sql: &'static str,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        let mut tx = self.pool.begin().await?;
        if let Err(e) = bind_contact(sqlx::query(sql), c, email_hash)
            .execute(&mut *tx)
            .await
        {
            drop(tx);
            return Err(match unique_field(&e) {
                Some("email") => StoreError::Duplicate {
                    field: "email",
                    existing: match email_hash {
                        Some(h) => self.contact_id_by_email_hash(h).await.ok().flatten(),
                        None => None,
                    },
                },
                Some(field) => StoreError::Duplicate {
                    field,
                    existing: None,
                },
                None if is_foreign_key_violation(&e) => StoreError::MissingReference {
                    field: "company_id",
                },
                None => e.into(),
            });
        }
        let entries = append_in(&mut tx, audit).await?;
        if let Some((token, mail)) = request {
            super::outbox::insert_token(&mut tx, token).await?;
            super::outbox::queue_in(&mut tx, mail).await?;
        }
        tx.commit().await?;
        Ok(entries)
    }

    pub async fn get_contact(&self, id: Uuid) -> Result<Option<Contact>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::contact).transpose()
    }

    pub async fn contact_id_by_email_hash(&self, hash: &str) -> Result<Option<Uuid>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM contact WHERE email_hash = $1")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn delete_contact(&self, id: Uuid, audit: Vec<AccessEvent>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM contact WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        append_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn list_contacts(&self, filter: &ContactFilter, page: Page) -> Result<Vec<Contact>> {
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE 1 = 1"));
        if let Some(k) = filter.kind {
            q.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(c) = filter.company_id {
            q.push(" AND company_id = ").push_bind(c);
        }
        if let Some(h) = &filter.email_hash {
            q.push(" AND email_hash = ").push_bind(h.clone());
        }
        if let Some(n) = &filter.name_prefix {
            let pattern = format!("{}%", crate::model::like_escape(n));
            q.push(" AND (last_name ILIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR first_name ILIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(n) = &filter.company_name {
            let pattern = format!("%{}%", crate::model::like_escape(n));
            q.push(" AND company_id IN (SELECT id FROM company WHERE name ILIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(a) = page.after {
            q.push(" AND id > ").push_bind(a);
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let found = q.build().fetch_all(&self.pool).await?;
        found.iter().map(rows::contact).collect()
    }

    pub async fn count_contacts(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM contact")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn insert_company(&self, c: &Company) -> Result<()> {
        self.write_company(INSERT_COMPANY, c).await
    }

    pub async fn update_company(&self, c: &Company) -> Result<()> {
        self.write_company(UPDATE_COMPANY, c).await
    }

    async fn write_company(&self, sql: &str, c: &Company) -> Result<()> {
        match bind_company(sqlx::query(sql), c).execute(&self.pool).await {
            Ok(_) => Ok(()),
            Err(e) if unique_field(&e) == Some("siret") => {
                let existing: Option<Uuid> =
                    sqlx::query_scalar("SELECT id FROM company WHERE siret = $1")
                        .bind(c.siret.as_ref().map(|s| s.as_str()))
                        .fetch_optional(&self.pool)
                        .await?;
                Err(StoreError::Duplicate {
                    field: "siret",
                    existing,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_company(&self, id: Uuid) -> Result<Option<Company>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM company WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::company).transpose()
    }

    pub async fn delete_company(&self, id: Uuid) -> Result<bool> {
        match sqlx::query("DELETE FROM company WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
        {
            Ok(r) => Ok(r.rows_affected() > 0),
            Err(e) if is_foreign_key_violation(&e) => {
                Err(StoreError::StillReferenced { by: "contact" })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_companies(&self, name: Option<&str>, page: Page) -> Result<Vec<Company>> {
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("SELECT {COMPANY_COLUMNS} FROM company WHERE 1 = 1"));
        if let Some(n) = name {
            let pattern = format!("{}%", n.to_lowercase().replace(['%', '_', '\\'], ""));
            q.push(" AND lower(name) LIKE ").push_bind(pattern);
        }
        if let Some(a) = page.after {
            q.push(" AND id > ").push_bind(a);
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let found = q.build().fetch_all(&self.pool).await?;
        found.iter().map(rows::company).collect()
    }
}
