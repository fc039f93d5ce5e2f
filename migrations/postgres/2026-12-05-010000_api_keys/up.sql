-- API keys (issue 16): an expiry, and where the key was last used from (written at most once a
-- minute, with `last_used_at`).
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN last_used_ip TEXT;
