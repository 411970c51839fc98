//! Contacts and companies.

use super::{dialect, Builder, Db, Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::{ConsentToken, ContactFilter, Page, QueuedMail};
use crate::personal::{CompanyRow, ContactRow};
use crate::types::{Id, Ts};
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::company::Company;
use candor_domain::contact::Contact;
use sqlx::query::Query;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Email hashes per lookup: a whole import batch in one or two statements.
const HASHES: usize = 5000;

pub(super) const INSERT_CONTACT: &str = "INSERT INTO contact (id, kind, company_id, first_name, \
    last_name, email, phone, locale, address_line, postal_code, city, country, notes, custom, \
    created_at, updated_at, newsletter_subscribed_at, newsletter_open_rate, email_hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

pub(super) const UPDATE_CONTACT: &str = "UPDATE contact SET kind = $2, company_id = $3, \
    first_name = $4, last_name = $5, email = $6, phone = $7, locale = $8, address_line = $9, \
    postal_code = $10, city = $11, country = $12, notes = $13, custom = $14, created_at = $15, \
    updated_at = $16, newsletter_subscribed_at = $17, newsletter_open_rate = $18, \
    email_hash = $19 WHERE id = $1";

pub(super) const INSERT_COMPANY: &str = "INSERT INTO company (id, name, siret, country, \
    address_line, postal_code, city, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const UPDATE_COMPANY: &str = "UPDATE company SET name = $2, siret = $3, country = $4, \
    address_line = $5, postal_code = $6, city = $7, created_at = $8, updated_at = $9 \
    WHERE id = $1";

type Args<'q> = <Db as sqlx::Database>::Arguments<'q>;

/// Binds a contact's columns in `ContactRow::COLUMNS` order, then the email hash.
pub(super) fn bind_contact<'q>(
    q: Query<'q, Db, Args<'q>>,
    r: ContactRow,
    email_hash: Option<&'q str>,
) -> Query<'q, Db, Args<'q>> {
    q.bind(r.id)
        .bind(r.kind)
        .bind(r.company_id)
        .bind(r.first_name)
        .bind(r.last_name)
        .bind(r.email)
        .bind(r.phone)
        .bind(r.locale)
        .bind(r.address_line)
        .bind(r.postal_code)
        .bind(r.city)
        .bind(r.country)
        .bind(r.notes)
        .bind(r.custom)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(r.newsletter_subscribed_at)
        .bind(r.newsletter_open_rate)
        .bind(email_hash)
}

/// Binds a company's columns in `CompanyRow::COLUMNS` order.
pub(super) fn bind_company<'q>(
    q: Query<'q, Db, Args<'q>>,
    r: CompanyRow,
) -> Query<'q, Db, Args<'q>> {
    q.bind(r.id)
        .bind(r.name)
        .bind(r.siret)
        .bind(r.country)
        .bind(r.address_line)
        .bind(r.postal_code)
        .bind(r.city)
        .bind(r.created_at)
        .bind(r.updated_at)
}

/// Writes a contact's row inside `tx` (`INSERT_CONTACT` or `UPDATE_CONTACT`), with the
/// terms staff search finds it by.
pub(super) async fn write_contact_in(
    tx: &mut Tx<'_>,
    sql: &'static str,
    c: &Contact,
    email_hash: Option<&str>,
) -> std::result::Result<u64, sqlx::Error> {
    let n = bind_contact(sqlx::query(sql), ContactRow::of(c), email_hash)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if n > 0 {
        index_terms_in(tx, c, sql == INSERT_CONTACT).await?;
    }
    Ok(n)
}

/// Writes a contact's search terms (O1), replacing those it had unless it is `fresh`.
pub(super) async fn index_terms_in(
    tx: &mut Tx<'_>,
    c: &Contact,
    fresh: bool,
) -> std::result::Result<(), sqlx::Error> {
    if !fresh {
        sqlx::query("DELETE FROM contact_term WHERE contact_id = $1")
            .bind(Id(c.id))
            .execute(&mut **tx)
            .await?;
    }
    let terms = candor_domain::search::terms(&c.data);
    if terms.is_empty() {
        return Ok(());
    }
    let mut q = Builder::new("INSERT INTO contact_term (term, field, contact_id) ");
    q.push_values(&terms, |mut b, (field, term)| {
        b.push_bind(term.clone())
            .push_bind(field.as_str())
            .push_bind(Id(c.id));
    });
    q.push(" ON CONFLICT DO NOTHING");
    q.build().persistent(false).execute(&mut **tx).await?;
    Ok(())
}

