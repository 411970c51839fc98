-- Art. 34 notices (B3): each person told of a breach, once (the key makes a second
-- notice impossible), with the count kept on the breach so it survives their erasure;
-- the breach's history gains the start of the notices. And each run of the chains'
-- verification (O1): when, by whom, what it checked and how many breaks it found.
ALTER TABLE breach ADD COLUMN subject_notices INTEGER NOT NULL DEFAULT 0;

CREATE TABLE breach_notice (
    breach_id  TEXT NOT NULL REFERENCES breach (id),
    subject_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (breach_id, subject_id)
) STRICT;
CREATE INDEX breach_notice_subject_idx ON breach_notice (subject_id);

-- SQLite cannot change a CHECK in place: the history table is rebuilt with its rows.
CREATE TABLE breach_change_next (
    breach_id TEXT NOT NULL REFERENCES breach (id),
    seq       INTEGER NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('recorded', 'changed', 'notified', 'subjects_notified')),
    changes   TEXT NOT NULL,
    PRIMARY KEY (breach_id, seq)
) STRICT;
INSERT INTO breach_change_next (breach_id, seq, at, actor, action, changes)
    SELECT breach_id, seq, at, actor, action, changes FROM breach_change;
DROP TABLE breach_change;
ALTER TABLE breach_change_next RENAME TO breach_change;

CREATE TABLE verify_run (
    id         TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    entries    INTEGER NOT NULL,
    broken     INTEGER NOT NULL,
    summary    TEXT NOT NULL
) STRICT;
CREATE INDEX verify_run_at_idx ON verify_run (at);
