-- The breach register (B1, B2): each personal data breach, notified or not, its facts
-- as one document (they change together and are read together), its notifications to
-- the authority, and the history of every change (who, when, what).
CREATE TABLE breach (
    id            UUID PRIMARY KEY,
    discovered_at TIMESTAMPTZ NOT NULL,
    facts         TEXT NOT NULL,
    notifications TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX breach_discovered_idx ON breach (discovered_at);

CREATE TABLE breach_change (
    breach_id UUID NOT NULL REFERENCES breach (id),
    seq       BIGINT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('recorded', 'changed', 'notified')),
    changes   TEXT NOT NULL,
    PRIMARY KEY (breach_id, seq)
);
