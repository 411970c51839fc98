-- Erasure (E1, E2): the record that a subject was erased, without personal data (what
-- went, per table; who; why), holding the heads of the subject's audit and consent
-- chains as they were when the chains were dropped (`sealed`). The records form one
-- chain of their own (`seq`, `prev_hash`, `hash`) whose head the next checkpoint keeps,
-- so an erasure enters the global chain of signed checkpoints.
CREATE TABLE erasure (
    id         TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    subject_id TEXT NOT NULL,
    erased_at  TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    counts     TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    -- Outbox messages whose .eml copies are still to delete after the commit.
    files      TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    -- The record's hash signed with the checkpoint key (as checkpoints are): a record
    -- added or rewritten by someone without the key shows.
    signature  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX erasure_seq ON erasure (seq);
CREATE UNIQUE INDEX erasure_subject ON erasure (subject_id);

-- What a legal obligation keeps of an erased person's records (E3), pointing to no
-- one: an order's date, amounts, lines, currency and country; a contract's reference,
-- status and dates. Kept until `held_until`, then retention deletes it.
CREATE TABLE held_record (
    id         TEXT PRIMARY KEY,
    erasure_id TEXT NOT NULL REFERENCES erasure (id),
    kind       TEXT NOT NULL CHECK (kind IN ('order', 'contract')),
    at         TEXT NOT NULL,
    held_until TEXT NOT NULL,
    reason     TEXT NOT NULL,
    data       TEXT NOT NULL
) STRICT;
CREATE INDEX held_record_until ON held_record (held_until);

-- The suppression list (E2): keyed hashes (HMAC) of an erased person's normalised email
-- and E.164 phone, never the values, so that the person is not added again unnoticed.
CREATE TABLE suppression (
    hash       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    erasure_id TEXT NOT NULL REFERENCES erasure (id),
    created_at TEXT NOT NULL
) STRICT;

-- The checkpoints keep the erasure records' chain head too (ledger `erasure`, subject
-- the nil id). SQLite changes a CHECK by rebuilding the table.
CREATE TABLE checkpoint_head_new (
    ledger     TEXT NOT NULL CHECK (ledger IN ('audit', 'consent', 'erasure')),
    subject_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (ledger, subject_id)
) STRICT;
INSERT INTO checkpoint_head_new (ledger, subject_id, seq, hash)
    SELECT ledger, subject_id, seq, hash FROM checkpoint_head;
DROP TABLE checkpoint_head;
ALTER TABLE checkpoint_head_new RENAME TO checkpoint_head;

-- A message sent to a person after their erasure (the answer to their erasure
-- request): its row goes once the server has accepted it, address and all.
ALTER TABLE outbox ADD COLUMN forget_after_send INTEGER NOT NULL DEFAULT 0;

-- An admin's override of the suppression list (E2): the person came back of their own
-- accord. The hash leaves the list; what stays is that it was lifted, by whom, why.
CREATE TABLE suppression_lift (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    erasure_id TEXT NOT NULL REFERENCES erasure (id),
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    lifted_at  TEXT NOT NULL
) STRICT;

-- The yearly transparency message (E5): when the person was last told what is held on
-- them and why, so that it goes once a year and never twice.
ALTER TABLE contact ADD COLUMN transparency_at TEXT;
