-- Attachments (the server's migration 0015).
--
-- A server message's files: JSON array of AttachmentInfo (id, filename,
-- content_type, size), '[]' for none.
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

-- A cache filled by an earlier version stored customers' mails without
-- their attachments (the server had them), and the event log will not send
-- those messages again. So a cache holding any email conversation is
-- rebuilt, as `Cache::reset` does (and as 0004 did): what was learnt from
-- the server goes (a snapshot in progress too) and the cursor goes back to
-- 0, so the next sync fills it again, files included. The outbox (unsent
-- replies and notes), the server, the agent and the signed-in agent's
-- record stay. Agent replies carried no files before this version, so a
-- cache without email conversations is kept whole.
INSERT INTO meta (key, value)
    SELECT 'rebuild_0009', '1'
    WHERE EXISTS (SELECT 1 FROM conversations WHERE channel = 'email');
DELETE FROM conversations WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0009');
DELETE FROM messages WHERE (id IS NOT NULL OR pending IS NULL)
    AND EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0009');
DELETE FROM agents WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0009');
DELETE FROM categories WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0009');
DELETE FROM saved_replies WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0009');
DELETE FROM meta WHERE key IN ('cursor', 'snapshot', 'saved_replies_loaded')
    AND EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0009');
DELETE FROM meta WHERE key = 'rebuild_0009';
