-- A campaign is sent by a job (M3): `sending_at` says when its sending started (the
-- campaign is no longer editable then); its report holds the audience counted at that
-- moment, so the page shows the progress against it until the job marks it sent.
ALTER TABLE campaign ADD COLUMN sending_at TEXT;
