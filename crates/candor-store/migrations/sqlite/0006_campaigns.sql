-- Segments and campaigns (M3, M4). A segment is a saved filter; a campaign sends one
-- category of message to the allowed part of a segment's audience. Each recipient is
-- recorded with the outbox message it got, so a campaign sent twice sends nothing
-- twice. Campaign emails carry their one-click unsubscribe link (RFC 8058).

CREATE TABLE segment (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    conditions TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE campaign (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    category   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    segment_id TEXT NOT NULL REFERENCES segment (id),
    content    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('draft', 'sent')),
    report     TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);

CREATE TABLE campaign_recipient (
    subject_id  TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaign (id),
    outbox_id   TEXT NOT NULL,
    queued_at   TEXT NOT NULL,
    PRIMARY KEY (subject_id, campaign_id)
);
CREATE INDEX campaign_recipient_campaign_idx ON campaign_recipient (campaign_id);

ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT;
