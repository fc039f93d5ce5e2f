-- Who holds a role: a custom role's holders are counted and listed on its page, deleting a role
-- checks that no membership points at it (the foreign key's own check reads this index too), and
-- the last-Owner rule counts a workspace's active Owners.
CREATE INDEX memberships_role ON memberships (role_id, workspace_id, status);
