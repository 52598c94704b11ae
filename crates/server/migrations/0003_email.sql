-- Email channel (src/channels/email). Same SQL on SQLite and PostgreSQL.

-- Every RFC 5322 Message-ID we know: the ones we received (direction 'in')
-- and the ones we sent (direction 'out'). Threading looks replies up here,
-- and a Message-ID received twice is recognised as the same message.
CREATE TABLE email_messages (
    rfc_id TEXT PRIMARY KEY,          -- Message-ID without the angle brackets
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    message_id TEXT,                  -- our messages.id
    direction TEXT NOT NULL,          -- in | out
    created_at BIGINT NOT NULL
);
CREATE INDEX email_messages_conversation ON email_messages (conversation_id, created_at);

-- One row per email conversation: the reply token put in outgoing subjects
-- (`[#SB-token]`) so a reply whose headers were stripped still finds its way.
CREATE TABLE email_threads (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    token TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- Attachments of inbound messages; bytes as base64 text (portable).
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    message_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- The SMTP outbox: one row per agent reply on an email conversation, written
-- in the reply's own transaction, sent by a background job under a lease and
-- retried with exponential backoff. status: sending | sent | failed.
CREATE TABLE email_outbox (
    message_id TEXT PRIMARY KEY,      -- our messages.id
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    rfc_id TEXT,                      -- the Message-ID it is sent with (set on the first attempt)
    to_name TEXT,
    to_addr TEXT,
    subject TEXT NOT NULL,
    in_reply_to TEXT,
    refs TEXT NOT NULL,               -- space-separated Message-IDs, oldest first
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    sent_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_conversation ON email_outbox (conversation_id);

INSERT INTO leases (name, holder, expires_at) VALUES ('email_outbox', NULL, 0);
INSERT INTO leases (name, holder, expires_at) VALUES ('email_imap', NULL, 0);
