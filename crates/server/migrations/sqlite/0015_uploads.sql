-- Files agents upload (POST /api/v1/uploads) and attach to replies. The
-- bytes are kept in the database, in chunks of 256 KiB (upload_chunks), so
-- every instance of a fleet serves them and an upload or a download never
-- holds a whole file in memory. The columns are the same on both backends;
-- only the chunks' type differs (BLOB here), hence one file per backend.
-- docs/attachments.md.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,       -- sniffed from the bytes
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,             -- lowercase hex
    chunks BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set once, when a reply takes it: then it is that message's file.
    conversation_id TEXT REFERENCES conversations(id),
    message_id TEXT,
    position BIGINT                   -- its place among the message's files
);
CREATE INDEX uploads_message ON uploads (message_id, position);
CREATE INDEX uploads_conversation ON uploads (conversation_id);
CREATE INDEX uploads_unattached ON uploads (created_at, message_id);

CREATE TABLE upload_chunks (
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    n BIGINT NOT NULL,                -- 0-based
    data BLOB NOT NULL,
    PRIMARY KEY (upload_id, n)
);

-- An SMS part that carries its reply's files: 'media' (as MediaUrl, MMS) or
-- 'links' (signed links appended to its text where MMS cannot be sent).
ALTER TABLE sms_outbox ADD COLUMN attachments TEXT;

INSERT INTO leases (name, holder, expires_at) VALUES ('upload_sweep', NULL, 0);
