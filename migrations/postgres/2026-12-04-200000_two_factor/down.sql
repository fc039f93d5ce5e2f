DROP TABLE recovery_codes;
ALTER TABLE workspaces DROP COLUMN require_two_factor;
ALTER TABLE accounts DROP COLUMN totp_last_step;
ALTER TABLE accounts DROP COLUMN totp_enabled_at;
ALTER TABLE accounts DROP COLUMN totp_secret;
