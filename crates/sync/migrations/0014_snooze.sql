-- Snooze: while a conversation's state is 'snoozed', when it wakes (ms;
-- NULL: when the customer writes), from its summaries like every other
-- column. The list totals' triggers count only 'queued' and 'assigned', so
-- a snoozed conversation leaves "mine" by its state alone; the Snoozed
-- list is counted through conversations_assignee (assignee_id, state).
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
