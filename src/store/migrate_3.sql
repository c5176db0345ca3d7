-- devtrack store, schema version 3: prompts, their answers (work updates)
-- and the tickets found in them. Times are Unix milliseconds (UTC).

-- What the person is asked. Triggers fold into the one outstanding (open or
-- snoozed) prompt instead of piling up; the unique index below makes a
-- second outstanding prompt impossible.
CREATE TABLE prompts (
    id            INTEGER PRIMARY KEY,
    opened_at     INTEGER NOT NULL,   -- its first trigger: the time an answer refers to
    state         TEXT    NOT NULL
                  CHECK (state IN ('open', 'answered', 'snoozed', 'expired', 'skipped')),
    state_at      INTEGER NOT NULL,   -- when it entered `state`
    reopens_at    INTEGER,            -- set exactly when snoozed
    CHECK ((state = 'snoozed') = (reopens_at IS NOT NULL))
);
CREATE INDEX prompts_opened_at ON prompts (opened_at);
CREATE UNIQUE INDEX prompts_one_outstanding ON prompts (state IN ('open', 'snoozed'))
    WHERE state IN ('open', 'snoozed');
CREATE INDEX prompts_reopens_at ON prompts (reopens_at) WHERE reopens_at IS NOT NULL;

-- The triggers folded into each prompt (the first one opened it). The
-- trigger's own row holds its kind and time.
CREATE TABLE prompt_triggers (
    trigger_id    INTEGER PRIMARY KEY REFERENCES triggers (id),
    prompt_id     INTEGER NOT NULL REFERENCES prompts (id)
);
CREATE INDEX prompt_triggers_prompt ON prompt_triggers (prompt_id);

-- Every state a prompt entered, oldest first; the first row is `open`.
CREATE TABLE prompt_changes (
    id            INTEGER PRIMARY KEY,
    prompt_id     INTEGER NOT NULL REFERENCES prompts (id),
    state         TEXT    NOT NULL
                  CHECK (state IN ('open', 'answered', 'snoozed', 'expired', 'skipped')),
    at            INTEGER NOT NULL,
    reopens_at    INTEGER
);
CREATE INDEX prompt_changes_prompt ON prompt_changes (prompt_id);

-- What each delivery channel (desktop notification, osascript, hook, ...)
-- did with a prompt.
CREATE TABLE prompt_deliveries (
    id            INTEGER PRIMARY KEY,
    prompt_id     INTEGER NOT NULL REFERENCES prompts (id),
    channel       TEXT    NOT NULL,
    outcome       TEXT    NOT NULL
                  CHECK (outcome IN ('delivered', 'failed', 'unavailable', 'dismissed')),
    detail        TEXT,
    at            INTEGER NOT NULL
);
CREATE INDEX prompt_deliveries_prompt ON prompt_deliveries (prompt_id);

-- Answers, rebuilt from version 1's `work_updates` (id, trigger_id,
-- created_at, text). An answer to a version-1 trigger becomes an answered
-- prompt holding that trigger, so no answer loses what it answered.
CREATE TABLE work_updates_v2 (
    id              INTEGER PRIMARY KEY,
    text            TEXT    NOT NULL,
    answered_at     INTEGER NOT NULL,
    prompt_id       INTEGER REFERENCES prompts (id),   -- NULL: a standalone update
    prompt_at       INTEGER,            -- the prompt's opened_at: what the answer refers to
    source          TEXT    CHECK (source IN ('notification', 'inline', 'dialog', 'cli', 'socket')),
                                        -- NULL only for answers recorded before version 3
    last_commit_id  INTEGER             -- the newest commit when answered; the commits
                                        -- after the previous update's are linked to it
);

INSERT INTO prompts (id, opened_at, state, state_at)
    SELECT w.id, t.fired_at, 'answered', w.created_at
    FROM work_updates w JOIN triggers t ON t.id = w.trigger_id;
INSERT INTO prompt_changes (prompt_id, state, at)
    SELECT id, 'open', opened_at FROM prompts;
INSERT INTO prompt_changes (prompt_id, state, at)
    SELECT id, 'answered', state_at FROM prompts;
INSERT OR IGNORE INTO prompt_triggers (trigger_id, prompt_id)
    SELECT w.trigger_id, w.id FROM work_updates w JOIN prompts p ON p.id = w.id;
INSERT INTO work_updates_v2 (id, text, answered_at, prompt_id, prompt_at, source, last_commit_id)
    SELECT w.id, w.text, w.created_at, p.id, p.opened_at, NULL,
           (SELECT max(c.id) FROM commits c WHERE c.recorded_at <= w.created_at)
    FROM work_updates w LEFT JOIN prompts p ON p.id = w.id;
DROP TABLE work_updates;
ALTER TABLE work_updates_v2 RENAME TO work_updates;

CREATE INDEX work_updates_time ON work_updates (coalesce(prompt_at, answered_at), answered_at);
CREATE UNIQUE INDEX work_updates_prompt ON work_updates (prompt_id) WHERE prompt_id IS NOT NULL;

-- The commits made since the previous answer, per answer.
CREATE TABLE work_update_commits (
    work_update_id  INTEGER NOT NULL REFERENCES work_updates (id),
    commit_id       INTEGER NOT NULL REFERENCES commits (id),
    PRIMARY KEY (work_update_id, commit_id)
) WITHOUT ROWID;
CREATE INDEX work_update_commits_commit ON work_update_commits (commit_id);

-- Ticket references found when an answer was recorded: in its text, and
-- in the messages and branch names of the commits linked to it.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    family          TEXT    NOT NULL CHECK (family IN ('github', 'jira', 'azure_devops')),
    key             TEXT    NOT NULL,   -- `#123`, `owner/repo#123`, `ABC-123`, `AB#123`
    source          TEXT    NOT NULL CHECK (source IN ('answer', 'commit_message', 'branch')),
    work_update_id  INTEGER NOT NULL REFERENCES work_updates (id),
    commit_id       INTEGER REFERENCES commits (id),   -- set exactly for commit sources
    CHECK ((source = 'answer') = (commit_id IS NULL))
);
CREATE INDEX tickets_key ON tickets (key);
CREATE INDEX tickets_work_update ON tickets (work_update_id);

-- Reports and `history --commits` select commits by this time.
CREATE INDEX commits_time ON commits (coalesce(committed_at, recorded_at));
