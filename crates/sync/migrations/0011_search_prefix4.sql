-- The search index gets a prefix index of 4 characters beside those of 2
-- and 3 (cache/find.rs). A 4-letter prefix used to be spelled out as the
-- words it completes to (`search_terms`), but beyond 512 words FTS5 merged
-- every doclist of the prefix before the first row: with customers' emails
-- that was the common case (`lolo` completes to a thousand addresses in
-- the desktop bench: 50 ms a keystroke at a million messages, against
-- 0.1 ms through a prefix index). The index grows by about a third.
--
-- FTS5 cannot change a table's prefix indexes, and a contentless table
-- cannot be rebuilt from itself: the index is made again, emptied here and
-- filled in the background from the conversation after rowid 0
-- (Cache::index_backlog), as after migration 0008. Meanwhile a search
-- finds what has been indexed again so far.
DROP TRIGGER search_docs_delete;
DROP TABLE search_fts;
DELETE FROM search_docs;
CREATE VIRTUAL TABLE search_fts USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    DELETE FROM search_fts WHERE rowid = old.n;
END;

-- Words are spelled out from 5 characters on now.
DELETE FROM search_terms WHERE length(term) < 5;

INSERT OR REPLACE INTO meta (key, value)
    SELECT 'search_backlog', '0' WHERE EXISTS (SELECT 1 FROM conversations);
