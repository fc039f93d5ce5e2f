-- Issue 18 §3: how many members holding a seat have not been active since a day (never-active
-- ones included) is counted from this index alone, as the last-active order spells the key.
CREATE INDEX memberships_dormant ON memberships (workspace_id, COALESCE(last_active_at, '-infinity'::timestamp)) WHERE status <> 'removed';
