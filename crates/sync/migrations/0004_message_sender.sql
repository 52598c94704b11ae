-- Mail from someone other than the customer (the server's migration 0008):
-- a customer message that threaded into an email conversation from an
-- address other than the conversation's customer's is flagged (1), with the
-- address it came from (NULL when the mail named none). 0 / NULL for every
-- other message, outbox items included.
ALTER TABLE messages ADD COLUMN from_other_address INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN from_address TEXT;

-- A cache filled by an earlier version stored such messages without the
-- flag, and the event log will not send them again. So a cache holding any
-- email conversation is rebuilt, as `Cache::reset` does: what was learnt
-- from the server goes and the cursor goes back to 0, so the next sync
-- fills it again, flags included. The outbox (unsent replies and notes),
-- the server, the agent and the signed-in agent's record stay. A cache
-- without email conversations holds no such message and is kept whole.
INSERT INTO meta (key, value)
    SELECT 'rebuild_0004', '1'
    WHERE EXISTS (SELECT 1 FROM conversations WHERE channel = 'email');
DELETE FROM conversations WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0004');
DELETE FROM messages WHERE (id IS NOT NULL OR pending IS NULL)
    AND EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0004');
DELETE FROM agents WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0004');
DELETE FROM categories WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0004');
DELETE FROM meta WHERE key = 'cursor' AND EXISTS (SELECT 1 FROM meta WHERE key = 'rebuild_0004');
DELETE FROM meta WHERE key = 'rebuild_0004';
