-- SQLite's tables became STRICT in its migration 0011, so that a value of the wrong type
-- is refused there as PostgreSQL always refuses it. Nothing changes here; the number
-- keeps the two backends' migrations in step.
SELECT 1;
