DROP INDEX memberships_scim;
DROP INDEX memberships_external_id;
ALTER TABLE memberships DROP COLUMN external_id;
ALTER TABLE groups DROP COLUMN external_id;
ALTER TABLE groups DROP COLUMN provisioned;
