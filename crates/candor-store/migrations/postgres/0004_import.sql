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
    started_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    next_record BIGINT NOT NULL,
    created     BIGINT NOT NULL,
    merged      BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    consents    BIGINT NOT NULL,
    requests    BIGINT NOT NULL
);

CREATE TABLE import_reject (
    job_id  TEXT NOT NULL,
    line    BIGINT NOT NULL,
    field   TEXT NOT NULL,
    rule    TEXT NOT NULL,
    message TEXT NOT NULL,
    record  TEXT NOT NULL,
    PRIMARY KEY (job_id, line, field)
);
