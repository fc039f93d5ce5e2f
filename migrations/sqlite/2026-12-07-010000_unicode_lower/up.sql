-- The console now gives every SQLite connection a `lower()` that folds all of Unicode, not only
-- ASCII (src/db/mod.rs): rebuild the indexes on `lower(...)` (email, group, role and app names,
-- SCIM user names) so that they hold what the new function computes.
REINDEX;
