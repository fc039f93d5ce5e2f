DROP INDEX memberships_role;
