-- The global chain of signed checkpoints (S4, C2, E1): each checkpoint fixes the head
-- of every subject's chain (access audit, consent ledger) through a root hash over the
-- heads kept in `checkpoint_head`, follows the previous checkpoint, and is signed with
-- an Ed25519 key kept outside the database.

CREATE TABLE checkpoint (
    seq        BIGINT NOT NULL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    chains     BIGINT NOT NULL,
    root       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    signature  TEXT NOT NULL,
    public_key TEXT NOT NULL
);

-- The heads the newest checkpoint covers. A head only moves forward here: one that
-- went back or was rewritten keeps the value the checkpoint saw, as evidence.
CREATE TABLE checkpoint_head (
    ledger     TEXT NOT NULL CHECK (ledger IN ('audit', 'consent')),
    subject_id UUID NOT NULL,
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (ledger, subject_id)
);
