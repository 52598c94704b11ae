-- Live-chat widget and chatbot (src/channels/widget, src/channels/bot).
-- Same SQL on SQLite and PostgreSQL.

-- When a chatbot handed the conversation to a human: its first response
-- time counts from here (NULL: not a chatbot conversation).
ALTER TABLE conversations ADD COLUMN handed_off_at BIGINT;

-- One row per widget visitor. Its id is also the id of the conversation
-- agents see: created at once when no bot answers (channel chat), or at
-- the hand-off (channel bot). Until then the bot talks with the visitor
-- here, outside the queue. The visitor's token is stored as its SHA-256.
CREATE TABLE widget_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    visitor_name TEXT,
    visitor_email TEXT,
    mode TEXT NOT NULL,               -- bot | human
    channel TEXT NOT NULL,            -- chat | bot
    unanswered BIGINT NOT NULL,       -- visitor messages in a row the bot could not answer
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The bot phase: visitor and bot lines, moved into `messages` (same ids)
-- at the hand-off.
CREATE TABLE widget_transcript (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES widget_sessions(id),
    pos BIGINT NOT NULL,
    kind TEXT NOT NULL,               -- customer | bot
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX widget_transcript_session ON widget_transcript (session_id, pos);

-- A visitor's client-generated message ids: the same id twice is one message.
CREATE TABLE widget_client_ids (
    session_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (session_id, client_id)
);

-- The built-in bot's questions (JSON array of phrasings) and answers.
CREATE TABLE bot_answers (
    id TEXT PRIMARY KEY,
    questions TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- External bots' hand-offs by their own id: the same hand-off twice is one conversation.
CREATE TABLE bot_handoffs (
    external_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    created_at BIGINT NOT NULL
);

-- A visitor's event stream reads the log of one conversation.
CREATE INDEX events_conversation ON events (conversation_id, seq);
