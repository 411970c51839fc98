-- Data subject requests (R1, R2, R7): what was asked, its status, deadline, identity
-- step and signed receipt; a request of a person no contact matched keeps what they
-- gave (`requester`, JSON) so that "we hold nothing on you" can be answered.
CREATE TABLE subject_request (
    id                    UUID PRIMARY KEY,
    subject_id            UUID REFERENCES contact (id) ON DELETE SET NULL,
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    status                TEXT NOT NULL,
    received_on           DATE NOT NULL,
    deadline              DATE NOT NULL,
    extension_months      BIGINT,
    extension_reason      TEXT,
    extended_at           TIMESTAMPTZ,
    requester             JSONB NOT NULL,
    details               TEXT NOT NULL,
    identity_method       TEXT,
    identity_by           TEXT,
    identity_at           TIMESTAMPTZ,
    refusal_reason        TEXT,
    refusal_note          TEXT,
    answer                TEXT,
    recorded_by           TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    closed_at             TIMESTAMPTZ,
    restriction_lifted_at TIMESTAMPTZ,
    receipt               TEXT NOT NULL,
    receipt_signature     TEXT NOT NULL
);
CREATE INDEX subject_request_subject ON subject_request (subject_id);
CREATE INDEX subject_request_due ON subject_request (status, deadline);

-- Each step of a request, kept with it (who, when, what).
CREATE TABLE request_event (
    request_id UUID NOT NULL REFERENCES subject_request (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    subject_id UUID,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     JSONB NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- Work to do later or elsewhere, enqueued in the transaction of the change that causes
-- it or scheduled at a time; claimed with a lease naming the node; done once.
CREATE TABLE job (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL,
    run_at      TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts    BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    last_error  TEXT,
    dedupe_key  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX job_due ON job (status, run_at);
CREATE UNIQUE INDEX job_dedupe_key ON job (dedupe_key);
