-- Sorting the users list by email, last active or joined, each walked through its own index.
-- Email: copied onto the membership (as sort_name is), so a workspace's members are walked in email
-- order without visiting every account. Times: no NULLs in the keys (-infinity sorts before any
-- time), so one keyset condition pages through never-active members and pending invitations too.
ALTER TABLE memberships ADD COLUMN sort_email TEXT NOT NULL DEFAULT '';
UPDATE memberships SET sort_email = accounts.email FROM accounts WHERE accounts.id = memberships.account_id;
CREATE INDEX memberships_list_email ON memberships (workspace_id, sort_email, id);
DROP INDEX memberships_list_joined;
DROP INDEX memberships_list_active;
CREATE INDEX memberships_list_joined ON memberships (workspace_id, COALESCE(joined_at, '-infinity'::timestamp), id);
CREATE INDEX memberships_list_active ON memberships (workspace_id, COALESCE(last_active_at, '-infinity'::timestamp), id);
