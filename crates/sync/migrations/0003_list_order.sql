-- The lists are read a window at a time (LIMIT/OFFSET) in these orders:
-- indexes that hold them, so a window is read without sorting the list.
CREATE INDEX conversations_queue_order ON conversations (state, COALESCE(waiting_since, created_at), id);
CREATE INDEX conversations_recent ON conversations (updated_at DESC, id);
CREATE INDEX conversations_mine_order ON conversations (assignee_id, state, updated_at DESC, id);
