-- Foundation: companies, contacts, API tokens, custom fields, access audit,
-- and the orders and web activity that demo data fills.
-- Every table that holds a subject's data carries the subject id (contact id), first
-- in its primary key: the distribution key of docs/scaling.md.

CREATE TABLE company (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    siret        TEXT,
    country      TEXT NOT NULL,
    address_line TEXT,
    postal_code  TEXT,
    city         TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX company_siret_key ON company (siret) WHERE siret IS NOT NULL;
CREATE INDEX company_name_idx ON company (name);

CREATE TABLE contact (
    id                       TEXT PRIMARY KEY,
    kind                     TEXT NOT NULL CHECK (kind IN ('b2b', 'b2c')),
    company_id               TEXT REFERENCES company (id),
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
);
CREATE UNIQUE INDEX contact_email_key ON contact (email_hash) WHERE email_hash IS NOT NULL;
CREATE INDEX contact_company_idx ON contact (company_id, id);
CREATE INDEX contact_kind_idx ON contact (kind, id);

CREATE TABLE customer_order (
    id          TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    ordered_at  TEXT NOT NULL,
    currency    TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    lines       TEXT NOT NULL,
    PRIMARY KEY (contact_id, id)
);
CREATE INDEX customer_order_contact_idx ON customer_order (contact_id, ordered_at);

CREATE TABLE activity (
    id         TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    detail     TEXT NOT NULL,
    PRIMARY KEY (contact_id, id)
);
CREATE INDEX activity_contact_idx ON activity (contact_id, at);

CREATE TABLE api_token (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    -- SHA-256 of the secret: the secret itself is shown once and never stored.
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX api_token_secret_key ON api_token (secret_hash);

CREATE TABLE custom_field (
    entity     TEXT NOT NULL,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (entity, name)
);

CREATE TABLE audit_entry (
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
);

-- The last entry of each subject's chain: removing the newest entries shows.
CREATE TABLE audit_head (
    subject_id TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL
);
