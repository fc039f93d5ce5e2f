ALTER TABLE account_tokens DROP COLUMN requested_in;
