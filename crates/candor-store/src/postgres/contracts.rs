//! Contracts on PostgreSQL.

use super::corrupt;
use super::PgStore;
use crate::error::Result;
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::contract::{Contract, ContractStatus, Party};
use sqlx::postgres::PgRow;
use sqlx::Row;
use time::Date;
use uuid::Uuid;

const COLUMNS: &str =
    "id, contact_id, company_id, reference, status, starts_on, ends_on, created_at, updated_at";

fn contract(row: &PgRow) -> Result<Contract> {
    let party = match (
        row.try_get::<Option<Uuid>, _>("contact_id")?,
        row.try_get::<Option<Uuid>, _>("company_id")?,
    ) {
        (Some(c), _) => Party::Contact(c),
        (None, Some(c)) => Party::Company(c),
        (None, None) => return Err(corrupt("contract party")),
    };
    let status: String = row.try_get("status")?;
    Ok(Contract {
        id: row.try_get("id")?,
        party,
        reference: row.try_get("reference")?,
        status: ContractStatus::parse("status", &status).map_err(|_| corrupt("contract status"))?,
        starts_on: row.try_get("starts_on")?,
        ends_on: row.try_get("ends_on")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn party_ids(p: Party) -> (Option<Uuid>, Option<Uuid>) {
    match p {
        Party::Contact(id) => (Some(id), None),
        Party::Company(id) => (None, Some(id)),
    }
}

impl PgStore {
    /// Writes a contract (insert or replace by id) with its audit entries, atomically.
    pub async fn save_contract(
        &self,
        c: &Contract,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        let (contact, company) = party_ids(c.party);
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO contract ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET reference = excluded.reference, status = excluded.status, \
             starts_on = excluded.starts_on, ends_on = excluded.ends_on, updated_at = excluded.updated_at"
        ))
        .bind(c.id)
        .bind(contact)
        .bind(company)
        .bind(&c.reference)
        .bind(c.status.as_str())
        .bind(c.starts_on)
        .bind(c.ends_on)
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&mut *tx)
        .await?;
        let entries = super::audit::append_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(entries)
    }

    pub async fn get_contract(&self, id: Uuid) -> Result<Option<Contract>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM contract WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contract).transpose()
    }

    /// A party's contracts, newest start first.
    pub async fn list_contracts(&self, party: Party) -> Result<Vec<Contract>> {
        let (col, id) = match party {
            Party::Contact(id) => ("contact_id", id),
            Party::Company(id) => ("company_id", id),
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM contract WHERE {col} = $1 ORDER BY starts_on DESC, id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(contract).collect()
    }

    /// Whether the contact, or the company it belongs to, has a contract running on `today`.
    pub async fn has_active_contract(
        &self,
        contact: Uuid,
        company: Option<Uuid>,
        today: Date,
    ) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contract WHERE (contact_id = $1 OR company_id = $2) \
             AND status = 'active' AND starts_on <= $3 AND (ends_on IS NULL OR ends_on >= $3)",
        )
        .bind(contact)
        .bind(company)
        .bind(today)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

impl PgStore {
    /// The last consent request sent to a subject, for the communication rules (M2).
    pub async fn last_consent_request(
        &self,
        subject: Uuid,
    ) -> Result<Option<candor_domain::communication::LastRequest>> {
        let row: Option<(
            time::OffsetDateTime,
            time::OffsetDateTime,
            Option<time::OffsetDateTime>,
        )> = sqlx::query_as(
            "SELECT created_at, expires_at, used_at FROM consent_token \
                 WHERE subject_id = $1 AND kind = 'request' ORDER BY created_at DESC LIMIT 1",
        )
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(sent_at, expires_at, used)| candor_domain::communication::LastRequest {
                sent_at,
                expires_at,
                answered: used.is_some(),
            },
        ))
    }
}

impl PgStore {
    /// Records an order with its audit entries, atomically.
    pub async fn insert_order(
        &self,
        o: &crate::model::OrderRecord,
        audit: Vec<AccessEvent>,
    ) -> Result<Vec<AuditEntry>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO customer_order (id, contact_id, ordered_at, currency, total_cents, lines) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(o.id)
        .bind(o.contact_id)
        .bind(o.ordered_at)
        .bind(&o.currency)
        .bind(o.total_cents)
        .bind(&o.lines)
        .execute(&mut *tx)
        .await?;
        let entries = super::audit::append_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// A contact's orders, newest first.
    pub async fn list_orders(&self, contact: Uuid) -> Result<Vec<crate::model::OrderRecord>> {
        let rows = sqlx::query("SELECT id, contact_id, ordered_at, currency, total_cents, lines FROM customer_order WHERE contact_id = $1 ORDER BY ordered_at DESC, id")
            .bind(contact)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(crate::model::OrderRecord {
                id: row.try_get("id")?,
                contact_id: row.try_get("contact_id")?,
                ordered_at: row.try_get("ordered_at")?,
                currency: row.try_get("currency")?,
                total_cents: row.try_get("total_cents")?,
                lines: row.try_get("lines")?,
            });
        }
        Ok(out)
    }
}
