-- The threshold watcher reads, per category, the assigned conversations
-- whose customer has waited past the threshold through this index (the
-- queued ones through conversations_category_queue, migration 0011), so a
-- tick walks what is overdue, not every open conversation.
CREATE INDEX conversations_category_unanswered ON conversations (state, category_id, unanswered_since);
