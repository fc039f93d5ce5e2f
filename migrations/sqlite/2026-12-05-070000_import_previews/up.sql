-- Issue 18 §1: a CSV import's preview, kept an hour so that its commit does exactly what it showed:
-- the file's rows and what the preview said each would do (the commit checks they still hold).
CREATE TABLE import_previews (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    rows_json TEXT NOT NULL,
    outcomes_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX import_previews_expires ON import_previews (expires_at);
