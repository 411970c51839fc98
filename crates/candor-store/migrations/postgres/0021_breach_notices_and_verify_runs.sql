-- Art. 34 notices (B3): each person told of a breach, once (the key makes a second
-- notice impossible), with the count kept on the breach so it survives their erasure;
-- the breach's history gains the start of the notices. And each run of the chains'
-- verification (O1): when, by whom, what it checked and how many breaks it found.
ALTER TABLE breach ADD COLUMN subject_notices BIGINT NOT NULL DEFAULT 0;

CREATE TABLE breach_notice (
    breach_id  UUID NOT NULL REFERENCES breach (id),
    subject_id UUID NOT NULL,
    message_id TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (breach_id, subject_id)
);
CREATE INDEX breach_notice_subject_idx ON breach_notice (subject_id);

ALTER TABLE breach_change DROP CONSTRAINT breach_change_action_check;
ALTER TABLE breach_change ADD CONSTRAINT breach_change_action_check
    CHECK (action IN ('recorded', 'changed', 'notified', 'subjects_notified'));

CREATE TABLE verify_run (
    id         UUID PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    entries    BIGINT NOT NULL,
    broken     BIGINT NOT NULL,
    summary    TEXT NOT NULL
);
CREATE INDEX verify_run_at_idx ON verify_run (at);
