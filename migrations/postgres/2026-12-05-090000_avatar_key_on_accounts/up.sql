-- The key of the account's picture beside the account itself: the users list and a member's page
-- read it with the account instead of joining the pictures table for every row (issue 20).
ALTER TABLE accounts ADD COLUMN avatar_key TEXT;
UPDATE accounts SET avatar_key = (SELECT a.key FROM avatars a WHERE a.account_id = accounts.id)
WHERE id IN (SELECT account_id FROM avatars);
