-- Avatars are served at an unguessable, per-upload address (/avatars/<key>.png), so they can be
-- cached for good and fetched without a database check of who may see whom.
DROP TABLE avatars;
CREATE TABLE avatars (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL UNIQUE,
    png BYTEA NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
