-- devtrack store, schema version 6: when a prompt was held back from the
-- person (paused, outside work hours, the screen locked, idle) and when it
-- was shown to them, so its record says it was held and for how long.
CREATE TABLE prompt_holds (
    id            INTEGER PRIMARY KEY,
    prompt_id     INTEGER NOT NULL REFERENCES prompts (id),
    reason        TEXT    NOT NULL,   -- paused, work_hours, locked, idle, inhibited, asking
    held_at       INTEGER NOT NULL,
    released_at   INTEGER             -- NULL while it is held
);
CREATE INDEX prompt_holds_prompt ON prompt_holds (prompt_id);
