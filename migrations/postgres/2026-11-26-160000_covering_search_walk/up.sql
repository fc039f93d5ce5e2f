-- A search with many matches walks the users list's name or email index and tests each member's
-- own copies of their lower-cased name and email: with the status and the other key in the index
-- the walk is an index-only scan that reads no account.
DROP INDEX memberships_list_name;
CREATE INDEX memberships_list_name ON memberships (workspace_id, sort_name, id) INCLUDE (status, sort_email);
DROP INDEX memberships_list_email;
CREATE INDEX memberships_list_email ON memberships (workspace_id, sort_email, id) INCLUDE (status, sort_name);
-- A search's matching accounts, looked up member by member and sorted by name: one index read each.
CREATE INDEX memberships_search_matches ON memberships (account_id, workspace_id, status, sort_name);
