-- Background work runs once across the fleet: whoever holds a lease does it.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT,
    expires_at BIGINT NOT NULL
);
INSERT INTO leases (name, holder, expires_at) VALUES ('threshold_watch', NULL, 0);

-- The waiting period (its start, in ms) already announced as overdue, so a
-- breach is announced once; a new waiting period announces again.
ALTER TABLE conversations ADD COLUMN overdue_for BIGINT;
