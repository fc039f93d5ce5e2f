DROP INDEX memberships_workspace_id;
