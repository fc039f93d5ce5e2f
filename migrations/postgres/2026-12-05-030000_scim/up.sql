-- SCIM (issue 17): the identity provider's own id for a member and for a group (`externalId`),
-- looked up by the provider's sync (`filter=externalId eq "…"`).
ALTER TABLE memberships ADD COLUMN external_id TEXT;
CREATE INDEX memberships_external_id ON memberships (workspace_id, external_id) WHERE external_id IS NOT NULL;
ALTER TABLE groups ADD COLUMN external_id TEXT;
-- An identity provider's full sync pages through everyone but removed members by id
-- (`startIndex`): this index walks them without reading the rows.
CREATE INDEX memberships_scim ON memberships (workspace_id, id) WHERE status <> 'removed';
-- Groups an identity provider created: their page says so (its next sync may undo changes here).
ALTER TABLE groups ADD COLUMN provisioned BOOLEAN NOT NULL DEFAULT FALSE;
-- The identity provider's userName for a member it provisioned, when it is not their email address
-- (GitLab- and Keycloak-style usernames); the email then comes from `emails`.
ALTER TABLE memberships ADD COLUMN scim_user_name TEXT;
-- An IdP looks a person up by userName: their username, else their address.
CREATE INDEX memberships_scim_user_name ON memberships (workspace_id, lower(COALESCE(scim_user_name, sort_email)));
