-- The whole data model of PRODUCT §2 (SQLite). Timestamps are UTC text written by diesel.

CREATE TABLE organization (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    setup_completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- One organization per install; /setup gives it a name. Locking this row serialises org-wide changes.
INSERT INTO organization (id, name) VALUES (1, '');

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    avatar_updated_at TIMESTAMP,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    org_role TEXT NOT NULL DEFAULT 'member' CHECK (org_role IN ('owner', 'admin', 'member')),
    session_epoch BIGINT NOT NULL DEFAULT 0,
    blocked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX accounts_email_unique ON accounts (lower(email));
CREATE INDEX accounts_org_role ON accounts (org_role) WHERE org_role <> 'member';

-- Substring search over email and names: an FTS5 trigram index kept in step by triggers.
-- No column sizes (no ranking is done) and larger leaf pages: a third less work per row indexed.
CREATE VIRTUAL TABLE account_search USING fts5(search, tokenize = 'trigram', columnsize = 0);
INSERT INTO account_search (account_search, rank) VALUES ('pgsz', 4000);
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO account_search (rowid, search)
    VALUES (NEW.id, NEW.email || ' ' || NEW.first_name || ' ' || NEW.last_name);
END;
CREATE TRIGGER accounts_search_update AFTER UPDATE OF email, first_name, last_name ON accounts BEGIN
    UPDATE account_search SET search = NEW.email || ' ' || NEW.first_name || ' ' || NEW.last_name
    WHERE rowid = NEW.id;
END;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    DELETE FROM account_search WHERE rowid = OLD.id;
END;

CREATE TABLE avatars (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    png BLOB NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE account_tokens (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_change')),
    token_hash TEXT NOT NULL UNIQUE,
    new_email TEXT,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX account_tokens_account ON account_tokens (account_id);

CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'team', 'business', 'enterprise')),
    seat_limit BIGINT,
    -- Maintained by the triggers below so a list header never counts a million rows.
    invited_count BIGINT NOT NULL DEFAULT 0,
    active_count BIGINT NOT NULL DEFAULT 0,
    suspended_count BIGINT NOT NULL DEFAULT 0,
    removed_count BIGINT NOT NULL DEFAULT 0,
    lock_version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE workspace_slug_redirects (
    old_slug TEXT PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    -- NULL for the built-in roles shared by every workspace.
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Space-separated permission keys of PRODUCT §3.
    permissions TEXT NOT NULL,
    built_in BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX roles_builtin_key ON roles (key) WHERE workspace_id IS NULL;
CREATE UNIQUE INDEX roles_workspace_name ON roles (workspace_id, lower(name)) WHERE workspace_id IS NOT NULL;
INSERT INTO roles (id, workspace_id, key, name, description, permissions, built_in, created_at, updated_at) VALUES
    (1, NULL, 'owner', 'Owner', 'Everything, including plan, URL, API keys and ownership', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    (2, NULL, 'admin', 'Admin', 'Everything but what is reserved to owners', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    (3, NULL, 'auditor', 'Auditor', 'Reads everything, changes nothing', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    (4, NULL, 'member', 'Member', 'Only their own profile', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'suspended', 'removed')),
    -- Lower-cased display name (or email while it has none): the list's keyset order.
    sort_name TEXT NOT NULL,
    invited_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    joined_at TIMESTAMP,
    last_active_at TIMESTAMP,
    suspended_at TIMESTAMP,
    removed_at TIMESTAMP,
    -- What a removal ended (groups, grants), so a restore can bring it back.
    removal_snapshot TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, workspace_id)
);
-- Keyset orders of the list; role and status filters walk these (no index per filter combination).
CREATE INDEX memberships_list_name ON memberships (workspace_id, sort_name, id);
CREATE INDEX memberships_list_joined ON memberships (workspace_id, joined_at, id);
CREATE INDEX memberships_list_active ON memberships (workspace_id, last_active_at, id);
CREATE INDEX memberships_removed ON memberships (removed_at) WHERE status = 'removed';

CREATE TRIGGER memberships_count_insert AFTER INSERT ON memberships BEGIN
    UPDATE workspaces SET
        invited_count = invited_count + (NEW.status = 'invited'),
        active_count = active_count + (NEW.status = 'active'),
        suspended_count = suspended_count + (NEW.status = 'suspended'),
        removed_count = removed_count + (NEW.status = 'removed')
    WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER memberships_count_update AFTER UPDATE OF status ON memberships
WHEN OLD.status <> NEW.status BEGIN
    UPDATE workspaces SET
        invited_count = invited_count + (NEW.status = 'invited') - (OLD.status = 'invited'),
        active_count = active_count + (NEW.status = 'active') - (OLD.status = 'active'),
        suspended_count = suspended_count + (NEW.status = 'suspended') - (OLD.status = 'suspended'),
        removed_count = removed_count + (NEW.status = 'removed') - (OLD.status = 'removed')
    WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER memberships_count_delete AFTER DELETE ON memberships BEGIN
    UPDATE workspaces SET
        invited_count = invited_count - (OLD.status = 'invited'),
        active_count = active_count - (OLD.status = 'active'),
        suspended_count = suspended_count - (OLD.status = 'suspended'),
        removed_count = removed_count - (OLD.status = 'removed')
    WHERE id = OLD.workspace_id;
END;

CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    member_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_workspace_name ON groups (workspace_id, lower(name));

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    membership_id BIGINT NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, membership_id)
);
CREATE INDEX group_members_membership ON group_members (membership_id);
CREATE TRIGGER group_members_count_insert AFTER INSERT ON group_members BEGIN
    UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER group_members_count_delete AFTER DELETE ON group_members BEGIN
    UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id;
