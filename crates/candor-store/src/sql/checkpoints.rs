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
                let ledger = ledger.to_owned();
                let subject = subject.0;
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
        Ok(out)
    }
}
