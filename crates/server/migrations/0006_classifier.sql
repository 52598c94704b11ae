-- Learned auto-categorization (src/classifier.rs). Same SQL on SQLite and PostgreSQL.

-- How a conversation got its category: explicit | rule | classifier | default | agent
-- (NULL: before this migration). With `classifier`, the model's probability in per mille.
ALTER TABLE conversations ADD COLUMN category_source TEXT;
ALTER TABLE conversations ADD COLUMN category_confidence BIGINT;

-- The model in use (one row, id 'current'): the serialized classifier, shared
-- by every instance, so a restart or another instance uses it at once.
CREATE TABLE classifier_models (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,            -- new id per training: instances reload when it changes
    model TEXT NOT NULL,              -- JSON (switchboard-classify)
    trained_at BIGINT NOT NULL,
    examples BIGINT NOT NULL,         -- conversations it was trained on
    labelled BIGINT NOT NULL,         -- labelled conversations that existed then
    categories TEXT NOT NULL,         -- JSON array of category ids
    features BIGINT NOT NULL
);

-- Retraining runs once across the fleet.
INSERT INTO leases (name, holder, expires_at) VALUES ('classifier_train', NULL, 0);
