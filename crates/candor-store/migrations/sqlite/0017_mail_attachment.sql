-- One file attached to a message: the signed receipt of a request (R2) goes to the
-- person as the file itself, verifiable with `candor receipt verify`.
ALTER TABLE outbox ADD COLUMN attachment_name TEXT;
ALTER TABLE outbox ADD COLUMN attachment TEXT;
