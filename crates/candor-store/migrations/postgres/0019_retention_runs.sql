-- Each run of the retention policies (E4), by the daily job, a person in the back
-- office or `candor retention run`, dry or not: what each policy did, in counts. The
-- ids of people erased are in the erasure records, not here.
CREATE TABLE retention_run (
    id          UUID PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    dry_run     BIGINT NOT NULL CHECK (dry_run IN (0, 1)),
    actor       TEXT NOT NULL,
    outcomes    TEXT NOT NULL
);
CREATE INDEX retention_run_started_idx ON retention_run (started_at);

-- Retention of the access audit (E4): a person's oldest entries go after the period;
-- the chain left starts after `base_seq`, whose hash is `base_hash`, a start signed
-- with the checkpoint key (`base_signature`) so no one without it can remove entries.
ALTER TABLE audit_head ADD COLUMN base_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN base_hash TEXT;
ALTER TABLE audit_head ADD COLUMN base_signature TEXT;
-- No index on audit_entry (at): every read and change of personal data appends to
-- that table, while retention looks for old entries once a day (a scan).
