use super::audit::append_in;
use super::rows::{self, bind_contact, CONTACT_COLUMNS};
use super::{is_foreign_key_violation, unique_field, SqliteStore};
use crate::error::{Result, StoreError};
use crate::model::{ConsentToken, ContactFilter, Page, QueuedMail};
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::contact::Contact;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

const INSERT: &str = "INSERT INTO contact (id, kind, company_id, first_name, last_name, email, \
    phone, locale, address_line, postal_code, city, country, notes, custom, created_at, \
    updated_at, newsletter_subscribed_at, newsletter_open_rate, email_hash) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

pub(super) const UPDATE: &str = "UPDATE contact SET kind = ?2, company_id = ?3, first_name = ?4, \
    last_name = ?5, email = ?6, phone = ?7, locale = ?8, address_line = ?9, postal_code = ?10, \
    city = ?11, country = ?12, notes = ?13, custom = ?14, created_at = ?15, updated_at = ?16, \
    newsletter_subscribed_at = ?17, newsletter_open_rate = ?18, email_hash = ?19 WHERE id = ?1";

impl SqliteStore {
    /// Inserts a contact and its audit entries in one transaction.
    pub async fn insert_contact(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        self.write_contact(INSERT, c, email_hash, audit, request)
            .await
    }

    /// Replaces a contact's stored values and appends its audit entries, atomically.
    pub async fn update_contact(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        self.write_contact(UPDATE, c, email_hash, audit, None).await
    }

    async fn write_contact(
        &self,
        sql: &'static str,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        let mut tx = self.writer.begin().await?;
        let res = bind_contact(sqlx::query(sql), c, email_hash)
            .execute(&mut *tx)
            .await;
        if let Err(e) = res {
            drop(tx);
            return Err(self.explain_contact_error(e, email_hash).await);
        }
        let entries = append_in(&mut tx, audit).await?;
        if let Some((token, mail)) = request {
            super::outbox::insert_token(&mut tx, token).await?;
            super::outbox::queue_in(&mut tx, mail).await?;
        }
        tx.commit().await?;
        Ok(entries)
    }

    async fn explain_contact_error(&self, e: sqlx::Error, email_hash: Option<&str>) -> StoreError {
        match unique_field(&e) {
            Some("email") => {
                let existing = match email_hash {
                    Some(h) => self.contact_id_by_email_hash(h).await.ok().flatten(),
                    None => None,
                };
                StoreError::Duplicate {
                    field: "email",
                    existing,
                }
            }
            Some(field) => StoreError::Duplicate {
                field,
                existing: None,
            },
            None if is_foreign_key_violation(&e) => StoreError::MissingReference {
                field: "company_id",
            },
            None => e.into(),
        }
    }

    pub async fn get_contact(&self, id: Uuid) -> Result<Option<Contact>> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(rows::contact).transpose()
    }

    pub async fn contact_id_by_email_hash(&self, hash: &str) -> Result<Option<Uuid>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM contact WHERE email_hash = ?1")
            .bind(hash)
            .fetch_optional(&self.reader)
            .await?;
        id.map(|s| Uuid::parse_str(&s).map_err(|_| rows::corrupt("id")))
            .transpose()
    }

    /// Deletes a contact (and, by cascade, its orders and activity) with its audit entry.
    /// Returns false when there was no such contact.
    pub async fn delete_contact(&self, id: Uuid, audit: Vec<AccessEvent>) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query("DELETE FROM contact WHERE id = ?1")
            .bind(id.to_string())
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

    /// One page of contacts in id order, filtered.
    pub async fn list_contacts(&self, filter: &ContactFilter, page: Page) -> Result<Vec<Contact>> {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new(format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE 1 = 1"));
        if let Some(k) = filter.kind {
            q.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(c) = filter.company_id {
            q.push(" AND company_id = ").push_bind(c.to_string());
        }
        if let Some(h) = &filter.email_hash {
            q.push(" AND email_hash = ").push_bind(h.clone());
        }
        if let Some(n) = &filter.name_prefix {
            let pattern = format!("{}%", crate::model::like_escape(n));
            q.push(" AND (last_name LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR first_name LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(n) = &filter.company_name {
            let pattern = format!("%{}%", crate::model::like_escape(n));
            q.push(" AND company_id IN (SELECT id FROM company WHERE name LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(a) = page.after {
            q.push(" AND id > ").push_bind(a.to_string());
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let found = q.build().fetch_all(&self.reader).await?;
        found.iter().map(rows::contact).collect()
    }

    pub async fn count_contacts(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM contact")
            .fetch_one(&self.reader)
            .await?)
    }
}
