-- The CSV export walks a workspace's memberships in id order, a batch at a time.
CREATE INDEX memberships_workspace_id ON memberships (workspace_id, id);
