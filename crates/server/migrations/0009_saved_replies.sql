-- Saved replies (src/ops/saved_replies.rs, rules in switchboard-core's
-- saved_replies). Same SQL on SQLite and PostgreSQL.

-- A team reply (scope 'team', owner_id NULL: every agent sees it, admins
-- manage it) or an agent's personal one (scope 'personal', owner_id set:
-- only they see and manage it). category_id: offered only for conversations
-- of that category (NULL: everywhere). attachments: JSON array of upload
-- ids, kept as opaque references.
CREATE TABLE saved_replies (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    owner_id TEXT REFERENCES agents(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category_id TEXT REFERENCES categories(id),
    attachments TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX saved_replies_owner ON saved_replies (owner_id);

-- Each time an agent filled a reply in for a conversation (the metrics'
-- usage counts). Deleted with their reply.
CREATE TABLE saved_reply_uses (
    reply_id TEXT NOT NULL REFERENCES saved_replies(id),
    agent_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX saved_reply_uses_at ON saved_reply_uses (at);
CREATE INDEX saved_reply_uses_reply ON saved_reply_uses (reply_id);

-- An event only one agent may see (a personal saved reply's): its id.
-- NULL for every other event (visibility by conversation, or everyone).
ALTER TABLE events ADD COLUMN only_agent_id TEXT;
