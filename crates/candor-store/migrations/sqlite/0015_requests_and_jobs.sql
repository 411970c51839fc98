-- Data subject requests (R1, R2, R7): what was asked, its status, deadline, identity
-- step and signed receipt; a request of a person no contact matched keeps what they
-- gave (`requester`, JSON) so that "we hold nothing on you" can be answered.
CREATE TABLE subject_request (
    id                    TEXT PRIMARY KEY,
    subject_id            TEXT REFERENCES contact (id) ON DELETE SET NULL,
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    status                TEXT NOT NULL,
    received_on           TEXT NOT NULL,
    deadline              TEXT NOT NULL,
    extension_months      INTEGER,
    extension_reason      TEXT,
    extended_at           TEXT,
    requester             TEXT NOT NULL,
    details               TEXT NOT NULL,
    identity_method       TEXT,
    identity_by           TEXT,
    identity_at           TEXT,
    refusal_reason        TEXT,
    refusal_note          TEXT,
    answer                TEXT,
    recorded_by           TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    closed_at             TEXT,
    restriction_lifted_at TEXT,
    receipt               TEXT NOT NULL,
    receipt_signature     TEXT NOT NULL
) STRICT;
CREATE INDEX subject_request_subject ON subject_request (subject_id);
CREATE INDEX subject_request_due ON subject_request (status, deadline);

-- Each step of a request, kept with it (who, when, what).
CREATE TABLE request_event (
    request_id TEXT NOT NULL REFERENCES subject_request (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    subject_id TEXT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
) STRICT;

-- Work to do later or elsewhere, enqueued in the transaction of the change that causes
-- it or scheduled at a time; claimed with a lease naming the node; done once.
CREATE TABLE job (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    run_at      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts    INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    last_error  TEXT,
    dedupe_key  TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
) STRICT;
CREATE INDEX job_due ON job (status, run_at);
CREATE UNIQUE INDEX job_dedupe_key ON job (dedupe_key);
