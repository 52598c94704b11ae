-- Tags (ops/tags.rs; the rules in switchboard-core's tags). Same SQL on
-- SQLite and PostgreSQL.
--
-- An admin defines a tag: a name, a colour, and keyword rules that put it
-- on new conversations. Agents put tags on the conversations they may see
-- and take them off. conversation_tags is the truth (and what filters
-- read, by tag); conversations.tags repeats each conversation's tag ids as a
-- sorted JSON array, written in the same transaction, so a conversation is
-- read as one row everywhere it is read.
CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    colour TEXT NOT NULL,
    keywords TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    tag_id TEXT NOT NULL REFERENCES tags(id),
    -- Who put it there (NULL: an auto-tag rule).
    added_by TEXT,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag_id, conversation_id);

ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
