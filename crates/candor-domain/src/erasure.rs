//! Erasure (SPEC E1–E3): the record that a person was erased, which holds no personal
//! data, and the legal holds that keep some of their records, pointing to no one.
//!
//! The records form one hash chain (subject: the nil id) whose head the checkpoints
//! keep like any chain's, so an erasure enters the global chain of signed checkpoints.
//! Each record holds the heads the person's audit and consent chains had when they
//! were dropped (`sealed`): a checkpoint that kept one of those heads is answered by
//! the record instead of by the chain.

use crate::chain::Chained;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// What erasure did to one table's rows of the person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    /// Rows deleted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deleted: u64,
    /// Rows kept, emptied of what identified the person (requests kept as proof).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minimised: u64,
    /// Rows moved to the legal holds, pointing to no one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: u64,
    /// Chain heads kept by the checkpoints (no personal content: a sequence number
    /// and a hash).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sealed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A chain's head as it was when the chain was dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedHead {
    /// `audit` or `consent`.
    pub ledger: String,
    pub seq: i64,
    pub hash: String,
}

/// Why a person was erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Answering their erasure request (Art. 17).
    Request(Uuid),
    /// A retention policy whose period ran out (Art. 5(1)(e)).
    Policy(String),
    /// A dpo or admin acting without a request (a contact deleted).
    Staff,
}

impl Why {
    pub fn as_text(&self) -> String {
        match self {
            Why::Request(id) => format!("request:{id}"),
            Why::Policy(name) => format!("policy:{name}"),
            Why::Staff => "staff".to_owned(),
        }
    }
}

/// The record of one erasure: what went, per table; who; why; never a personal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub id: Uuid,
    pub seq: i64,
    /// The erased person's id, which no longer names anyone.
    pub subject_id: Uuid,
    pub erased_at: OffsetDateTime,
    pub actor: String,
    pub reason: String,
    pub counts: BTreeMap<String, TableCount>,
    pub sealed: Vec<SealedHead>,
    pub prev_hash: String,
    pub hash: String,
    /// `hash` signed with the installation's checkpoint key.
    pub signature: String,
}

impl Erasure {
    /// The record's canonical content: what its hash covers.
    fn content(&self) -> String {
        serde_json::json!({
            "id": self.id,
            "seq": self.seq,
            "subject_id": self.subject_id,
            "erased_at": crate::contact::rfc3339(self.erased_at),
            "actor": self.actor,
            "reason": self.reason,
            "counts": self.counts,
            "sealed": self.sealed,
            "prev_hash": self.prev_hash,
        })
        .to_string()
    }

    /// Sets the record's place in the chain after `prev` (seq, hash), and its hash.
    pub fn chain(mut self, prev: Option<(i64, String)>) -> Self {
        let (seq, prev_hash) = prev.unwrap_or((0, crate::chain::GENESIS.to_owned()));
        self.seq = seq + 1;
        self.prev_hash = prev_hash;
        self.hash = self.compute_hash();
        self
    }

    /// Whether this record answers for a kept head: the chain was dropped at or after
    /// the entry the checkpoint saw (at it: the same hash).
    pub fn seals(&self, ledger: &str, seq: i64, hash: &str) -> bool {
        self.sealed
            .iter()
            .any(|h| h.ledger == ledger && (h.seq > seq || (h.seq == seq && h.hash == hash)))
    }
}

impl Chained for Erasure {
    fn id(&self) -> Uuid {
        self.id
    }
    fn subject(&self) -> Uuid {
        Uuid::nil()
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.content().as_bytes()))
    }
}

/// What a legal obligation keeps of an erased person's records (E3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldKind {
    /// Orders and invoices: accounting records, 10 years (Code de commerce L123-22).
    Order,
    /// Contracts: the limitation period after their end, 5 years (Code civil 2224).
    Contract,
}

impl HoldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldKind::Order => "order",
            HoldKind::Contract => "contract",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "order" => Some(HoldKind::Order),
            "contract" => Some(HoldKind::Contract),
            _ => None,
        }
    }
}

