-- Search, PostgreSQL's half (store/search.rs; SQLite's half is
-- migrations/sqlite/0010_search.sql with the same version number: each
-- database runs the shared migrations plus its own backend's).
--
-- One document per message (system lines excepted) and one per conversation
-- (its subject and the customer's name, email and phone). `terms` is built
-- from a tsvector literal the server writes ('cafe':1 'creme':2, tokens
-- normalised by switchboard_core::search::text: case and accents folded, one
-- token per Chinese or Japanese character), so no text search
-- configuration, dictionary, extension or server locale is involved: both
-- backends find exactly the same tokens.

CREATE TABLE search_docs (
    doc_id TEXT PRIMARY KEY,          -- the message id, or 'c:' || the conversation id
    conversation_id TEXT NOT NULL,
    kind TEXT NOT NULL,               -- conversation | customer | agent | bot | note
    at BIGINT NOT NULL,               -- when the message was written / the conversation arrived
    terms TSVECTOR NOT NULL
);
CREATE INDEX search_docs_terms ON search_docs USING gin (terms);
CREATE INDEX search_docs_conversation ON search_docs (conversation_id);

-- The existing conversations and messages are indexed right after the
-- migrations, before the server serves (store::search::backfill: the
-- normalisation is Rust's, so it cannot run in SQL); it sets this to 0.
INSERT INTO counters (name, value) VALUES ('search_backfill', 1);
