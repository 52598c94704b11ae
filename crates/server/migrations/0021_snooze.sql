-- Snooze (ops/snooze.rs; the rules in switchboard-core's snooze). Same SQL
-- on SQLite and PostgreSQL.
--
-- A snoozed conversation has state 'snoozed' and keeps its assignee;
-- snoozed_until is when it wakes (ms; NULL: when the customer writes). The
-- column means something only while the state is 'snoozed'. The wake job
-- reads the index in wake order.
ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
CREATE INDEX conversations_snoozed ON conversations (state, snoozed_until);
