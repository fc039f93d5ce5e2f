-- The users list shows each row's groups: (membership_id, group_id) answers "which groups of these
-- members" from the index alone, without a lookup of each group_members row.
DROP INDEX group_members_membership;
CREATE INDEX group_members_membership ON group_members (membership_id, group_id);
