-- Whether an email telling the person was queued with their erasure, so that an
-- erasure request answered again after a crash says so truly.
ALTER TABLE erasure ADD COLUMN told INTEGER NOT NULL DEFAULT 0 CHECK (told IN (0, 1));
