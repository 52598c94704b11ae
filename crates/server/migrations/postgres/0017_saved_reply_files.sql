-- A saved reply's files (ops::uploads::hold): uploads a saved reply holds
-- are kept (the sweep of unattached uploads passes them by) and copied
-- into each reply that uses them (ops::uploads::check_owned), so the
-- saved reply keeps its own.
ALTER TABLE uploads ADD COLUMN saved_reply_id TEXT;
CREATE INDEX uploads_saved_reply ON uploads (saved_reply_id);
