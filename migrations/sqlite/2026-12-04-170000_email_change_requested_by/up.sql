-- Who asked for an email change: a change someone else asked for is judged again when its link is
-- confirmed (the account may have joined other workspaces meanwhile).
ALTER TABLE account_tokens ADD COLUMN requested_by BIGINT;
