//! Contracts, orders, and the last consent request of a subject.

use super::{Db, Store, LIST};
use crate::error::Result;
use crate::model::OrderRecord;
use crate::personal::corrupt;
use crate::types::{Id, Ts};
use candor_domain::audit::{AccessEvent, AuditEntry};
use candor_domain::contract::{Contract, ContractStatus, Party};
use sqlx::types::Json;
use std::collections::HashSet;
use time::Date;
use uuid::Uuid;

const COLUMNS: &str =
    "id, contact_id, company_id, reference, status, starts_on, ends_on, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: Id,
    contact_id: Option<Id>,
    company_id: Option<Id>,
    reference: String,
    status: String,
    starts_on: Date,
    ends_on: Option<Date>,
    created_at: Ts,
    updated_at: Ts,
}

fn contract(r: ContractRow) -> Result<Contract> {
    let party = match (r.contact_id, r.company_id) {
        (Some(c), _) => Party::Contact(c.0),
        (None, Some(c)) => Party::Company(c.0),
        (None, None) => return Err(corrupt("contract party")),
    };
    Ok(Contract {
        id: r.id.0,
        party,
        reference: r.reference,
        status: ContractStatus::parse("status", &r.status)
            .map_err(|_| corrupt("contract status"))?,
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

fn party_ids(p: Party) -> (Option<Id>, Option<Id>) {
    match p {
        Party::Contact(id) => (Some(Id(id)), None),
        Party::Company(id) => (None, Some(Id(id))),
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Id,
    contact_id: Id,
    ordered_at: Ts,
    currency: String,
    total_cents: i64,
    lines: Json<serde_json::Value>,
}

pub(super) async fn insert_order_in(tx: &mut super::Tx<'_>, o: &OrderRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO customer_order (id, contact_id, ordered_at, currency, total_cents, lines) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Id(o.id))
    .bind(Id(o.contact_id))
    .bind(Ts(o.ordered_at))
    .bind(&o.currency)
    .bind(o.total_cents)
    .bind(Json(&o.lines))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::face::Contracts for Store {
    /// Which of these (contact, company) pairs have a contract running on `on`.
    async fn active_for(&self, pairs: &[(Uuid, Option<Uuid>)], on: Date) -> Result<HashSet<Uuid>> {
        let mut out = HashSet::new();
        for chunk in pairs.chunks(LIST) {
            let ps: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT c.id FROM contact c WHERE c.id IN ({}) AND EXISTS (SELECT 1 FROM contract k \
                 WHERE (k.contact_id = c.id OR k.company_id = c.company_id) AND k.status = 'active' \
                 AND k.starts_on <= $1 AND (k.ends_on IS NULL OR k.ends_on >= $1))",
                ps.join(", ")
            );
            let mut q = sqlx::query_scalar::<Db, Id>(&sql).bind(on);
            for (id, _) in chunk {
                q = q.bind(Id(*id));
            }
            out.extend(q.fetch_all(&self.reader).await?.into_iter().map(|i| i.0));
        }
        Ok(out)
    }

    /// Writes a contract (new, or changed by id) with its audit entries, atomically.
    async fn save(&self, c: &Contract, audit: Vec<AccessEvent>) -> Result<Vec<AuditEntry>> {
        let (contact, company) = party_ids(c.party);
        let mut tx = self.write().await?;
        sqlx::query(&format!(
            "INSERT INTO contract ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET reference = excluded.reference, status = excluded.status, \
             starts_on = excluded.starts_on, ends_on = excluded.ends_on, updated_at = excluded.updated_at"
        ))
        .bind(Id(c.id))
        .bind(contact)
        .bind(company)
        .bind(&c.reference)
        .bind(c.status.as_str())
        .bind(c.starts_on)
        .bind(c.ends_on)
        .bind(Ts(c.created_at))
        .bind(Ts(c.updated_at))
        .execute(&mut *tx)
        .await?;
        let entries = super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(entries)
    }

    async fn get(&self, id: Uuid) -> Result<Option<Contract>> {
        let row: Option<ContractRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM contract WHERE id = $1"))
                .bind(Id(id))
                .fetch_optional(&self.reader)
                .await?;
        row.map(contract).transpose()
    }

    /// A contact's or a company's contracts, newest start first.
    async fn list(&self, party: Party) -> Result<Vec<Contract>> {
        let (col, id) = match party {
            Party::Contact(id) => ("contact_id", id),
            Party::Company(id) => ("company_id", id),
        };
        let rows: Vec<ContractRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM contract WHERE {col} = $1 ORDER BY starts_on DESC, id"
        ))
        .bind(Id(id))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(contract).collect()
    }

    /// Whether the contact, or its company, has a contract running on `today`.
    async fn has_active(&self, contact: Uuid, company: Option<Uuid>, today: Date) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contract WHERE (contact_id = $1 OR company_id = $2) \
             AND status = 'active' AND starts_on <= $3 AND (ends_on IS NULL OR ends_on >= $3)",
        )
        .bind(Id(contact))
        .bind(company.map(Id))
        .bind(today)
        .fetch_one(&self.reader)
        .await?;
        Ok(n > 0)
    }
}

#[async_trait::async_trait]
impl crate::face::Orders for Store {
    /// Records an order with its audit entries, atomically.
    async fn insert(&self, o: &OrderRecord, audit: Vec<AccessEvent>) -> Result<Vec<AuditEntry>> {
        let mut tx = self.write().await?;
        insert_order_in(&mut tx, o).await?;
        let entries = super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// A contact's orders, newest first.
    async fn list(&self, contact: Uuid) -> Result<Vec<OrderRecord>> {
        let rows: Vec<OrderRow> = sqlx::query_as(
            "SELECT id, contact_id, ordered_at, currency, total_cents, lines FROM customer_order \
             WHERE contact_id = $1 ORDER BY ordered_at DESC, id",
        )
        .bind(Id(contact))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| OrderRecord {
                id: r.id.0,
                contact_id: r.contact_id.0,
                ordered_at: r.ordered_at.0,
                currency: r.currency,
                total_cents: r.total_cents,
                lines: r.lines.0,
            })
            .collect())
    }
}
