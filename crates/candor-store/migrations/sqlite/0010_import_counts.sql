-- An import's consent events by kind, how many whole names it split and how many
-- addresses the file says bounce, for its
-- summary (the dry run prints the same figures).
ALTER TABLE import_job ADD COLUMN grants INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_job ADD COLUMN confirmations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_job ADD COLUMN withdrawals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_job ADD COLUMN names_split INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_job ADD COLUMN undeliverable INTEGER NOT NULL DEFAULT 0;
