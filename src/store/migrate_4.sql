-- devtrack store, schema version 4: the desktop notification that shows a
-- prompt, so that a daemon starting again replaces it instead of posting a
-- second one. A notification id means something only to the server that
-- gave it, so the server's unique bus name is kept with it.
ALTER TABLE prompts ADD COLUMN notification_id INTEGER;      -- `Notify`'s reply
ALTER TABLE prompts ADD COLUMN notification_server TEXT;     -- its server's unique name (`:1.42`)