/// How long each kind of record is held, and on what ground.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRules {
    pub order_years: u8,
    pub order_ground: String,
    pub contract_years: u8,
    pub contract_ground: String,
}

impl Default for HoldRules {
    fn default() -> Self {
        Self {
            order_years: 10,
            order_ground: "Code de commerce L123-22".to_owned(),
            contract_years: 5,
            contract_ground: "Code civil 2224".to_owned(),
        }
    }
}

impl HoldRules {
    /// When an order placed on `ordered` stops being held.
    pub fn order_until(&self, ordered: Date) -> Date {
        Self::until(ordered, self.order_years)
    }

    /// When a contract stops being held: the period runs from its end, or from
    /// `today` for one that has not ended (it ends with the erasure).
    pub fn contract_until(&self, starts_on: Date, ends_on: Option<Date>, today: Date) -> Date {
        let end = ends_on.unwrap_or(today).min(today.max(starts_on));
        Self::until(end, self.contract_years)
    }

    /// When a record's hold ends: `years` after `from` (29 February → 28 February).
    pub fn until(from: Date, years: u8) -> Date {
        let year = from.year() + i32::from(years);
        from.replace_year(year).unwrap_or_else(|_| {
            Date::from_calendar_date(year, time::Month::February, 28).unwrap_or(from)
        })
    }
}

/// A record kept under a legal hold: no person named, the hold's end and ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub id: Uuid,
    pub kind: HoldKind,
    pub at: OffsetDateTime,
    pub held_until: Date,
    pub reason: String,
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::verify_chain;
    use time::macros::{date, datetime};

    fn record(subject: Uuid) -> Erasure {
        Erasure {
            id: Uuid::now_v7(),
            seq: 0,
            subject_id: subject,
            erased_at: datetime!(2026-12-07 10:00 UTC),
            actor: "user:x".into(),
            reason: Why::Staff.as_text(),
            counts: [(
                "activity".to_owned(),
                TableCount {
                    deleted: 3,
                    ..TableCount::default()
                },
            )]
            .into(),
            sealed: vec![SealedHead {
                ledger: "audit".into(),
                seq: 4,
                hash: "ab".into(),
            }],
            prev_hash: String::new(),
            hash: String::new(),
            signature: String::new(),
        }
    }

    #[test]
    fn erasure_records_chain_and_a_changed_count_shows() {
        let a = record(Uuid::now_v7()).chain(None);
        let b = record(Uuid::now_v7()).chain(Some((a.seq, a.hash.clone())));
        assert_eq!((a.seq, b.seq), (1, 2));
        let head = (b.seq, b.hash.as_str());
        assert!(verify_chain(&[a.clone(), b.clone()], Some(head)).is_ok());
        let mut changed = a.clone();
        changed.counts.get_mut("activity").unwrap().deleted = 2;
        assert!(verify_chain(&[changed, b.clone()], Some(head)).is_err());
        assert!(
            verify_chain(std::slice::from_ref(&b), Some(head)).is_err(),
            "one removed"
        );
    }

    #[test]
    fn a_record_answers_only_for_heads_at_or_below_what_it_sealed() {
        let r = record(Uuid::now_v7());
        assert!(r.seals("audit", 4, "ab"));
        assert!(r.seals("audit", 3, "anything"));
        assert!(!r.seals("audit", 4, "cd"), "the same entry, another hash");
        assert!(!r.seals("audit", 5, "ab"), "a head beyond what was sealed");
        assert!(!r.seals("consent", 1, "ab"), "another ledger");
    }

    #[test]
    fn holds_end_years_later_on_a_real_day() {
        assert_eq!(
            HoldRules::until(date!(2024 - 02 - 29), 10),
            date!(2034 - 02 - 28)
        );
        assert_eq!(
            HoldRules::until(date!(2026 - 12 - 07), 5),
            date!(2031 - 12 - 07)
        );
    }
}
