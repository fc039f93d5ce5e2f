DROP TRIGGER memberships_sort_keys_to_groups;
DROP TRIGGER group_members_sort_keys;
DROP INDEX group_members_by_email;
DROP INDEX group_members_by_name;
ALTER TABLE group_members DROP COLUMN sort_email;
ALTER TABLE group_members DROP COLUMN sort_name;
