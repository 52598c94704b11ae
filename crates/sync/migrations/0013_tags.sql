-- Tags (the server's `tag.updated` / `tag.deleted` events, and the list
-- fetched beside the categories): each as the API's JSON (`Tag`), in the
-- server's order. A conversation's tag ids are a sorted JSON array in
-- `conversations.tags`, taken from its summaries like every other column;
-- a deleted tag is dropped from every array here (the server sends one
-- `tag.deleted`, not an event per conversation).
CREATE TABLE tags (
    id       TEXT PRIMARY KEY NOT NULL,
    tag      TEXT NOT NULL,             -- JSON: Tag
    position INTEGER NOT NULL
);

ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
