-- The console now gives every SQLite connection a `lower()` that folds all of Unicode, not only
-- ASCII (src/db/mod.rs). The indexes on `lower(...)` are built again with it.
--
-- Names unique "whatever their case" could be stored twice under the ASCII-only `lower()` when
-- they differed in a non-ASCII capital ("Équipe", "équipe"): the unique indexes are dropped, the
-- later of each such pair gets its id after its name ("équipe (12)"), and they are made again.
DROP INDEX roles_workspace_name;
DROP INDEX groups_workspace_name;
DROP INDEX apps_workspace_name;

UPDATE roles SET name = name || ' (' || id || ')'
WHERE workspace_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM roles AS earlier
    WHERE earlier.workspace_id = roles.workspace_id
      AND lower(earlier.name) = lower(roles.name) AND earlier.id < roles.id);
UPDATE groups SET name = name || ' (' || id || ')'
WHERE EXISTS (
    SELECT 1 FROM groups AS earlier
    WHERE earlier.workspace_id = groups.workspace_id
      AND lower(earlier.name) = lower(groups.name) AND earlier.id < groups.id);
UPDATE apps SET name = name || ' (' || id || ')'
WHERE EXISTS (
    SELECT 1 FROM apps AS earlier
    WHERE earlier.workspace_id = apps.workspace_id AND earlier.kind = apps.kind
      AND lower(earlier.name) = lower(apps.name) AND earlier.id < apps.id);

CREATE UNIQUE INDEX roles_workspace_name ON roles (workspace_id, lower(name)) WHERE workspace_id IS NOT NULL;
CREATE UNIQUE INDEX groups_workspace_name ON groups (workspace_id, lower(name));
CREATE UNIQUE INDEX apps_workspace_name ON apps (workspace_id, kind, lower(name));

-- Emails are stored lower-cased by the console already; SCIM user names are not unique.
REINDEX accounts_email_unique;
REINDEX memberships_scim_user_name;
