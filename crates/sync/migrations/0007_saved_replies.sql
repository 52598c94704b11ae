-- Saved replies the signed-in agent may use: the team's and their own
-- personal ones (the server sends nothing else), kept from
-- `saved_reply.updated` / `saved_reply.deleted` events and loaded whole
-- once from `GET /saved_replies` (meta `saved_replies_loaded`), because a
-- cache made before this table skipped the earlier events.
-- Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE saved_replies (
    id          TEXT PRIMARY KEY NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    scope       TEXT NOT NULL,            -- team | personal
    owner_id    TEXT,                     -- personal: the owner
    category_id TEXT,                     -- offered only in this category
    attachments TEXT NOT NULL DEFAULT '[]', -- JSON array of upload ids
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
