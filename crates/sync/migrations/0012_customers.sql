-- Customer profiles (the server's `customer.updated` events, and each
-- profile the conversation view's side panel fetched): the whole profile as
-- the API's JSON (`CustomerProfile`), newest `updated_at` kept, so the side
-- panel shows the customer offline. A conversation names its profile in
-- `customer_id` (absent for conversations cached before profiles, until
-- their next event or fetch).
-- Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE customers (
    id         TEXT PRIMARY KEY NOT NULL,
    profile    TEXT NOT NULL,             -- JSON: CustomerProfile
    updated_at INTEGER NOT NULL
);

ALTER TABLE conversations ADD COLUMN customer_id TEXT;
CREATE INDEX conversations_customer ON conversations (customer_id, created_at);
