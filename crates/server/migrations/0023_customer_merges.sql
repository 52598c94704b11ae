-- Merging two customer profiles (ops/customer_merge.rs). Same SQL on SQLite
-- and PostgreSQL.
--
-- The absorbed profile stays as a redirect (merged_into = the kept one);
-- its identities and conversations move to the kept one. A merge row keeps
-- exactly what moved and what the kept profile was, for the undo.
ALTER TABLE customers ADD COLUMN merged_into TEXT;

CREATE TABLE customer_merges (
    id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL,
    absorbed_id TEXT NOT NULL,
    by_agent TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- JSON: [[kind, value], …] and [conversation id, …] that moved.
    identities TEXT NOT NULL,
    conversations TEXT NOT NULL,
    -- The kept profile before: JSON {name, company, notes}.
    kept_before TEXT NOT NULL,
    undone_at BIGINT
);
CREATE INDEX customer_merges_absorbed ON customer_merges (absorbed_id, at);
