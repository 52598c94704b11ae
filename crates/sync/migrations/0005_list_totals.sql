-- How long each list is, kept by triggers as rows come and go, so a window
-- of a list (and the first rows at start-up) reads its total without
-- counting the whole cache. Keys: 'all' (every cached conversation),
-- 'queued' (the queue), 'assigned:<agent id>' (an agent's open ones: "mine").
CREATE TABLE list_totals (
    key TEXT PRIMARY KEY NOT NULL,
    n   INTEGER NOT NULL
);

INSERT INTO list_totals (key, n) SELECT 'all', COUNT(*) FROM conversations;
INSERT INTO list_totals (key, n) SELECT 'queued', COUNT(*) FROM conversations WHERE state = 'queued';
INSERT INTO list_totals (key, n)
    SELECT 'assigned:' || assignee_id, COUNT(*) FROM conversations
    WHERE state = 'assigned' AND assignee_id IS NOT NULL GROUP BY assignee_id;

CREATE TRIGGER list_totals_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO list_totals (key, n) VALUES ('all', 1)
        ON CONFLICT (key) DO UPDATE SET n = n + 1;
    INSERT INTO list_totals (key, n)
        SELECT CASE NEW.state WHEN 'queued' THEN 'queued' ELSE 'assigned:' || NEW.assignee_id END, 1
        WHERE NEW.state = 'queued' OR (NEW.state = 'assigned' AND NEW.assignee_id IS NOT NULL)
        ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER list_totals_delete AFTER DELETE ON conversations BEGIN
    UPDATE list_totals SET n = n - 1 WHERE key = 'all';
    UPDATE list_totals SET n = n - 1
        WHERE key = CASE OLD.state WHEN 'queued' THEN 'queued' ELSE 'assigned:' || OLD.assignee_id END
        AND (OLD.state = 'queued' OR (OLD.state = 'assigned' AND OLD.assignee_id IS NOT NULL));
END;

CREATE TRIGGER list_totals_update AFTER UPDATE OF state, assignee_id ON conversations
    WHEN OLD.state IS NOT NEW.state OR OLD.assignee_id IS NOT NEW.assignee_id
BEGIN
    UPDATE list_totals SET n = n - 1
        WHERE key = CASE OLD.state WHEN 'queued' THEN 'queued' ELSE 'assigned:' || OLD.assignee_id END
        AND (OLD.state = 'queued' OR (OLD.state = 'assigned' AND OLD.assignee_id IS NOT NULL));
    INSERT INTO list_totals (key, n)
        SELECT CASE NEW.state WHEN 'queued' THEN 'queued' ELSE 'assigned:' || NEW.assignee_id END, 1
        WHERE NEW.state = 'queued' OR (NEW.state = 'assigned' AND NEW.assignee_id IS NOT NULL)
        ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;
