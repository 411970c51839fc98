-- Which node holds a message's lease while it is being sent: a node that restarts
-- takes back its own leases at once instead of waiting for them to run out, while
-- another node's leases still wait (docs/architecture-notes.md, "Email and links").
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
