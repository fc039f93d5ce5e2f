DROP TABLE avatars;
CREATE TABLE avatars (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    png BYTEA NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
