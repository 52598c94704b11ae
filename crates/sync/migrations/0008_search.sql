-- Search over the cache, so the desktop finds conversations offline
-- (cache/search.rs). The same rules as the server's index
-- (switchboard_core::search): one document per message (system lines
-- excepted) and one per conversation (subject, customer name, email and
-- phone), each holding its terms as core normalises them (case and accents
-- folded, one token per Chinese or Japanese character), joined by spaces.
--
-- A document's number `n` is its place in newest-first order
-- (switchboard_core::search::doc_number_base: its time, then a sequence),
-- and the FTS5 rowid, so a newest-first search reads the newest matches
-- first and stops when its page is full.
CREATE TABLE search_docs (
    n               INTEGER PRIMARY KEY,
    doc_id          TEXT NOT NULL UNIQUE, -- the message id, or 'c:' || the conversation id
    conversation_id TEXT NOT NULL,
    kind            TEXT NOT NULL,        -- conversation | customer | agent | bot | note
    at              INTEGER NOT NULL      -- ms: when the message was written / the conversation arrived
);
CREATE INDEX search_docs_conversation ON search_docs (conversation_id);

-- The terms are not stored twice: the index is contentless (snippets are
-- cut from the messages and conversations themselves), and deletes are
-- allowed on it (SQLite 3.43's contentless_delete).
CREATE VIRTUAL TABLE search_fts USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Every indexed word of 4 characters or more, so that a long prefix is
-- spelled out as its words (as the server does: FTS5 answers a prefix
-- longer than its prefix indexes by merging every doclist of it first).
CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;

-- A document leaves the index with its row, and a conversation's documents
-- with the conversation (pruned, no longer visible, or the cache rebuilt).
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    DELETE FROM search_fts WHERE rowid = old.n;
END;
CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM search_docs WHERE conversation_id = old.id;
END;

-- A cache filled before this migration is indexed in the background
-- (Cache::index_backlog), from the conversation after this rowid.
INSERT INTO meta (key, value)
    SELECT 'search_backlog', '0' WHERE EXISTS (SELECT 1 FROM conversations);
