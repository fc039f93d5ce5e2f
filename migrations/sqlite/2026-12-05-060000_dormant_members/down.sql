DROP INDEX memberships_dormant;
