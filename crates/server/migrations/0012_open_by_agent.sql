-- Agents' loads (open conversations per agent) are counted by routing,
-- the agents list and every sign-in. Through this index the count walks
-- the open (assigned) conversations only, not every resolved one that
-- still names the agent who closed it.
CREATE INDEX conversations_open_by_agent ON conversations (state, assignee_id);
