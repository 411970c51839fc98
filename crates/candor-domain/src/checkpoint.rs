//! The global chain of checkpoints over every subject's chain heads (S4, C2, E1).
//!
//! A subject's chain (its access audit, its consent ledger) shows an altered, removed
//! or inserted entry, but whoever can write the database can rebuild a chain that is
//! consistent with itself, or remove it whole with its head. A checkpoint fixes, at a
//! moment, the head (seq and hash) of every chain: the heads are kept as they were then,
//! and a hash over all of them in order (the root) enters a global chain whose entries
//! are each signed with an Ed25519 key kept outside the database. A later check can
//! then name a chain that vanished, a head that went back, an entry rewritten before
//! the checkpoint, and a checkpoint removed or forged. What happened after the newest
//! checkpoint is covered by the chains alone: checkpoints are made periodically and at
//! shutdown to keep that window short.
//!
//! The hashing is here (pure); signing and storage are the application's and the
//! store's.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

/// The ledgers whose chains a checkpoint covers, as stored in `checkpoint_head.ledger`.
pub const LEDGERS: [&str; 2] = ["audit", "consent"];

/// The hash over the sorted heads: fed one head at a time, in (ledger, subject) order,
/// so a million chains need no more memory than one.
#[derive(Clone)]
pub struct Root {
    hasher: Sha256,
    chains: u64,
}

impl Default for Root {
    fn default() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"candor/checkpoint-root/v1\n");
        Self { hasher, chains: 0 }
    }
}

impl Root {
    pub fn push(&mut self, ledger: &str, subject: Uuid, seq: i64, hash: &str) {
        self.hasher
            .update(format!("{ledger}|{subject}|{seq}|{hash}\n").as_bytes());
        self.chains += 1;
    }

    /// The number of chains and the root, hex.
    pub fn finish(self) -> (u64, String) {
        (self.chains, hex::encode(self.hasher.finalize()))
    }
}

/// One entry of the global chain, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Position in the global chain, from 1.
    pub seq: i64,
    pub at: OffsetDateTime,
    /// How many subject chains the root covers.
    pub chains: i64,
    pub root: String,
    pub prev_hash: String,
    pub hash: String,
    /// Ed25519 signature of `hash` (its ASCII hex), hex.
    pub signature: String,
    /// The public key that signed it, hex.
    pub public_key: String,
}

impl Checkpoint {
    /// The hash of a checkpoint's content: what its signature covers.
    pub fn content_hash(
        seq: i64,
        at: OffsetDateTime,
        chains: i64,
        root: &str,
        prev: &str,
    ) -> String {
        let at = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        hex::encode(Sha256::digest(
            format!("candor/checkpoint/v1|{seq}|{at}|{chains}|{root}|{prev}").as_bytes(),
        ))
    }

    pub fn compute_hash(&self) -> String {
        Self::content_hash(self.seq, self.at, self.chains, &self.root, &self.prev_hash)
    }
}

/// What a check of the checkpoints found wrong, each naming what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointBreak {
    /// A checkpoint's content does not match its hash, or it does not follow the
    /// previous one (one was removed, inserted or edited).
    Chain { seq: i64 },
    /// A checkpoint's signature is not the key's: forged, or signed by another key.
    Signature { seq: i64 },
    /// The heads kept for the newest checkpoint no longer give its root: a kept head
    /// was edited, added or removed.
    Root { seq: i64 },
    /// A checkpoint the anchor file lists is missing from the database, or differs.
    Anchor { seq: i64 },
    /// An erasure record not signed by the checkpoint key: added or rewritten by
    /// someone without it.
    ErasureSignature { seq: i64 },
    /// The start of a person's access audit moved by retention is not signed by the
    /// checkpoint key: its oldest entries were removed by someone without it.
    AuditBaseSignature { subject: Uuid },
    /// A chain the newest checkpoint covered is gone, with its head.
    Vanished {
        ledger: String,
        subject: Uuid,
        seq: i64,
    },
    /// A chain is now shorter than when the checkpoint covered it: entries were removed
    /// and its head moved back.
    Rewound {
        ledger: String,
        subject: Uuid,
        checkpoint_seq: i64,
        now_seq: i64,
    },
    /// The entry at the checkpoint's head is not the one the checkpoint saw: the chain
    /// was rewritten consistently.
    Rewritten {
        ledger: String,
        subject: Uuid,
        seq: i64,
    },
}

