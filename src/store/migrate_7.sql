-- devtrack store, schema version 7: every reload of the config and its
-- result, so that `devtrack metrics` counts reloads across restarts like
-- the other totals.
CREATE TABLE reloads (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    result        TEXT    NOT NULL CHECK (result IN ('applied', 'unchanged', 'rejected'))
);