/// Gives the contacts written before search existed their terms (once, after the
/// migration that made the table asks for it); restartable, as terms are written
/// idempotently. How many contacts were indexed.
pub(crate) async fn index_missing_terms(store: &Store) -> Result<u64> {
    let pending: Option<i64> = sqlx::query_scalar("SELECT pending FROM contact_term_backfill")
        .fetch_optional(&store.reader)
        .await?;
    if pending.unwrap_or(0) == 0 {
        return Ok(0);
    }
    let mut after: Option<Id> = None;
    let mut n = 0u64;
    loop {
        let mut q = Builder::new(format!("SELECT {} FROM contact", ContactRow::COLUMNS));
        if let Some(a) = &after {
            q.push(" WHERE id > ").push_bind(*a);
        }
        q.push(" ORDER BY id LIMIT 1000");
        let rows: Vec<ContactRow> = q.build_query_as().fetch_all(&store.reader).await?;
        let Some(last) = rows.last().map(|r| Id(r.id.0)) else {
            break;
        };
        let mut tx = store.write().await?;
        for r in rows {
            let c = r.into_contact()?;
            index_terms_in(&mut tx, &c, true).await?;
            n += 1;
        }
        tx.commit().await?;
        after = Some(last);
        if n.is_multiple_of(100_000) {
            tracing::info!(contacts = n, "indexing contacts for search");
        }
    }
    let mut tx = store.write().await?;
    sqlx::query("UPDATE contact_term_backfill SET pending = 0")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(n)
}

impl Store {
    async fn write_contact(
        &self,
        sql: &'static str,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        let mut tx = self.write().await?;
        if sql == UPDATE_CONTACT {
            // A new email address is not the one known to bounce.
            sqlx::query(
                "DELETE FROM address_status WHERE subject_id = $1 AND channel = 'email' \
                 AND NOT EXISTS (SELECT 1 FROM contact WHERE id = $1 AND email_hash IS NOT DISTINCT FROM $2)",
            )
            .bind(Id(c.id))
            .bind(email_hash)
            .execute(&mut *tx)
            .await?;
        }
        match write_contact_in(&mut tx, sql, c, email_hash).await {
            Err(e) => {
                drop(tx);
                return Err(self.explain_contact_error(e, email_hash).await);
            }
            // An update of a contact that is gone writes nothing, not even its audit.
            Ok(0) => return Err(StoreError::NotFound { what: "contact" }),
            Ok(_) => {}
        }
        let entries = super::append_audit_in(&mut tx, audit).await?;
        if let Some((token, mail)) = request {
            super::outbox::insert_token(&mut tx, token).await?;
            super::outbox::queue_in(&mut tx, mail).await?;
        }
        tx.commit().await?;
        Ok(entries)
    }

