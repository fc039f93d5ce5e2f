-- Issue 19: a workspace's Slack connection (its bot token sealed with the encryption key), the
-- Slack workspace's people as last read (searched here, never in Slack), and the direct messages
-- waiting to be sent (an outbox of their own: Slack being down delays them, never loses them).
CREATE TABLE slack_connections (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    team_id TEXT NOT NULL,
    team_name TEXT NOT NULL,
    bot_user_id TEXT,
    scopes TEXT NOT NULL,
    token_sealed TEXT NOT NULL,
    connected_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    connected_at TIMESTAMP NOT NULL,
    people_read_at TIMESTAMP,
    read_requested_at TIMESTAMP,
    read_lease_until TIMESTAMP,
    read_error TEXT,
    read_progress BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX slack_connections_read_due ON slack_connections (read_requested_at);

CREATE TABLE slack_people (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slack_user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    is_guest BOOLEAN NOT NULL DEFAULT 0,
    search TEXT NOT NULL,
    PRIMARY KEY (workspace_id, slack_user_id)
);
CREATE INDEX slack_people_by_name ON slack_people (workspace_id, name);
-- The search reads this index alone when it counts the matches (no table rows).
CREATE INDEX slack_people_search ON slack_people (workspace_id, search);

CREATE TABLE slack_messages (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slack_user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX slack_messages_due ON slack_messages (state, next_attempt_at);
