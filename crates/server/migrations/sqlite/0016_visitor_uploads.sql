-- Files widget visitors upload (POST /widget/v1/uploads) into the same
-- storage as agents' uploads (docs/attachments.md): an upload is now an
-- agent's (agent_id) or a widget visitor's (session_id, the widget session
-- and so the conversation it may be attached to), never both. SQLite cannot
-- drop a NOT NULL, so the table is rebuilt (PostgreSQL's half:
-- migrations/postgres/0016_visitor_uploads.sql). Its chunks are rebuilt
-- with it: foreign keys are on while migrations run, and dropping a parent
-- that still has children fails (or, deferred, fails the commit), so the
-- children move to the new table first and the old pair is dropped child
-- first; the renames then carry the reference over.
CREATE TABLE uploads_owned (
    id TEXT PRIMARY KEY,
    agent_id TEXT REFERENCES agents(id),
    session_id TEXT,                  -- widget_sessions.id of a visitor's upload
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,       -- sniffed from the bytes
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,             -- lowercase hex
    chunks BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set once, when a message takes it: then it is that message's file.
    conversation_id TEXT REFERENCES conversations(id),
    message_id TEXT,
    position BIGINT,                  -- its place among the message's files
    CHECK ((agent_id IS NULL) <> (session_id IS NULL))
);
INSERT INTO uploads_owned (id, agent_id, session_id, filename, content_type, size, sha256, chunks,
    created_at, conversation_id, message_id, position)
SELECT id, agent_id, NULL, filename, content_type, size, sha256, chunks,
    created_at, conversation_id, message_id, position
FROM uploads;

CREATE TABLE upload_chunks_owned (
    upload_id TEXT NOT NULL REFERENCES uploads_owned(id),
    n BIGINT NOT NULL,                -- 0-based
    data BLOB NOT NULL,
    PRIMARY KEY (upload_id, n)
);
INSERT INTO upload_chunks_owned (upload_id, n, data) SELECT upload_id, n, data FROM upload_chunks;

DROP TABLE upload_chunks;
DROP TABLE uploads;
ALTER TABLE uploads_owned RENAME TO uploads;
ALTER TABLE upload_chunks_owned RENAME TO upload_chunks;
CREATE INDEX uploads_message ON uploads (message_id, position);
CREATE INDEX uploads_conversation ON uploads (conversation_id);
CREATE INDEX uploads_unattached ON uploads (created_at, message_id);