    async fn explain_contact_error(&self, e: sqlx::Error, email_hash: Option<&str>) -> StoreError {
        match dialect::unique_field(&e) {
            Some("email") => {
                let existing = match email_hash {
                    Some(h) => crate::face::Contacts::id_by_email_hash(self, h)
                        .await
                        .ok()
                        .flatten(),
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
            None if dialect::is_foreign_key_violation(&e) => StoreError::MissingReference {
                field: "company_id",
            },
            None => e.into(),
        }
    }

    async fn write_company(&self, sql: &'static str, c: &Company) -> Result<()> {
        let res = bind_company(sqlx::query(sql), CompanyRow::of(c))
            .execute(&self.writer)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => match dialect::unique_field(&e) {
                Some("siret") => {
                    let existing = match &c.siret {
                        Some(s) => self.company_id_by_siret(s.as_str()).await?,
                        None => None,
                    };
                    Err(StoreError::Duplicate {
                        field: "siret",
                        existing,
                    })
                }
                _ => Err(e.into()),
            },
        }
    }

    async fn company_id_by_siret(&self, siret: &str) -> Result<Option<Uuid>> {
        let id: Option<Id> = sqlx::query_scalar("SELECT id FROM company WHERE siret = $1")
            .bind(siret)
            .fetch_optional(&self.reader)
            .await?;
        Ok(id.map(Uuid::from))
    }
}

/// A contact with an email, no consent state and no consent request ever sent.
const NEVER_ASKED: &str = "c.email IS NOT NULL \
    AND NOT EXISTS (SELECT 1 FROM consent_state s WHERE s.subject_id = c.id) \
    AND NOT EXISTS (SELECT 1 FROM consent_token t WHERE t.subject_id = c.id AND t.kind = 'request')";

#[async_trait::async_trait]
impl crate::face::Contacts for Store {
    async fn count_never_asked(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT count(*) FROM contact c WHERE {NEVER_ASKED}"
        ))
        .fetch_one(&self.reader)
        .await?)
    }

    async fn never_asked(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>> {
        let ids: Vec<Id> = sqlx::query_scalar(&format!(
            "SELECT c.id FROM contact c WHERE ($1 IS NULL OR c.id > $1) AND {NEVER_ASKED} \
             ORDER BY c.id LIMIT $2"
        ))
        .bind(after.map(Id))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(Uuid::from).collect())
    }

    /// Inserts a contact and its audit entries, with the consent request it causes if
    /// any, in one transaction.
    async fn insert(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
        request: Option<(&ConsentToken, &QueuedMail)>,
    ) -> Result<Vec<AuditEntry>> {
        self.write_contact(INSERT_CONTACT, c, email_hash, audit, request)
            .await
    }

    /// Replaces a contact's stored values and appends its audit entries, atomically.
    async fn update(
        &self,
        c: &Contact,
        email_hash: Option<&str>,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        self.write_contact(UPDATE_CONTACT, c, email_hash, audit, None)
            .await
    }

    async fn get(&self, id: Uuid) -> Result<Option<Contact>> {
        let sql = format!("SELECT {} FROM contact WHERE id = $1", ContactRow::COLUMNS);
        let row: Option<ContactRow> = sqlx::query_as(&sql)
            .bind(Id(id))
            .fetch_optional(&self.reader)
            .await?;
        row.map(ContactRow::into_contact).transpose()
    }

    async fn id_by_email_hash(&self, hash: &str) -> Result<Option<Uuid>> {
        let id: Option<Id> = sqlx::query_scalar("SELECT id FROM contact WHERE email_hash = $1")
            .bind(hash)
            .fetch_optional(&self.reader)
            .await?;
        Ok(id.map(Uuid::from))
    }

    async fn due_for_transparency(
        &self,
        cutoff: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Contact>> {
        let sql = format!(
            "SELECT {} FROM contact WHERE email_hash IS NOT NULL AND created_at < $1 \
             AND (transparency_at IS NULL OR transparency_at < $1) ORDER BY id LIMIT $2",
            ContactRow::COLUMNS
        );
        let rows: Vec<ContactRow> = sqlx::query_as(&sql)
            .bind(Ts(cutoff))
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(ContactRow::into_contact).collect()
    }

    async fn mark_transparency(
        &self,
        ids: &[Uuid],
        at: OffsetDateTime,
        mails: &[QueuedMail],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        for id in ids {
            sqlx::query("UPDATE contact SET transparency_at = $2 WHERE id = $1")
                .bind(Id(*id))
                .bind(Ts(at))
                .execute(&mut *tx)
                .await?;
        }
        for m in mails {
            super::outbox::queue_in(&mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a contact (and, by cascade, its orders and activity) with its audit entry.
    /// Returns false when there was no such contact.
    async fn delete(&self, id: Uuid, audit: Vec<AccessEvent>) -> Result<bool> {
        let mut tx = self.write().await?;
        let n = sqlx::query("DELETE FROM contact WHERE id = $1")
            .bind(Id(id))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One page of contacts in id order, filtered.
    async fn list(&self, filter: &ContactFilter, page: Page) -> Result<Vec<Contact>> {
        let mut q = Builder::new(format!(
            "SELECT {} FROM contact WHERE 1 = 1",
            ContactRow::COLUMNS
        ));
        push_filter(&mut q, filter);
        if let Some(a) = page.after {
            q.push(" AND id > ").push_bind(Id(a));
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let found: Vec<ContactRow> = q.build_query_as().fetch_all(&self.reader).await?;
        found.into_iter().map(ContactRow::into_contact).collect()
    }

    /// The first contacts a search finds, by name. The word that starts the fewest
    /// terms drives a range scan of the terms' index; each candidate is checked for
    /// the other words by a probe of the `(contact_id, term)` index (a scalar subquery,
    /// which both backends run per candidate and stop at the page's size, where an
    /// `EXISTS` becomes a hash join over every term the other word starts on
    /// PostgreSQL).
    async fn search(&self, s: &crate::model::Search, limit: u32) -> Result<Vec<Contact>> {
        if s.words.is_empty() || s.fields.is_empty() {
            return Ok(Vec::new());
        }
        let fields = fields_in(s);
        // How many terms each word starts, counted up to a cap (an index range).
        const CAP: i64 = 5_000;
        let mut words = Vec::with_capacity(s.words.len());
        for w in &s.words {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM contact_term WHERE field IN ({fields}) \
                 AND term >= $1 AND term < $2 LIMIT $3) AS found"
            ))
            .bind(w)
            .bind(candor_domain::search::upper_bound(w))
            .bind(CAP)
            .fetch_one(&self.reader)
            .await?;
            if n == 0 {
                return Ok(Vec::new());
            }
            words.push((n, w));
        }
        words.sort_by_key(|(n, w)| (*n, std::cmp::Reverse(w.len())));
        let (first, rest) = words.split_first().expect("at least one word");
        let first = first.1;
        let mut q = Builder::new(format!(
            "SELECT {} FROM contact WHERE id IN (SELECT t.contact_id FROM contact_term t \
             WHERE t.field IN ({fields}) AND t.term >= ",
            ContactRow::COLUMNS
        ));
        q.push_bind(first.clone())
            .push(" AND t.term < ")
            .push_bind(candor_domain::search::upper_bound(first));
        for (_, w) in rest {
            q.push(format!(
                " AND (SELECT 1 FROM contact_term u WHERE u.contact_id = t.contact_id \
                 AND u.field IN ({fields}) AND u.term >= "
            ))
            .push_bind((*w).clone())
            .push(" AND u.term < ")
            .push_bind(candor_domain::search::upper_bound(w))
            .push(" LIMIT 1) IS NOT NULL");
        }
        // A contact may match by several terms: enough rows to fill the page.
        q.push(" LIMIT ")
            .push_bind(i64::from(limit) * 4)
            .push(") ORDER BY last_name, first_name, id LIMIT ")
            .push_bind(i64::from(limit));
        let found: Vec<ContactRow> = q.build_query_as().fetch_all(&self.reader).await?;
        found.into_iter().map(ContactRow::into_contact).collect()
    }

    async fn count_matching(&self, filter: &ContactFilter) -> Result<i64> {
        let searched = filter.search.is_some() || filter.name_prefix.is_some();
        let mut q = Builder::new(if searched {
            "SELECT COUNT(*) FROM (SELECT 1 FROM contact WHERE 1 = 1"
        } else {
            "SELECT COUNT(*) FROM contact WHERE 1 = 1"
        });
        push_filter(&mut q, filter);
        if searched {
            q.push(" LIMIT ")
                .push_bind(crate::model::SEARCH_COUNT_CAP + 1)
                .push(") AS found");
        }
        Ok(q.build_query_scalar().fetch_one(&self.reader).await?)
    }

    async fn count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM contact")
            .fetch_one(&self.reader)
            .await?)
    }

    /// The contacts holding these email blind-index hashes, by hash.
    async fn ids_by_email_hashes(&self, hashes: &[String]) -> Result<HashMap<String, Uuid>> {
        let mut out = HashMap::new();
        for chunk in hashes.chunks(HASHES) {
            let mut q = Builder::new("SELECT email_hash, id FROM contact WHERE email_hash IN (");
            let mut sep = q.separated(", ");
            for h in chunk {
                sep.push_bind(h.as_str());
            }
            q.push(")");
            let rows: Vec<(String, Id)> = q.build_query_as().fetch_all(&self.reader).await?;
            out.extend(rows.into_iter().map(|(h, id)| (h, id.0)));
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl crate::face::Companies for Store {
    async fn insert(&self, c: &Company) -> Result<()> {
        self.write_company(INSERT_COMPANY, c).await
    }

    async fn update(&self, c: &Company) -> Result<()> {
        self.write_company(UPDATE_COMPANY, c).await
    }

    async fn get(&self, id: Uuid) -> Result<Option<Company>> {
        let sql = format!("SELECT {} FROM company WHERE id = $1", CompanyRow::COLUMNS);
        let row: Option<CompanyRow> = sqlx::query_as(&sql)
            .bind(Id(id))
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(CompanyRow::into_company))
    }

    /// Deletes a company that no contact belongs to; false when there was none.
    async fn delete(&self, id: Uuid) -> Result<bool> {
        let res = sqlx::query("DELETE FROM company WHERE id = $1")
            .bind(Id(id))
            .execute(&self.writer)
            .await;
        match res {
            Ok(r) => Ok(r.rows_affected() > 0),
            Err(e) if dialect::is_foreign_key_violation(&e) => {
                Err(StoreError::StillReferenced { by: "contact" })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One page of companies in id order; `name` filters by a case-insensitive prefix.
    async fn list(&self, name: Option<&str>, page: Page) -> Result<Vec<Company>> {
        let mut q = Builder::new(format!(
            "SELECT {} FROM company WHERE 1 = 1",
            CompanyRow::COLUMNS
        ));
        if let Some(n) = name {
            let pattern = format!("{}%", n.to_lowercase().replace(['%', '_', '\\'], ""));
            q.push(" AND lower(name) LIKE ").push_bind(pattern);
        }
        if let Some(a) = page.after {
            q.push(" AND id > ").push_bind(Id(a));
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let found: Vec<CompanyRow> = q.build_query_as().fetch_all(&self.reader).await?;
        Ok(found.into_iter().map(CompanyRow::into_company).collect())
    }
}

/// The conditions of a contact filter, pushed onto a query that already says `WHERE`.
fn push_filter(q: &mut Builder<'_>, filter: &ContactFilter) {
    if let Some(k) = filter.kind {
        q.push(" AND kind = ").push_bind(k.as_str());
    }
    if let Some(c) = filter.company_id {
        q.push(" AND company_id = ").push_bind(Id(c));
    }
    if let Some(h) = &filter.email_hash {
        q.push(" AND email_hash = ").push_bind(h.clone());
    }
    if let Some(n) = &filter.name_prefix {
        let names = crate::model::Search {
            words: candor_domain::search::query(n),
            fields: vec![candor_domain::search::TermField::Name],
        };
        push_search(q, &names, "id");
    }
    if let Some(s) = &filter.search {
        push_search(q, s, "id");
    }
    if let Some(n) = &filter.company_name {
        let like = dialect::ILIKE;
        let pattern = format!("%{}%", crate::model::like_escape(n));
        q.push(format!(
            " AND company_id IN (SELECT id FROM company WHERE name {like} "
        ))
        .push_bind(pattern)
        .push(" ESCAPE '\\')");
    }
}

/// ` AND {id} IN (…)` for each word of a search: contacts with a term, in a field the
/// role may search, that the word starts.
fn push_search(q: &mut Builder<'_>, s: &crate::model::Search, id: &str) {
    if s.fields.is_empty() || s.words.is_empty() {
        q.push(" AND 1 = 0");
        return;
    }
    let fields = fields_in(s);
    for w in &s.words {
        q.push(format!(
            " AND {id} IN (SELECT contact_id FROM contact_term WHERE field IN ({fields}) AND term >= "
        ))
        .push_bind(w.clone())
        .push(" AND term < ")
        .push_bind(candor_domain::search::upper_bound(w))
        .push(")");
    }
}

/// The searched fields as SQL literals (the enum's own names, never input).
fn fields_in(s: &crate::model::Search) -> String {
    s.fields
        .iter()
        .map(|f| format!("'{}'", f.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
