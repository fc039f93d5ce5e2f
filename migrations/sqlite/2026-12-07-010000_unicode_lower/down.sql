-- Nothing to undo: the indexes are built with whichever `lower()` the connection has.
REINDEX accounts_email_unique;
REINDEX memberships_scim_user_name;
