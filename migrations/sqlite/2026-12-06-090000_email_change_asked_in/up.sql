-- The workspace whose console asked for an email change: a change someone else asked for is
-- judged again when its link is confirmed, as the asker stands in that workspace then. A deleted
-- workspace takes its requests with it (an id SQLite reuses is never judged in its place).
ALTER TABLE account_tokens ADD COLUMN requested_in BIGINT REFERENCES workspaces (id) ON DELETE CASCADE;
