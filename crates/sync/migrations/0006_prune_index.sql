-- The cache drops resolved conversations older than the team's retention
-- after each connection and hourly: this index finds them without walking
-- every resolved conversation kept.
CREATE INDEX conversations_age ON conversations (state, updated_at);
