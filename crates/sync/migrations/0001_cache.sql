-- The desktop's local cache of what the signed-in agent may see.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE conversations (
    id                TEXT PRIMARY KEY NOT NULL,
    channel           TEXT NOT NULL,
    customer_name     TEXT,
    customer_email    TEXT,
    customer_phone    TEXT,
    subject           TEXT NOT NULL,
    category_id       TEXT,
    state             TEXT NOT NULL,
    assignee_id       TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    waiting_since     INTEGER,
    first_response_at INTEGER,
    preview           TEXT NOT NULL DEFAULT '',
    -- 1 once the cache holds the whole history (seen from its creation, or fetched).
    complete          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_state ON conversations (state, waiting_since);
CREATE INDEX conversations_assignee ON conversations (assignee_id, state);

-- Server messages and local outbox items. An outbox item has no server id yet
-- (`id` NULL) and `pending` = 'pending' or 'failed'; once the server has it,
-- the same row takes the server's id and `pending` becomes NULL.
CREATE TABLE messages (
    local_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT UNIQUE,
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    author          TEXT NOT NULL,
    author_id       TEXT,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    client_id       TEXT,
    pending         TEXT,
    error_code      TEXT,
    error_message   TEXT
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_pending ON messages (pending, local_id);
CREATE INDEX messages_client_id ON messages (client_id);

CREATE TABLE agents (
    id                 TEXT PRIMARY KEY NOT NULL,
    name               TEXT NOT NULL,
    email              TEXT NOT NULL,
    role               TEXT NOT NULL,
    status             TEXT NOT NULL,
    categories         TEXT NOT NULL, -- JSON array of category ids
    capacity           INTEGER NOT NULL,
    open_conversations INTEGER NOT NULL
);

CREATE TABLE categories (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    routing             TEXT NOT NULL,
    wait_threshold_secs INTEGER NOT NULL,
    keywords            TEXT NOT NULL -- JSON array
);
