ALTER TABLE memberships DROP COLUMN scim_email_primary;
ALTER TABLE memberships DROP COLUMN scim_email_type;