END;

CREATE TABLE apps (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('app', 'workflow', 'project')),
    name TEXT NOT NULL,
    owner_membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    -- Set when a removal left it unassigned: a restore gives it back.
    unassigned_from_membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    restricted BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX apps_workspace_name ON apps (workspace_id, kind, lower(name));
CREATE INDEX apps_owner ON apps (owner_membership_id);
CREATE INDEX apps_unassigned_from ON apps (unassigned_from_membership_id);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    membership_id BIGINT REFERENCES memberships (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('view', 'run', 'edit')),
    created_at TIMESTAMP NOT NULL,
    CHECK ((membership_id IS NULL) <> (group_id IS NULL)),
    UNIQUE (app_id, membership_id),
    UNIQUE (app_id, group_id)
);
CREATE INDEX grants_membership ON grants (membership_id);
CREATE INDEX grants_group ON grants (group_id);

CREATE TABLE assets (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'flow', 'recipe')),
    name TEXT NOT NULL,
    owner_membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    unassigned_from_membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assets_owner ON assets (owner_membership_id);
CREATE INDEX assets_unassigned_from ON assets (unassigned_from_membership_id);
CREATE INDEX assets_workspace ON assets (workspace_id, kind);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The pending membership (status 'invited') this invitation turns active on accept.
    membership_id BIGINT NOT NULL UNIQUE REFERENCES memberships (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    expires_at TIMESTAMP NOT NULL,
    sent_count BIGINT NOT NULL DEFAULT 0,
    last_sent_at TIMESTAMP,
    outbox_email_id BIGINT REFERENCES outbox_emails (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX invitations_expiry ON invitations (expires_at);
CREATE INDEX invitations_workspace ON invitations (workspace_id);

CREATE TABLE invitation_groups (
    invitation_id BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, group_id)
);

CREATE TABLE invitation_apps (
    invitation_id BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('view', 'run', 'edit')),
    PRIMARY KEY (invitation_id, app_id)
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

-- Append-only: no foreign keys (events outlive what they name) and no UPDATE or DELETE.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT,
    actor_account_id BIGINT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BIGINT,
    target_label TEXT NOT NULL,
    changes TEXT NOT NULL DEFAULT '{}',
    ip TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id);
CREATE INDEX audit_events_actor ON audit_events (workspace_id, actor_account_id, id);
CREATE INDEX audit_events_target ON audit_events (workspace_id, target_type, target_id, id);
CREATE INDEX audit_events_action ON audit_events (workspace_id, action, id);
CREATE INDEX audit_events_created ON audit_events (workspace_id, created_at);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE outbox_emails (
    id INTEGER PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_emails_due ON outbox_emails (state, next_attempt_at);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    -- SHA-256 of the cookie's session key: a copy of this table signs nobody in.
    key_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_workspace ON sessions (workspace_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
