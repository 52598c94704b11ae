-- Switchboard schema. Times are milliseconds since the epoch (UTC).
-- One set of migrations for both backends: plain SQL that SQLite and PostgreSQL both accept.

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('event_seq', 0);

CREATE TABLE categories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    routing TEXT NOT NULL,
    wait_threshold_secs BIGINT NOT NULL,
    keywords TEXT NOT NULL,           -- JSON array of rules
    position BIGINT NOT NULL,
    rr_cursor TEXT,                   -- last agent served by round-robin
    created_at BIGINT NOT NULL
);
INSERT INTO categories (id, name, routing, wait_threshold_secs, keywords, position, rr_cursor, created_at)
VALUES ('general', 'General', 'manual', 300, '[]', 0, NULL, 0);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE agent_categories (
    agent_id TEXT NOT NULL REFERENCES agents(id),
    category_id TEXT NOT NULL REFERENCES categories(id),
    PRIMARY KEY (agent_id, category_id)
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX tokens_agent ON tokens (agent_id);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    customer_name TEXT,
    customer_email TEXT,
    customer_phone TEXT,
    subject TEXT NOT NULL,
    category_id TEXT REFERENCES categories(id),
    state TEXT NOT NULL,
    assignee_id TEXT REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    unanswered_since BIGINT,
    first_customer_at BIGINT NOT NULL,
    first_response_at BIGINT,
    first_response_agent_id TEXT,
    preview TEXT NOT NULL
);
CREATE INDEX conversations_state_queued ON conversations (state, queued_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, state);
CREATE INDEX conversations_first_response ON conversations (first_response_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    author TEXT NOT NULL,
    author_id TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    client_id TEXT
);
CREATE INDEX messages_conversation ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_client_id ON messages (author_id, client_id);

CREATE TABLE assignments (
    conversation_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    via TEXT NOT NULL                 -- claim | round_robin | transfer | reopen
);
CREATE INDEX assignments_at ON assignments (at);

CREATE TABLE resolutions (
    conversation_id TEXT NOT NULL,
    agent_id TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX resolutions_at ON resolutions (at);

CREATE TABLE claims (
    conversation_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    waited_secs BIGINT NOT NULL,
    skipped_older BIGINT NOT NULL
);
CREATE INDEX claims_at ON claims (at);

CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    conversation_id TEXT,
    at BIGINT NOT NULL,
    data TEXT NOT NULL,
    category_id TEXT,
    assignee_id TEXT,
    prev_category_id TEXT,
    prev_assignee_id TEXT
);
