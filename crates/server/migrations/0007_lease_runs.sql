-- When each background job's lease was last renewed (its holder's last run),
-- for /api/v1/health/details.
ALTER TABLE leases ADD COLUMN renewed_at BIGINT;
