-- A saved reply's files as the server describes them (JSON array of
-- AttachmentInfo: id, filename, content_type, size), so the composer shows
-- and stages them offline. The whole list is loaded again once (the meta
-- flag goes) to fill this column for replies cached before it.
ALTER TABLE saved_replies ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
DELETE FROM meta WHERE key = 'saved_replies_loaded';

-- An outbox file that is a saved reply's, already on the server: it has
-- its upload id from the start and no copy here (path is ''); it is never
-- uploaded again nor forgotten (the server copies it into the message).
ALTER TABLE outbox_files ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
