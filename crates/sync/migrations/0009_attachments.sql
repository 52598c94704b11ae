-- Attachments (the server's migration 0015).
--
-- A server message's files: JSON array of AttachmentInfo (id, filename,
-- content_type, size), '[]' for none. Messages cached before this version
-- show none until the conversation is fetched again (opening it does).
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

-- Files waiting in the outbox with their reply: a copy in the folder beside
-- the cache file (`<cache file>-outbox`; `path` is the copy's name in it),
-- made when the reply was queued, so the agent may move or delete the
-- original, uploaded once (`upload_id`, kept before the reply
-- is posted, so a retry never uploads twice), deleted once the server has
-- the reply. `client_id` is the outbox item's (renewed with it).
CREATE TABLE outbox_files (
    client_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    filename   TEXT NOT NULL,
    path       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    upload_id  TEXT,
    PRIMARY KEY (client_id, seq)
);
