-- The contacts' privacy portal (P1). One-time login links: 256 random bits, only the
-- SHA-256 kept, 15 minutes, single use. Sessions: only the SHA-256 of the cookie's
-- secret kept, for one subject; they end after 30 idle minutes or 2 hours. Password
-- accounts: an argon2id hash, never exported in the person's bundle.
CREATE TABLE portal_link (
    token_hash TEXT PRIMARY KEY,
    subject_id UUID NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX portal_link_subject ON portal_link (subject_id);

CREATE TABLE portal_session (
    id_hash    TEXT PRIMARY KEY,
    subject_id UUID NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_session_subject ON portal_session (subject_id);

CREATE TABLE portal_account (
    subject_id    UUID PRIMARY KEY REFERENCES contact (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    changed_at    TIMESTAMPTZ NOT NULL
);
