//! The global chain of signed checkpoints over every subject chain's head (see
//! `candor_domain::checkpoint` for the design).

use super::Store;
use crate::error::{Result, StoreError};
use crate::types::{Id, Ts};
use candor_domain::chain::GENESIS;
use candor_domain::checkpoint::{Checkpoint, CheckpointBreak, Root};
use time::OffsetDateTime;

/// Each ledger: its name in `checkpoint_head`, its entries, its heads.
const LEDGERS: [(&str, &str, &str); 2] = [
    ("audit", "audit_entry", "audit_head"),
    ("consent", "consent_event", "consent_head"),
];

type Row = (i64, Ts, i64, String, String, String, String, String);

fn checkpoint((seq, at, chains, root, prev_hash, hash, signature, public_key): Row) -> Checkpoint {
    Checkpoint {
        seq,
        at: at.0,
        chains,
        root,
        prev_hash,
        hash,
        signature,
        public_key,
    }
}

const COLUMNS: &str = "seq, at, chains, root, prev_hash, hash, signature, public_key";

/// The root over the kept heads, read in (ledger, subject) order on `conn`.
async fn root_on<'e, E>(conn: E) -> Result<(u64, String)>
where
    E: sqlx::Executor<'e, Database = super::Db>,
{
    use futures_util::TryStreamExt;
    let mut root = Root::default();
    let mut rows = sqlx::query_as::<_, (String, Id, i64, String)>(
        "SELECT ledger, subject_id, seq, hash FROM checkpoint_head ORDER BY ledger, subject_id",
    )
    .fetch(conn);
    while let Some((ledger, subject, seq, hash)) = rows.try_next().await? {
        root.push(&ledger, subject.0, seq, &hash);
    }
    Ok(root.finish())
}

#[async_trait::async_trait]
impl crate::face::Checkpoints for Store {
    async fn checkpoint(
        &self,
        at: OffsetDateTime,
        public_key: &str,
        sign: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
    ) -> Result<Option<Checkpoint>> {
        let mut tx = self.write().await?;
        for (ledger, entries, heads) in LEDGERS {
            // A kept head moves forward only when the chain still holds the entry the
            // kept head names: a head that went back, or a chain rewritten below it,
            // leaves the kept head as the checkpoint saw it, for `verify` to name.
            sqlx::query(&format!(
                "INSERT INTO checkpoint_head (ledger, subject_id, seq, hash) \
                 SELECT $1, h.subject_id, h.seq, h.hash FROM {heads} h WHERE h.seq > 0 \
                 ON CONFLICT (ledger, subject_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash \
                 WHERE excluded.seq > checkpoint_head.seq AND EXISTS (SELECT 1 FROM {entries} e \
                   WHERE e.subject_id = checkpoint_head.subject_id AND e.seq = checkpoint_head.seq \
                   AND e.hash = checkpoint_head.hash)"
            ))
            .bind(ledger)
            .execute(&mut *tx)
            .await?;
        }
        // The chain of erasure records is kept like a subject's (subject: nil), so each
        // erasure enters the global chain with the next checkpoint.
        sqlx::query(
            "INSERT INTO checkpoint_head (ledger, subject_id, seq, hash) \
             SELECT 'erasure', $1, z.seq, z.hash FROM erasure z \
             WHERE z.seq = (SELECT MAX(seq) FROM erasure) \
             ON CONFLICT (ledger, subject_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash \
             WHERE excluded.seq > checkpoint_head.seq AND EXISTS (SELECT 1 FROM erasure e \
               WHERE e.seq = checkpoint_head.seq AND e.hash = checkpoint_head.hash)",
        )
        .bind(Id(uuid::Uuid::nil()))
        .execute(&mut *tx)
        .await?;
        let (chains, root) = root_on(&mut *tx).await?;
        let chains =
            i64::try_from(chains).map_err(|_| StoreError::Corrupt("chain count".into()))?;
        let latest: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM checkpoint ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&mut *tx)
        .await?;
        let latest = latest.map(checkpoint);
        if latest
            .as_ref()
            .is_some_and(|l| l.root == root && l.chains == chains)
        {
            tx.rollback().await?;
            return Ok(None);
        }
        let seq = latest.as_ref().map_or(1, |l| l.seq + 1);
        let prev_hash = latest.map_or(GENESIS.to_owned(), |l| l.hash);
        let hash = Checkpoint::content_hash(seq, at, chains, &root, &prev_hash);
        let c = Checkpoint {
            seq,
            at,
            chains,
            root,
            prev_hash,
            signature: sign(&hash),
            hash,
            public_key: public_key.to_owned(),
        };
        sqlx::query(&format!(
            "INSERT INTO checkpoint ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(c.seq)
        .bind(Ts(c.at))
        .bind(c.chains)
        .bind(&c.root)
        .bind(&c.prev_hash)
        .bind(&c.hash)
        .bind(&c.signature)
        .bind(&c.public_key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(c))
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM checkpoint ORDER BY seq"))
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().map(checkpoint).collect())
    }

