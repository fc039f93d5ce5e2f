-- Two-factor sign-in (TOTP): the account's key, sealed with the server's encryption key, when it
-- was turned on, and the last time step used (a code works once). A key being enrolled lives in
-- the enrolling person's session until a first code confirms it.
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_enabled_at TIMESTAMP;
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;

-- Ten single-use recovery codes per account, stored as SHA-256.
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_account ON recovery_codes (account_id);

-- "Require two-factor sign-in for Owners and Admins".
ALTER TABLE workspaces ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
