-- The consent ledger (C2): append-only events in per-subject hash chains, and the
-- current state per subject × purpose × channel, updated in the same transaction.

CREATE TABLE consent_event (
    subject_id UUID NOT NULL,
    seq        BIGINT NOT NULL,
    id         UUID NOT NULL,
    purpose    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    action     TEXT NOT NULL,
    pending    TEXT,
    source     TEXT NOT NULL,
    evidence   JSONB NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (subject_id, seq)
);

CREATE TABLE consent_head (
    subject_id UUID PRIMARY KEY,
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TABLE consent_state (
    subject_id          UUID NOT NULL,
    purpose             TEXT NOT NULL,
    channel             TEXT NOT NULL,
    status              TEXT NOT NULL,
    reason              TEXT,
    source              TEXT NOT NULL,
    since               TIMESTAMPTZ NOT NULL,
    first_opt_in_at     TIMESTAMPTZ,
    first_opt_in_source TEXT,
    PRIMARY KEY (subject_id, purpose, channel)
);
CREATE INDEX consent_state_audience_idx ON consent_state (purpose, channel, status, subject_id);
