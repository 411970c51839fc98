-- Staff search (O1): the words each contact is found by, folded (lower case, no
-- accents): their names' words, their email whole and its parts, their phone's digits.
-- A query word matches the start of a term; `field` lets a role search only the
-- fields it may read. Written with the contact, in its transaction.
CREATE TABLE contact_term (
    term       TEXT NOT NULL,
    field      TEXT NOT NULL CHECK (field IN ('name', 'email', 'phone')),
    contact_id TEXT NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    PRIMARY KEY (term, field, contact_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_term_contact ON contact_term (contact_id, term);

-- Contacts written before this table existed are indexed once, when the store opens.
CREATE TABLE contact_term_backfill (pending INTEGER NOT NULL) STRICT;
INSERT INTO contact_term_backfill (pending) VALUES (1);