/// Checks the global chain in order: links, hashes and signatures (`verify` checks a
/// signature of a hash under a public key, both hex).
pub fn verify_global(
    checkpoints: &[Checkpoint],
    public_key: &str,
    verify: impl Fn(&str, &str, &str) -> bool,
) -> Vec<CheckpointBreak> {
    let mut out = Vec::new();
    let mut prev = crate::chain::GENESIS.to_owned();
    for (i, c) in checkpoints.iter().enumerate() {
        let expected = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if c.seq != expected || c.prev_hash != prev || c.compute_hash() != c.hash {
            out.push(CheckpointBreak::Chain { seq: c.seq });
        } else if c.public_key != public_key || !verify(public_key, &c.hash, &c.signature) {
            out.push(CheckpointBreak::Signature { seq: c.seq });
        }
        prev = c.hash.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(seq: i64, prev: &str) -> Checkpoint {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000 + seq).unwrap();
        let hash = Checkpoint::content_hash(seq, at, 3, "root", prev);
        Checkpoint {
            seq,
            at,
            chains: 3,
            root: "root".into(),
            prev_hash: prev.into(),
            signature: format!("sig:{hash}"),
            hash,
            public_key: "pk".into(),
        }
    }

    fn chain(n: i64) -> Vec<Checkpoint> {
        let mut out: Vec<Checkpoint> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(crate::chain::GENESIS.to_owned(), |c| c.hash.clone());
            out.push(cp(seq, &prev));
        }
        out
    }

    fn check(c: &[Checkpoint]) -> Vec<CheckpointBreak> {
        verify_global(c, "pk", |_, hash, sig| sig == format!("sig:{hash}"))
    }

    #[test]
    fn the_root_depends_on_every_head_and_their_order() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let root = |heads: &[(&str, Uuid, i64, &str)]| {
            let mut r = Root::default();
            for (l, s, q, h) in heads {
                r.push(l, *s, *q, h);
            }
            r.finish()
        };
        let base = root(&[("audit", a, 2, "x"), ("audit", b, 1, "y")]);
        assert_eq!(base.0, 2);
        assert_ne!(base, root(&[("audit", a, 1, "x"), ("audit", b, 1, "y")]));
        assert_ne!(base, root(&[("audit", a, 2, "x")]));
        assert_ne!(base, root(&[("audit", b, 1, "y"), ("audit", a, 2, "x")]));
        assert_ne!(base, root(&[("consent", a, 2, "x"), ("audit", b, 1, "y")]));
    }

    #[test]
    fn the_global_chain_names_an_edit_a_removal_and_a_forgery() {
        assert!(check(&chain(3)).is_empty());
        let mut edited = chain(3);
        edited[1].chains = 2;
        assert_eq!(check(&edited), [CheckpointBreak::Chain { seq: 2 }]);
        let mut removed = chain(3);
        removed.remove(1);
        assert_eq!(
            check(&removed),
            [CheckpointBreak::Chain { seq: 3 }],
            "the third no longer follows the first"
        );
        let mut forged = chain(3);
        forged[2].signature = "sig:other".into();
        assert_eq!(check(&forged), [CheckpointBreak::Signature { seq: 3 }]);
        let mut other_key = chain(2);
        other_key[0].public_key = "another".into();
        assert_eq!(check(&other_key), [CheckpointBreak::Signature { seq: 1 }]);
    }
}
