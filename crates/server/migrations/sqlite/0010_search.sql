-- Search, SQLite's half (store/search.rs; PostgreSQL's half is
-- migrations/postgres/0010_search.sql with the same version number: each
-- database runs the shared migrations plus its own backend's).
--
-- One document per message (system lines excepted) and one per conversation
-- (its subject and the customer's name, email and phone). `terms` holds the
-- document's tokens as switchboard_core::search::text normalises them (case
-- and accents folded, one token per Chinese or Japanese character), joined
-- by spaces: FTS5's unicode61 tokenizer splits them back unchanged.

CREATE TABLE search_docs (
    n INTEGER PRIMARY KEY,            -- the FTS5 rowid (an alias of SQLite's rowid, so VACUUM keeps it)
    doc_id TEXT NOT NULL UNIQUE,      -- the message id, or 'c:' || the conversation id
    conversation_id TEXT NOT NULL,
    kind TEXT NOT NULL,               -- conversation | customer | agent | bot | note
    at BIGINT NOT NULL,               -- when the message was written / the conversation arrived
    terms TEXT NOT NULL
);
CREATE INDEX search_docs_conversation ON search_docs (conversation_id);

-- The full-text index over search_docs (external content: the text is stored once).
CREATE VIRTUAL TABLE search_fts USING fts5(
    terms,
    content = 'search_docs',
    content_rowid = 'n',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- The index follows its documents in the same transaction.
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, terms) VALUES (new.n, new.terms);
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.n, old.terms);
END;
CREATE TRIGGER search_docs_update AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.n, old.terms);
    INSERT INTO search_fts (rowid, terms) VALUES (new.n, new.terms);
END;

-- The existing conversations and messages are indexed right after the
-- migrations, before the server serves (store::search::backfill: the
-- normalisation is Rust's, so it cannot run in SQL); it sets this to 0.
INSERT INTO counters (name, value) VALUES ('search_backfill', 1);
