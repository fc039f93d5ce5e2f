DROP INDEX memberships_search_matches;
DROP INDEX memberships_list_name;
CREATE INDEX memberships_list_name ON memberships (workspace_id, sort_name, id);
DROP INDEX memberships_list_email;
CREATE INDEX memberships_list_email ON memberships (workspace_id, sort_email, id);
