-- Merging conversations (ops/merge.rs; the rules in switchboard-core's
-- merge). Same SQL on SQLite and PostgreSQL.
--
-- The absorbed conversation stays (resolved, merged_into = the kept one);
-- its messages move to the kept one, each remembering where it came from
-- (messages.merged_from), so an undo moves exactly those back. A merge row
-- keeps what the absorbed conversation was, for the undo.
ALTER TABLE conversations ADD COLUMN merged_into TEXT;
ALTER TABLE messages ADD COLUMN merged_from TEXT;
CREATE INDEX messages_merged_from ON messages (merged_from);

CREATE TABLE conversation_merges (
    id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL,
    absorbed_id TEXT NOT NULL,
    by_agent TEXT NOT NULL,
    at BIGINT NOT NULL,
    absorbed_state TEXT NOT NULL,
    absorbed_assignee TEXT,
    absorbed_category TEXT,
    absorbed_snoozed_until BIGINT,
    undone_at BIGINT
);
CREATE INDEX conversation_merges_absorbed ON conversation_merges (absorbed_id, at);
