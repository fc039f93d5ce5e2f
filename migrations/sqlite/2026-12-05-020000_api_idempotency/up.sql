-- Idempotency-Key on the API's POSTs (issue 16): the first answer to a key's request, kept 24 hours
-- so that a retry with the same Idempotency-Key gets it again and does nothing twice. `status` 0
-- marks a request still being answered.
CREATE TABLE api_idempotency (
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
