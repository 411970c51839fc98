-- CSV import jobs (O3). A job is one file with one set of options; its checkpoint
-- (the next record to read and the running counts) is written in the transaction of
-- each batch, so a job killed at any moment resumes with no row missing or twice.
-- Rejected rows wait here, with the reason, until the rejects file is written; then
-- they are deleted (the job keeps only the counts).

CREATE TABLE import_job (
    id          TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    options     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    finished_at TEXT,
    next_record INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    merged      INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    consents    INTEGER NOT NULL,
    requests    INTEGER NOT NULL
);

CREATE TABLE import_reject (
    job_id  TEXT NOT NULL,
    line    INTEGER NOT NULL,
    field   TEXT NOT NULL,
    rule    TEXT NOT NULL,
    message TEXT NOT NULL,
    record  TEXT NOT NULL,
    PRIMARY KEY (job_id, line, field)
);
