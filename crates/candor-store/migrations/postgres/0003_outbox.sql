-- Outgoing email (O5): each message is queued in the transaction of the change that
-- causes it, then delivered by a worker (to the local outbox by default). The
-- Message-ID is fixed when the message is queued, so a retry is the same message.
-- Confirmation tokens (C7): only their SHA-256 is kept; single use; they expire.

CREATE TABLE outbox (
    id            UUID PRIMARY KEY,
    subject_id    UUID,
    message_id    TEXT NOT NULL,
    category      TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    locale        TEXT NOT NULL,
    mail_subject  TEXT NOT NULL,
    body_text     TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    next_attempt  TIMESTAMPTZ NOT NULL,
    last_error    TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    sent_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX outbox_message_key ON outbox (message_id);
CREATE INDEX outbox_queue_idx ON outbox (status, next_attempt);
CREATE INDEX outbox_subject_idx ON outbox (subject_id);

CREATE TABLE consent_token (
    token_hash TEXT PRIMARY KEY,
    -- confirm: a pending grant's double opt-in; request: a consent request (C4), whose
    -- purpose is '*' as the person answers for every purpose at once.
    kind       TEXT NOT NULL,
    subject_id UUID NOT NULL,
    purpose    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX consent_token_subject_idx ON consent_token (subject_id);
