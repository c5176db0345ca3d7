-- devtrack store, schema version 8: the outbox of work updates to post to
-- the tickets they name (docs/sync.md). One row per (update, integration,
-- ticket), written in the same transaction as the update; `uid` is its
-- stable id, the marker the posted comment carries.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    uid             TEXT    NOT NULL UNIQUE DEFAULT (lower(hex(randomblob(8)))),
    work_update_id  INTEGER NOT NULL REFERENCES work_updates (id),
    family          TEXT    NOT NULL,   -- github, jira, azure_devops
    ticket          TEXT    NOT NULL,   -- owner/repo#123 (#123 while unresolved), ABC-7, AB#123
    endpoint        TEXT,               -- GitHub: the API base of the ticket's repository
    state           TEXT    NOT NULL
                    CHECK (state IN ('held', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
    reason          TEXT,               -- why held, failed or cancelled
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_try_at     INTEGER,
    remote_id       TEXT,
    remote_url      TEXT,
    sent_at         INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (work_update_id, family, ticket)
);
CREATE INDEX outbox_state ON outbox (state);

-- The integrations that have had their first `devtrack sync push`: until
-- then nothing of theirs is sent, whatever `auto_sync` says.
CREATE TABLE sync_integrations (
    family          TEXT    PRIMARY KEY,
    first_push_at   INTEGER NOT NULL
);