    async fn kept_root(&self) -> Result<(u64, String)> {
        root_on(&self.reader).await
    }

    async fn kept_heads_broken(&self) -> Result<Vec<CheckpointBreak>> {
        let mut out = Vec::new();
        for (ledger, entries, heads) in LEDGERS {
            let rows: Vec<(Id, i64, String, Option<i64>, Option<String>, Option<i64>)> =
                sqlx::query_as(&format!(
                    "SELECT k.subject_id, k.seq, k.hash, h.seq, e.hash, \
                     (SELECT MAX(x.seq) FROM {entries} x WHERE x.subject_id = k.subject_id) \
                     FROM checkpoint_head k \
                     LEFT JOIN {heads} h ON h.subject_id = k.subject_id \
                     LEFT JOIN {entries} e ON e.subject_id = k.subject_id AND e.seq = k.seq \
                     WHERE k.ledger = $1 AND (e.hash IS NULL OR e.hash <> k.hash \
                       OR h.seq IS NULL OR h.seq < k.seq) \
                     ORDER BY k.subject_id"
                ))
                .bind(ledger)
                .fetch_all(&self.reader)
                .await?;
            for (subject, seq, kept, head_seq, entry_hash, last) in rows {
                let subject = subject.0;
                // An erased person's chain is gone by design: its record holds the head
                // the chain had when it was dropped, and answers for the kept one.
                let erased: Option<(String,)> =
                    sqlx::query_as("SELECT sealed FROM erasure WHERE subject_id = $1")
                        .bind(Id(subject))
                        .fetch_optional(&self.reader)
                        .await?;
                let alive: Option<Id> = sqlx::query_scalar("SELECT id FROM contact WHERE id = $1")
                    .bind(Id(subject))
                    .fetch_optional(&self.reader)
                    .await?;
                if let (Some((sealed,)), None) = (erased, alive) {
                    let sealed: Vec<candor_domain::erasure::SealedHead> =
                        serde_json::from_str(&sealed)
                            .map_err(|e| StoreError::Corrupt(format!("erasure record: {e}")))?;
                    if sealed.iter().any(|h| {
                        h.ledger == ledger && (h.seq > seq || (h.seq == seq && h.hash == kept))
                    }) {
                        continue;
                    }
                }
                // Retention removed the oldest entries of an access audit: its signed
                // start answers for a kept head at or before it (the signature is
                // checked with the key, by the application).
                if ledger == "audit" {
                    let base: Option<(i64, Option<String>)> = sqlx::query_as(
                        "SELECT base_seq, base_hash FROM audit_head WHERE subject_id = $1",
                    )
                    .bind(Id(subject))
                    .fetch_optional(&self.reader)
                    .await?;
                    if let Some((base_seq, base_hash)) = base {
                        if seq < base_seq
                            || (seq == base_seq && base_hash.as_deref() == Some(kept.as_str()))
                        {
                            continue;
                        }
                    }
                }
                let ledger = ledger.to_owned();
                out.push(match (head_seq, entry_hash, last) {
                    (None, None, None) => CheckpointBreak::Vanished {
                        ledger,
                        subject,
                        seq,
                    },
                    (_, Some(h), _) if h != kept && head_seq.is_some_and(|n| n >= seq) => {
                        CheckpointBreak::Rewritten {
                            ledger,
                            subject,
                            seq,
                        }
                    }
                    (now, _, last) => CheckpointBreak::Rewound {
                        ledger,
                        subject,
                        checkpoint_seq: seq,
                        now_seq: match now {
                            Some(n) => n.min(last.unwrap_or(0)),
                            None => last.unwrap_or(0),
                        },
                    },
                });
            }
        }
        // The erasure records' own chain: the kept head must still be a record.
        let kept: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM checkpoint_head WHERE ledger = 'erasure' AND subject_id = $1",
        )
        .bind(Id(uuid::Uuid::nil()))
        .fetch_optional(&self.reader)
        .await?;
        if let Some((seq, hash)) = kept {
            let at: Option<String> = sqlx::query_scalar("SELECT hash FROM erasure WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&self.reader)
                .await?;
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM erasure")
                .fetch_one(&self.reader)
                .await?;
            let ledger = "erasure".to_owned();
            let subject = uuid::Uuid::nil();
            match at {
                Some(h) if h == hash => {}
                Some(_) => out.push(CheckpointBreak::Rewritten {
                    ledger,
                    subject,
                    seq,
                }),
                None if last.is_none() => out.push(CheckpointBreak::Vanished {
                    ledger,
                    subject,
                    seq,
                }),
                None => out.push(CheckpointBreak::Rewound {
                    ledger,
                    subject,
                    checkpoint_seq: seq,
                    now_seq: last.unwrap_or(0),
                }),
            }
        }
        Ok(out)
    }
}
