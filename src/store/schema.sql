-- devtrack store, schema version 1. Times are Unix milliseconds (UTC).

-- Every prompt trigger. Committed before it is announced on the socket.
CREATE TABLE triggers (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('timer', 'commit', 'manual', 'catchup')),
    scheduled_at  INTEGER,            -- the slot a timer prompt stands for
    fired_at      INTEGER NOT NULL,
    late          INTEGER NOT NULL DEFAULT 0,
    reason        TEXT,
    detail        TEXT                -- JSON: e.g. the commits a commit trigger lists
);
CREATE INDEX triggers_fired_at ON triggers (fired_at);

-- Interval slots that did not get a prompt of their own.
CREATE TABLE missed_slots (
    id            INTEGER PRIMARY KEY,
    scheduled_at  INTEGER NOT NULL,
    reason        TEXT    NOT NULL CHECK (reason IN ('late', 'skipped', 'paused')),
    recorded_at   INTEGER NOT NULL,
    trigger_id    INTEGER REFERENCES triggers (id)
);
CREATE INDEX missed_slots_scheduled_at ON missed_slots (scheduled_at);

-- Small daemon state that must survive restarts (scheduler anchor, pause).
CREATE TABLE daemon_state (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL
);

-- Where reading each reflog file stopped. Updated in the same transaction
-- as the commits it covers.
CREATE TABLE reflog_cursors (
    log_path      TEXT PRIMARY KEY,   -- absolute path of the reflog file
    repo          TEXT NOT NULL,      -- repository name from the config
    file_id       TEXT NOT NULL,      -- "dev:inode" of the file read
    offset        INTEGER NOT NULL,   -- bytes consumed
    last_hash     TEXT,               -- new-hash of the last line consumed
    updated_at    INTEGER NOT NULL
);

-- The developer's commits, each stored once.
CREATE TABLE commits (
    id            INTEGER PRIMARY KEY,
    repo          TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,   -- commit, amend, merge, cherry-pick, revert, rebase
    amends        TEXT,               -- the hash an amend replaced
    branch        TEXT,               -- NULL when detached
    author_name   TEXT,
    author_email  TEXT,
    committed_at  INTEGER,
    summary       TEXT,
    files_changed INTEGER,
    insertions    INTEGER,
    deletions     INTEGER,
    recorded_at   INTEGER NOT NULL,
    trigger_id    INTEGER REFERENCES triggers (id),
    UNIQUE (repo, hash)
);
CREATE INDEX commits_recorded_at ON commits (recorded_at);

-- HEAD movements that are not the developer's own work (checkout, pull, reset).
CREATE TABLE repo_activity (
    id            INTEGER PRIMARY KEY,
    repo          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    old_hash      TEXT,
    new_hash      TEXT,
    message       TEXT,
    at            INTEGER NOT NULL
);

-- Answers to prompts (written by the prompt-delivery side).
CREATE TABLE work_updates (
    id            INTEGER PRIMARY KEY,
    trigger_id    INTEGER REFERENCES triggers (id),
    created_at    INTEGER NOT NULL,
    text          TEXT    NOT NULL
);
