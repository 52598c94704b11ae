-- Mail from someone other than the customer (src/channels/email/inbound.rs).
-- Same SQL on SQLite and PostgreSQL.

-- A customer message that threaded into a conversation (by In-Reply-To,
-- References, the [#SB-…] subject token or a +sb-… address tag) but came
-- from an address other than the conversation's customer's: flagged (1) and
-- its real address kept (NULL when the mail named none). `author` then holds
-- the real sender's name and address. 0 / NULL for every other message.
ALTER TABLE messages ADD COLUMN from_other_address BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN from_address TEXT;
