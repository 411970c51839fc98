-- Download links for a request's bundle (R5): valid 7 days, for one subject's bundle,
-- only the token's SHA-256 kept. The bundle is made again at each download.
CREATE TABLE bundle_link (
    token_hash TEXT PRIMARY KEY,
    request_id UUID NOT NULL REFERENCES subject_request (id) ON DELETE CASCADE,
    subject_id UUID NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    downloads  BIGINT NOT NULL
);
CREATE INDEX bundle_link_subject ON bundle_link (subject_id);
