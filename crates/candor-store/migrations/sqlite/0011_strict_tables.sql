-- Every table STRICT (SQLite 3.37+): a value of the wrong type for its column is refused
-- instead of stored as it came. The bind that matters most: a raw UUID, which SQLx
-- sends to SQLite as a 16-byte BLOB, is refused by an id column, where only the `Id`
-- type's text form may go.
--
-- SQLite cannot make a table STRICT in place: each table is built again under a new
-- name and its rows copied. SQLx runs a SQLite migration inside a transaction, where
-- foreign keys cannot be turned off, and dropping a parent table first deletes its
-- rows, which would cascade to any table that references it. So the new tables
-- reference each other's new names, the rows are copied parents first (each row is
-- checked against its new parent as it goes in), the old tables are dropped children
-- first (by then only old tables reference them, and those are gone), and the new
-- names are then renamed to the old ones, which renames the references with them.

-- 1. The new tables, referencing each other.
CREATE TABLE company_strict (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    siret        TEXT,
    country      TEXT NOT NULL,
    address_line TEXT,
    postal_code  TEXT,
    city         TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE TABLE contact_strict (
    id                       TEXT PRIMARY KEY,
    kind                     TEXT NOT NULL CHECK (kind IN ('b2b', 'b2c')),
    company_id               TEXT REFERENCES company_strict (id),
    first_name               TEXT,
    last_name                TEXT NOT NULL,
    email                    TEXT,
    -- Keyed hash of the normalised email (blind index): lookups never use the clear value.
    email_hash               TEXT,
    phone                    TEXT,
    locale                   TEXT NOT NULL,
    address_line             TEXT,
    postal_code              TEXT,
    city                     TEXT,
    country                  TEXT,
    notes                    TEXT,
    custom                   TEXT NOT NULL DEFAULT '{}',
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL,
    newsletter_subscribed_at TEXT,
    newsletter_open_rate     REAL
) STRICT;

CREATE TABLE customer_order_strict (
    id          TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contact_strict (id) ON DELETE CASCADE,
    ordered_at  TEXT NOT NULL,
    currency    TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    lines       TEXT NOT NULL,
    PRIMARY KEY (contact_id, id)
) STRICT;

CREATE TABLE activity_strict (
    id         TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contact_strict (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    detail     TEXT NOT NULL,
    PRIMARY KEY (contact_id, id)
) STRICT;

CREATE TABLE api_token_strict (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    -- SHA-256 of the secret: the secret itself is shown once and never stored.
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

CREATE TABLE custom_field_strict (
    entity     TEXT NOT NULL,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (entity, name)
) STRICT;

CREATE TABLE audit_entry_strict (
    id         TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    fields     TEXT NOT NULL,
    endpoint   TEXT NOT NULL,
    at         TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    -- The chain's position is the key, led by the subject: the distribution key.
    PRIMARY KEY (subject_id, seq)
) STRICT;

CREATE TABLE audit_head_strict (
    subject_id TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

CREATE TABLE consent_event_strict (
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
) STRICT;

CREATE TABLE consent_head_strict (
    subject_id TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

CREATE TABLE consent_state_strict (
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
) STRICT;

CREATE TABLE outbox_strict (
    id            TEXT PRIMARY KEY,
    subject_id    TEXT,
    message_id    TEXT NOT NULL,
    category      TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    locale        TEXT NOT NULL,
    mail_subject  TEXT NOT NULL,
    body_text     TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    next_attempt  TEXT NOT NULL,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT
, list_unsubscribe TEXT) STRICT;

CREATE TABLE consent_token_strict (
    token_hash TEXT PRIMARY KEY,
    -- confirm: a pending grant's double opt-in; request: a consent request (C4), whose
    -- purpose is '*' as the person answers for every purpose at once.
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;

CREATE TABLE import_job_strict (
    id          TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    options     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    finished_at TEXT,
    next_record INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    merged      INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    consents    INTEGER NOT NULL,
    requests    INTEGER NOT NULL
, grants INTEGER NOT NULL DEFAULT 0, confirmations INTEGER NOT NULL DEFAULT 0, withdrawals INTEGER NOT NULL DEFAULT 0, names_split INTEGER NOT NULL DEFAULT 0, undeliverable INTEGER NOT NULL DEFAULT 0) STRICT;

CREATE TABLE import_reject_strict (
    job_id  TEXT NOT NULL,
    line    INTEGER NOT NULL,
    field   TEXT NOT NULL,
    rule    TEXT NOT NULL,
    message TEXT NOT NULL,
    record  TEXT NOT NULL,
    PRIMARY KEY (job_id, line, field)
) STRICT;

CREATE TABLE contract_strict (
    id         TEXT PRIMARY KEY,
    contact_id TEXT REFERENCES contact_strict (id) ON DELETE CASCADE,
    company_id TEXT REFERENCES company_strict (id),
    reference  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'ended', 'cancelled')),
    starts_on  TEXT NOT NULL,
    ends_on    TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((contact_id IS NULL) <> (company_id IS NULL))
) STRICT;

CREATE TABLE segment_strict (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    conditions TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE campaign_strict (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    category   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    segment_id TEXT NOT NULL REFERENCES segment_strict (id),
    content    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('draft', 'sent')),
    report     TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
) STRICT;

CREATE TABLE campaign_recipient_strict (
    subject_id  TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaign_strict (id),
    outbox_id   TEXT NOT NULL,
    queued_at   TEXT NOT NULL,
    PRIMARY KEY (subject_id, campaign_id)
) STRICT;

CREATE TABLE staff_user_strict (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
) STRICT;

CREATE TABLE staff_session_strict (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

-- 2. The rows, parents first.
INSERT INTO company_strict SELECT * FROM company;
INSERT INTO contact_strict SELECT * FROM contact;
INSERT INTO customer_order_strict SELECT * FROM customer_order;
INSERT INTO activity_strict SELECT * FROM activity;
INSERT INTO api_token_strict SELECT * FROM api_token;
INSERT INTO custom_field_strict SELECT * FROM custom_field;
INSERT INTO audit_entry_strict SELECT * FROM audit_entry;
INSERT INTO audit_head_strict SELECT * FROM audit_head;
INSERT INTO consent_event_strict SELECT * FROM consent_event;
INSERT INTO consent_head_strict SELECT * FROM consent_head;
INSERT INTO consent_state_strict SELECT * FROM consent_state;
INSERT INTO outbox_strict SELECT * FROM outbox;
INSERT INTO consent_token_strict SELECT * FROM consent_token;
INSERT INTO import_job_strict SELECT * FROM import_job;
INSERT INTO import_reject_strict SELECT * FROM import_reject;
INSERT INTO contract_strict SELECT * FROM contract;
INSERT INTO segment_strict SELECT * FROM segment;
INSERT INTO campaign_strict SELECT * FROM campaign;
INSERT INTO campaign_recipient_strict SELECT * FROM campaign_recipient;
INSERT INTO staff_user_strict SELECT * FROM staff_user;
INSERT INTO staff_session_strict SELECT * FROM staff_session;

-- 3. The old tables, children first (their indexes go with them).
DROP TABLE staff_session;
DROP TABLE staff_user;
DROP TABLE campaign_recipient;
DROP TABLE campaign;
DROP TABLE segment;
DROP TABLE contract;
DROP TABLE import_reject;
DROP TABLE import_job;
DROP TABLE consent_token;
DROP TABLE outbox;
DROP TABLE consent_state;
DROP TABLE consent_head;
DROP TABLE consent_event;
DROP TABLE audit_head;
DROP TABLE audit_entry;
DROP TABLE custom_field;
DROP TABLE api_token;
DROP TABLE activity;
DROP TABLE customer_order;
DROP TABLE contact;
DROP TABLE company;

-- 4. The old names, and the indexes again.
ALTER TABLE company_strict RENAME TO company;
ALTER TABLE contact_strict RENAME TO contact;
ALTER TABLE customer_order_strict RENAME TO customer_order;
ALTER TABLE activity_strict RENAME TO activity;
ALTER TABLE api_token_strict RENAME TO api_token;
ALTER TABLE custom_field_strict RENAME TO custom_field;
ALTER TABLE audit_entry_strict RENAME TO audit_entry;
ALTER TABLE audit_head_strict RENAME TO audit_head;
ALTER TABLE consent_event_strict RENAME TO consent_event;
ALTER TABLE consent_head_strict RENAME TO consent_head;
ALTER TABLE consent_state_strict RENAME TO consent_state;
ALTER TABLE outbox_strict RENAME TO outbox;
ALTER TABLE consent_token_strict RENAME TO consent_token;
ALTER TABLE import_job_strict RENAME TO import_job;
ALTER TABLE import_reject_strict RENAME TO import_reject;
ALTER TABLE contract_strict RENAME TO contract;
ALTER TABLE segment_strict RENAME TO segment;
ALTER TABLE campaign_strict RENAME TO campaign;
ALTER TABLE campaign_recipient_strict RENAME TO campaign_recipient;
ALTER TABLE staff_user_strict RENAME TO staff_user;
ALTER TABLE staff_session_strict RENAME TO staff_session;

CREATE UNIQUE INDEX company_siret_key ON company (siret) WHERE siret IS NOT NULL;
CREATE INDEX company_name_idx ON company (name);
CREATE UNIQUE INDEX contact_email_key ON contact (email_hash) WHERE email_hash IS NOT NULL;
CREATE INDEX contact_company_idx ON contact (company_id, id);
CREATE INDEX contact_kind_idx ON contact (kind, id);
CREATE INDEX customer_order_contact_idx ON customer_order (contact_id, ordered_at);
CREATE INDEX activity_contact_idx ON activity (contact_id, at);
CREATE UNIQUE INDEX api_token_secret_key ON api_token (secret_hash);
CREATE INDEX consent_state_audience_idx ON consent_state (purpose, channel, status, subject_id);
CREATE UNIQUE INDEX outbox_message_key ON outbox (message_id);
CREATE INDEX outbox_queue_idx ON outbox (status, next_attempt);
CREATE INDEX outbox_subject_idx ON outbox (subject_id);
CREATE INDEX consent_token_subject_idx ON consent_token (subject_id);
CREATE INDEX contract_contact_idx ON contract (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX contract_company_idx ON contract (company_id) WHERE company_id IS NOT NULL;
CREATE INDEX campaign_recipient_campaign_idx ON campaign_recipient (campaign_id);
CREATE UNIQUE INDEX staff_user_email_key ON staff_user (email);
CREATE INDEX staff_session_expiry_idx ON staff_session (expires_at);
CREATE INDEX audit_entry_actor_idx ON audit_entry (actor, at);
