-- Customer profiles (store/customers.rs; the rules in switchboard-core's
-- customers). Same SQL on SQLite and PostgreSQL.
--
-- A profile is one person across channels: a name, a company, free notes
-- for agents, and identities (customer_identities) by which their messages
-- are recognised. Each conversation belongs to one profile
-- (conversations.customer_id); the conversation keeps the name, email and
-- phone it arrived with, which is where replies go.
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    name TEXT,
    company TEXT,
    notes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- An email (lower-cased), phone (E.164) or widget visitor id: on one
-- profile at most.
CREATE TABLE customer_identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

ALTER TABLE conversations ADD COLUMN customer_id TEXT REFERENCES customers(id);
CREATE INDEX conversations_customer ON conversations (customer_id, created_at);

-- Conversations that existed before profiles get theirs when the server
-- starts (store::customers::backfill, with core's rules); it sets this to 0.
INSERT INTO counters (name, value) VALUES ('customers_backfill', 1);
