-- Staff sessions (X3): the cookie holds only the session id; what the session knows
-- (the user, the CSRF token, the login time) stays here and is deleted at logout.

CREATE TABLE staff_session (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_session_expiry_idx ON staff_session (expires_at);
CREATE INDEX audit_entry_actor_idx ON audit_entry (actor, at);
