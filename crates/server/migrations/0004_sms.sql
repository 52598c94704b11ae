-- SMS channel (src/channels/sms). Same SQL on SQLite and PostgreSQL.

-- Every inbound text stored, by Twilio's MessageSid: the same text posted
-- twice (Twilio retries, a replayed webhook) is recognised and stored once.
CREATE TABLE sms_inbound (
    message_sid TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    message_id TEXT NOT NULL,         -- our messages.id
    from_number TEXT NOT NULL,
    to_number TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sms_inbound_conversation ON sms_inbound (conversation_id);

-- A customer's SMS conversations are looked up by phone number.
CREATE INDEX conversations_customer_phone ON conversations (customer_phone, channel, created_at);

-- The SMS outbox: one row per request to the provider (a reply longer than
-- one request is split into parts), written in the reply's own transaction,
-- sent by a background job under a lease and retried with exponential
-- backoff. status: sending | sent | delivered | failed.
CREATE TABLE sms_outbox (
    message_id TEXT NOT NULL,         -- our messages.id
    part BIGINT NOT NULL,             -- 0-based
    parts BIGINT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    to_number TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    provider_sid TEXT,                -- Twilio's SM… once accepted
    provider_status TEXT,             -- Twilio's latest MessageStatus
    sent_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, part)
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_conversation ON sms_outbox (conversation_id);
CREATE INDEX sms_outbox_provider_sid ON sms_outbox (provider_sid);

INSERT INTO leases (name, holder, expires_at) VALUES ('sms_outbox', NULL, 0);
