-- Merged conversations: `merged_into` from the summaries (the one this was
-- merged into). The messages themselves move with the server's
-- `conversation.merged` event.
ALTER TABLE conversations ADD COLUMN merged_into TEXT;
