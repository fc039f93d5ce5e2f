-- SCIM (issue 17): the label an identity provider gives a member's one address (`emails[].type`,
-- `emails[].primary`), kept as sent so it reads back the same; NULL: not said (work, primary).
ALTER TABLE memberships ADD COLUMN scim_email_type TEXT;
ALTER TABLE memberships ADD COLUMN scim_email_primary BOOLEAN;
