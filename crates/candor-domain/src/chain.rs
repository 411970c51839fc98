//! Per-subject hash chains, shared by the access audit (S4) and the consent ledger
//! (C2): each entry holds the hash of its subject's previous entry, so an altered,
//! removed, inserted or reordered entry shows.

use uuid::Uuid;

/// The `prev_hash` of a subject's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry of a per-subject chain.
pub trait Chained {
    fn id(&self) -> Uuid;
    fn subject(&self) -> Uuid;
    fn seq(&self) -> i64;
    fn prev_hash(&self) -> &str;
    fn hash(&self) -> &str;
    /// The hash the entry's content gives now.
    fn compute_hash(&self) -> String;
}

/// Why a chain does not verify, naming the first entry that breaks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The entry's content no longer matches its hash (it was altered).
    Altered { id: Uuid, seq: i64 },
    /// The entry does not point at the previous one (one was removed or inserted).
    Unlinked { id: Uuid, seq: i64 },
    /// The chain ends before its recorded head (its last entries were removed).
    Truncated { last_seq: i64, head_seq: i64 },
}

/// Verifies one subject's entries, in `seq` order, against the recorded head.
pub fn verify_chain<E: Chained>(
    entries: &[E],
    head: Option<(i64, &str)>,
) -> Result<(), ChainBreak> {
    verify_chain_from(entries, (0, GENESIS), head)
}

/// Verifies a chain whose entries up to `base` (a position and its hash) were removed
/// by retention: the first entry left follows `base`. `(0, GENESIS)` is the whole
/// chain.
pub fn verify_chain_from<E: Chained>(
    entries: &[E],
    base: (i64, &str),
    head: Option<(i64, &str)>,
) -> Result<(), ChainBreak> {
    let mut prev = base.1.to_owned();
    let mut expected_seq = base.0 + 1;
    for e in entries {
        if e.seq() != expected_seq || e.prev_hash() != prev {
            return Err(ChainBreak::Unlinked {
                id: e.id(),
                seq: e.seq(),
            });
        }
        if e.compute_hash() != e.hash() {
            return Err(ChainBreak::Altered {
                id: e.id(),
                seq: e.seq(),
            });
        }
        prev = e.hash().to_owned();
        expected_seq += 1;
    }
    let last_seq = expected_seq - 1;
    match head {
        Some((head_seq, head_hash)) if head_seq != last_seq || head_hash != prev => {
            Err(ChainBreak::Truncated { last_seq, head_seq })
        }
        _ => Ok(()),
    }
}
