DROP INDEX memberships_list_email;
ALTER TABLE memberships DROP COLUMN sort_email;
DROP INDEX memberships_list_joined;
DROP INDEX memberships_list_active;
CREATE INDEX memberships_list_joined ON memberships (workspace_id, joined_at, id);
CREATE INDEX memberships_list_active ON memberships (workspace_id, last_active_at, id);
