DROP TRIGGER memberships_sort_keys_to_groups ON memberships;
DROP FUNCTION memberships_sort_keys_to_groups();
DROP TRIGGER group_members_sort_keys ON group_members;
DROP FUNCTION group_members_sort_keys();
DROP INDEX group_members_by_email;
DROP INDEX group_members_by_name;
ALTER TABLE group_members DROP COLUMN sort_email;
ALTER TABLE group_members DROP COLUMN sort_name;
