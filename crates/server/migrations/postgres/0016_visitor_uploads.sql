-- Files widget visitors upload (POST /widget/v1/uploads) into the same
-- storage as agents' uploads (docs/attachments.md): an upload is now an
-- agent's (agent_id) or a widget visitor's (session_id, the widget session
-- and so the conversation it may be attached to), never both. SQLite's half
-- (a rebuild) is migrations/sqlite/0016_visitor_uploads.sql.
ALTER TABLE uploads ALTER COLUMN agent_id DROP NOT NULL;
ALTER TABLE uploads ADD COLUMN session_id TEXT;
ALTER TABLE uploads ADD CONSTRAINT uploads_one_owner CHECK ((agent_id IS NULL) <> (session_id IS NULL));
