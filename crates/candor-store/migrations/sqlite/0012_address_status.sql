-- Addresses known not to receive (O3): a bounce, a "cleaned" or invalid status an
-- earlier tool recorded. The communication rules send nothing on that channel
-- (`address_undeliverable`) until the address changes, which deletes the row.

CREATE TABLE address_status (
    subject_id TEXT NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    channel    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('undeliverable')),
    reason     TEXT NOT NULL,
    since      TEXT NOT NULL,
    PRIMARY KEY (subject_id, channel)
) STRICT;

-- New contacts an import was told not to ask for consent yet (sent later).
ALTER TABLE import_job ADD COLUMN requests_held INTEGER NOT NULL DEFAULT 0;
