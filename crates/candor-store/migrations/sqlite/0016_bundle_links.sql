-- Download links for a request's bundle (R5): valid 7 days, for one subject's bundle,
-- only the token's SHA-256 kept. The bundle is made again at each download.
CREATE TABLE bundle_link (
    token_hash TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES subject_request (id) ON DELETE CASCADE,
    subject_id TEXT NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    downloads  INTEGER NOT NULL
) STRICT;
CREATE INDEX bundle_link_subject ON bundle_link (subject_id);
