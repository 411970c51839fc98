-- The consent ledger (C2): append-only events in per-subject hash chains, and the
-- current state per subject × purpose × channel, updated in the same transaction.

CREATE TABLE consent_event (
    subject_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    id         TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    action     TEXT NOT NULL,
    pending    TEXT,
    source     TEXT NOT NULL,
    evidence   TEXT NOT NULL,
    at         TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (subject_id, seq)
);

CREATE TABLE consent_head (
    subject_id TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TABLE consent_state (
    subject_id          TEXT NOT NULL,
    purpose             TEXT NOT NULL,
    channel             TEXT NOT NULL,
    status              TEXT NOT NULL,
    reason              TEXT,
    source              TEXT NOT NULL,
    since               TEXT NOT NULL,
    first_opt_in_at     TEXT,
    first_opt_in_source TEXT,
    PRIMARY KEY (subject_id, purpose, channel)
);
CREATE INDEX consent_state_audience_idx ON consent_state (purpose, channel, status, subject_id);
