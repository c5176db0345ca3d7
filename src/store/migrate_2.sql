-- devtrack store, schema version 2.

-- Whether a commit is the developer's own work (its author is a configured
-- author, or the repository's user.email): 1 or 0; NULL for commits
-- recorded before this was stored.
ALTER TABLE commits ADD COLUMN own INTEGER;
