-- devtrack store, schema version 4: what the record needs to stay true
-- across rewrites of a reflog and a repository's first day.

-- When devtrack first watched each repository. A reflog read again from
-- its start (`git reflog expire`, `reflog delete`, gc) adds nothing made
-- before the local day of this time. For a store that predates it: the
-- earliest time its cursors or commits were written.
CREATE TABLE repo_watches (
    repo              TEXT PRIMARY KEY,   -- repository name from the config
    first_watched_at  INTEGER NOT NULL
);
INSERT INTO repo_watches (repo, first_watched_at)
    SELECT repo, min(t) FROM (
        SELECT repo, updated_at AS t FROM reflog_cursors
        UNION ALL
        SELECT repo, recorded_at AS t FROM commits
    ) GROUP BY repo;

-- 1 for a commit of the day a repository was first watched, read from
-- its reflog then (it raised no prompt).
ALTER TABLE commits ADD COLUMN found_at_start INTEGER NOT NULL DEFAULT 0;
