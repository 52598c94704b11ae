-- Search documents numbered in newest-first order (store/search/find.rs;
-- PostgreSQL's half is migrations/postgres/0013_search_order.sql).
--
-- A document's number (`n`, the FTS5 rowid) becomes its place in time:
-- (at × 2 + 1 for a message, 0 for a conversation's own fields) << 19, plus
-- a sequence within that instant. FTS5 reads a match in rowid order, so a
-- newest-first search reads the newest matches first and stops when its page
-- is full, instead of collecting every match. Writers number new documents
-- the same way (store::search::put). Here the documents already indexed are
-- numbered again and the FTS5 index is rebuilt over them.

DROP TRIGGER search_docs_insert;
DROP TRIGGER search_docs_delete;
DROP TRIGGER search_docs_update;

CREATE TABLE search_docs_ordered (
    n INTEGER PRIMARY KEY,            -- the FTS5 rowid: ((at * 2 + is_message) << 19) + sequence
    doc_id TEXT NOT NULL UNIQUE,      -- the message id, or 'c:' || the conversation id
    conversation_id TEXT NOT NULL,
    kind TEXT NOT NULL,               -- conversation | customer | agent | bot | note
    at BIGINT NOT NULL,               -- when the message was written / the conversation arrived
    terms TEXT NOT NULL
);
INSERT INTO search_docs_ordered (n, doc_id, conversation_id, kind, at, terms)
SELECT ((at * 2 + (kind <> 'conversation')) << 19)
         + ROW_NUMBER() OVER (PARTITION BY at, kind <> 'conversation' ORDER BY n) - 1,
       doc_id, conversation_id, kind, at, terms
FROM search_docs;
DROP TABLE search_docs;
ALTER TABLE search_docs_ordered RENAME TO search_docs;
-- With the rowid last, this also finds a conversation's documents after a point.
CREATE INDEX search_docs_conversation ON search_docs (conversation_id);

INSERT INTO search_fts (search_fts) VALUES ('rebuild');

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

-- Every indexed word of 4 characters or more (store::search::put adds a new
-- document's), so that a query spells a long prefix out as its words: FTS5
-- has prefix indexes of 2 and 3 characters only, and answers a longer prefix
-- by merging the doclists of all its words before the first row, however few
-- rows are wanted. Filled here from the index itself.
CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row');
INSERT INTO search_terms (term) SELECT term FROM search_vocab WHERE length(term) >= 4;
DROP TABLE search_vocab;
