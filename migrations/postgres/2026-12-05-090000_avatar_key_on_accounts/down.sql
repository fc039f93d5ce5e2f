ALTER TABLE accounts DROP COLUMN avatar_key;
