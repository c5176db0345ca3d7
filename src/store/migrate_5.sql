-- devtrack store, schema version 5: what the record needs to stay true
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

-- A rewrite of history keeps every version and links each to the ones it
-- replaced: an amend to the commit it amended, a finished rebase's commits
-- to the ones they were made from (by patch id, else author and author
-- date), a squash or fixup to all it absorbed. `first_at` is the time of
-- the change's first version (when the work was done) and `replaced` marks
-- a version a later one replaced, so a change counts once, at its first
-- time, with its latest summary and lines.
CREATE TABLE commit_links (
    repo      TEXT NOT NULL,
    old_hash  TEXT NOT NULL,
    new_hash  TEXT NOT NULL,
    PRIMARY KEY (repo, old_hash, new_hash)
);
ALTER TABLE commits ADD COLUMN first_at INTEGER;
ALTER TABLE commits ADD COLUMN replaced INTEGER NOT NULL DEFAULT 0;
INSERT OR IGNORE INTO commit_links (repo, old_hash, new_hash)
    SELECT repo, amends, hash FROM commits WHERE amends IS NOT NULL;
UPDATE commits SET replaced = 1 WHERE EXISTS (
    SELECT 1 FROM commit_links l WHERE l.repo = commits.repo AND l.old_hash = commits.hash);
WITH RECURSIVE chain (repo, hash, first_at) AS (
    SELECT c.repo, c.hash, coalesce(c.committed_at, c.recorded_at) FROM commits c
    UNION
    SELECT l.repo, l.new_hash, chain.first_at FROM chain
        JOIN commit_links l ON l.repo = chain.repo AND l.old_hash = chain.hash
)
UPDATE commits SET first_at = (
    SELECT min(chain.first_at) FROM chain
    WHERE chain.repo = commits.repo AND chain.hash = commits.hash);
CREATE INDEX commits_change_time ON commits (first_at) WHERE replaced = 0;
