DROP INDEX group_members_membership;
CREATE INDEX group_members_membership ON group_members (membership_id);
