//! The access audit (SPEC S4): who read or changed whose personal data, which fields,
//! when, through what. Entries form a hash chain per subject: each holds the hash of
//! the subject's previous entry, so a changed, removed or reordered entry shows.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

pub use crate::chain::{verify_chain, ChainBreak, Chained, GENESIS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Create,
    Read,
    List,
    Update,
    Delete,
    /// Written to a file outside Candor (CSV export).
    Export,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::List => "list",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Export => "export",
        }
    }

    pub const ALL: [Self; 6] = [
        Self::Create,
        Self::Read,
        Self::List,
        Self::Update,
        Self::Delete,
        Self::Export,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// An access to record: the chain position and hash are given by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEvent {
    pub subject_id: Uuid,
    /// `token:<id>` or `user:<id>`: never a name or an email.
    pub actor: String,
    pub action: AuditAction,
    pub fields: Vec<String>,
    /// The route, as a template (`GET /api/v1/contacts/{id}`), never a raw URL.
    pub endpoint: String,
    pub at: OffsetDateTime,
}

/// An entry as stored: the event, its place in the subject's chain, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub seq: i64,
    pub actor: String,
    pub action: AuditAction,
    pub fields: Vec<String>,
    pub endpoint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Chains `event` after an entry whose hash is `prev_hash` at position `seq - 1`.
    pub fn chain(id: Uuid, event: AccessEvent, seq: i64, prev_hash: String) -> Self {
        let mut e = AuditEntry {
            id,
            subject_id: event.subject_id,
            seq,
            actor: event.actor,
            action: event.action,
            fields: event.fields,
            endpoint: event.endpoint,
            at: crate::clock::to_micros(event.at),
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// SHA-256 over an unambiguous encoding (a JSON array) of every stored column.
    pub fn compute_hash(&self) -> String {
        let canonical = serde_json::json!([
            "candor-audit-v1",
            self.id,
            self.subject_id,
            self.seq,
            self.actor,
            self.action.as_str(),
            self.fields,
            self.endpoint,
            self.at.unix_timestamp_nanos().to_string(),
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

impl Chained for AuditEntry {
    fn id(&self) -> Uuid {
        self.id
    }
    fn subject(&self) -> Uuid {
        self.subject_id
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
        AuditEntry::compute_hash(self)
    }
}

/// What the checkpoint key signs when retention removes the oldest entries of a
/// person's access audit (E4): the subject, and the position and hash of the last
/// entry removed, from which the chain left goes on. Without the key, no one can
/// remove entries and move the start of a chain to hide it.
pub fn base_digest(subject: Uuid, seq: i64, hash: &str) -> String {
    hex::encode(Sha256::digest(
        format!("candor audit base\n{subject}\n{seq}\n{hash}").as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let subject = Uuid::now_v7();
        let mut prev = GENESIS.to_owned();
        (1..=n as i64)
            .map(|seq| {
                let ev = AccessEvent {
                    subject_id: subject,
                    actor: "token:1".into(),
                    action: AuditAction::Read,
                    fields: vec!["email".into(), "phone".into()],
                    endpoint: "GET /api/v1/contacts/{id}".into(),
                    at: time::macros::datetime!(2026-03-01 10:00 UTC),
                };
                let e = AuditEntry::chain(Uuid::now_v7(), ev, seq, prev.clone());
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn head(c: &[AuditEntry]) -> Option<(i64, &str)> {
        c.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn every_action_reads_back_from_its_name() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("peek"), None);
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(4);
        assert_eq!(verify_chain(&c, head(&c)), Ok(()));
    }

    #[test]
    fn an_altered_entry_is_named() {
        let mut c = chain(4);
        let h = (c[3].seq, c[3].hash.clone());
        c[2].fields = vec!["email".into()];
        let id = c[2].id;
        assert_eq!(
            verify_chain(&c, Some((h.0, &h.1))),
            Err(ChainBreak::Altered { id, seq: 3 })
        );
    }

    #[test]
    fn a_removed_entry_breaks_the_link() {
        let mut c = chain(4);
        let h = (c[3].seq, c[3].hash.clone());
        c.remove(1);
        let id = c[1].id;
        assert_eq!(
            verify_chain(&c, Some((h.0, &h.1))),
            Err(ChainBreak::Unlinked { id, seq: 3 })
        );
    }

    #[test]
    fn removing_the_last_entries_shows_against_the_head() {
        let mut c = chain(4);
        let h = (c[3].seq, c[3].hash.clone());
        c.truncate(2);
        assert_eq!(
            verify_chain(&c, Some((h.0, &h.1))),
            Err(ChainBreak::Truncated {
                last_seq: 2,
                head_seq: 4
            })
        );
    }
}
