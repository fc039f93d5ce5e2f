DROP INDEX memberships_scim_user_name;
ALTER TABLE memberships DROP COLUMN scim_user_name;
DROP INDEX memberships_scim;
DROP INDEX memberships_external_id;
ALTER TABLE memberships DROP COLUMN external_id;
ALTER TABLE groups DROP COLUMN external_id;
ALTER TABLE groups DROP COLUMN provisioned;
