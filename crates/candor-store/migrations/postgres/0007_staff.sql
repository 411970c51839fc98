-- Staff accounts (X3): a role, a password hashed with argon2id (the PHC string keeps
-- the salt and the parameters), disabled rather than deleted so the audit's actor ids
-- keep their meaning.

CREATE TABLE staff_user (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX staff_user_email_key ON staff_user (email);
