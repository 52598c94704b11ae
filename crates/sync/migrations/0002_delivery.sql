-- How a reply sent out over the customer's channel (email, SMS) is doing:
-- the server's `delivery` object as JSON, NULL for messages not sent out.
ALTER TABLE messages ADD COLUMN delivery TEXT;
