-- Each run of the retention policies (E4), by the daily job, a person in the back
-- office or `candor retention run`, dry or not: what each policy did, in counts. The
-- ids of people erased are in the erasure records, not here.
CREATE TABLE retention_run (
    id          TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    dry_run     INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    actor       TEXT NOT NULL,
    outcomes    TEXT NOT NULL
) STRICT;
CREATE INDEX retention_run_started_idx ON retention_run (started_at);
