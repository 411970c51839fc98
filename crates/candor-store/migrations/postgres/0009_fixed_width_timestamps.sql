-- PostgreSQL stores timestamptz natively: nothing to convert (see the SQLite
-- migration of the same number). Kept so both backends share migration numbers.
SELECT 1;
