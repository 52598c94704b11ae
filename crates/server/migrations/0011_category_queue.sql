-- Routing drains the queues of round-robin categories after every write.
-- It reads them through this index, by category, so the queued
-- conversations of manual categories (which can be thousands on a big
-- team) are never walked to find the few that routing may hand out.
CREATE INDEX conversations_category_queue ON conversations (state, category_id, queued_at, id);
