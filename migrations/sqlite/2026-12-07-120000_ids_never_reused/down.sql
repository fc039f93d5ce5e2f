-- The tables made again without AUTOINCREMENT (see up.sql).
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN;

-- workspaces
CREATE TABLE workspaces_rebuilt (
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
, require_two_factor BOOLEAN NOT NULL DEFAULT 0);
INSERT INTO workspaces_rebuilt SELECT * FROM workspaces;
DROP TABLE workspaces;
ALTER TABLE workspaces_rebuilt RENAME TO workspaces;

-- roles
CREATE TABLE roles_rebuilt (
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
INSERT INTO roles_rebuilt SELECT * FROM roles;
DROP TABLE roles;
ALTER TABLE roles_rebuilt RENAME TO roles;
CREATE UNIQUE INDEX roles_builtin_key ON roles (key) WHERE workspace_id IS NULL;
CREATE UNIQUE INDEX roles_workspace_name ON roles (workspace_id, lower(name)) WHERE workspace_id IS NOT NULL;

-- memberships
CREATE TABLE memberships_rebuilt (
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
    updated_at TIMESTAMP NOT NULL, sort_email TEXT NOT NULL DEFAULT '', external_id TEXT, scim_user_name TEXT, scim_email_type TEXT, scim_email_primary BOOLEAN,
    UNIQUE (account_id, workspace_id)
);
INSERT INTO memberships_rebuilt SELECT * FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_rebuilt RENAME TO memberships;
CREATE INDEX memberships_removed ON memberships (removed_at) WHERE status = 'removed';
CREATE INDEX memberships_workspace_id ON memberships (workspace_id, id);
CREATE INDEX memberships_list_joined ON memberships (workspace_id, COALESCE(joined_at, ''), id);
CREATE INDEX memberships_list_active ON memberships (workspace_id, COALESCE(last_active_at, ''), id);
CREATE INDEX memberships_role ON memberships (role_id, workspace_id, status);
CREATE INDEX memberships_list_name ON memberships (workspace_id, sort_name, id, status, sort_email);
CREATE INDEX memberships_list_email ON memberships (workspace_id, sort_email, id, status, sort_name);
CREATE INDEX memberships_search_matches ON memberships (account_id, workspace_id, status, sort_name);
CREATE INDEX memberships_external_id ON memberships (workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX memberships_scim ON memberships (workspace_id, id) WHERE status <> 'removed';
CREATE INDEX memberships_scim_user_name ON memberships (workspace_id, lower(COALESCE(scim_user_name, sort_email)));
CREATE INDEX memberships_dormant ON memberships (workspace_id, COALESCE(last_active_at, '')) WHERE status <> 'removed';
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
CREATE TRIGGER memberships_sort_keys_to_groups AFTER UPDATE OF sort_name, sort_email ON memberships
WHEN OLD.sort_name IS NOT NEW.sort_name OR OLD.sort_email IS NOT NEW.sort_email BEGIN
    UPDATE group_members SET sort_name = NEW.sort_name, sort_email = NEW.sort_email
    WHERE membership_id = NEW.id;
END;

-- invitations
CREATE TABLE invitations_rebuilt (
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
INSERT INTO invitations_rebuilt SELECT * FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_rebuilt RENAME TO invitations;
CREATE INDEX invitations_expiry ON invitations (expires_at);
CREATE INDEX invitations_workspace ON invitations (workspace_id);

-- groups
CREATE TABLE groups_rebuilt (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    member_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
, external_id TEXT, provisioned BOOLEAN NOT NULL DEFAULT FALSE);
INSERT INTO groups_rebuilt SELECT * FROM groups;
DROP TABLE groups;
ALTER TABLE groups_rebuilt RENAME TO groups;
CREATE UNIQUE INDEX groups_workspace_name ON groups (workspace_id, lower(name));

-- apps
CREATE TABLE apps_rebuilt (
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
INSERT INTO apps_rebuilt SELECT * FROM apps;
DROP TABLE apps;
ALTER TABLE apps_rebuilt RENAME TO apps;
CREATE INDEX apps_owner ON apps (owner_membership_id);
CREATE INDEX apps_unassigned_from ON apps (unassigned_from_membership_id);
CREATE UNIQUE INDEX apps_workspace_name ON apps (workspace_id, kind, lower(name));

-- grants
CREATE TABLE grants_rebuilt (
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
INSERT INTO grants_rebuilt SELECT * FROM grants;
DROP TABLE grants;
ALTER TABLE grants_rebuilt RENAME TO grants;
CREATE INDEX grants_membership ON grants (membership_id);
CREATE INDEX grants_group ON grants (group_id);

-- api_keys
CREATE TABLE api_keys_rebuilt (
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
, expires_at TIMESTAMP, last_used_ip TEXT);
INSERT INTO api_keys_rebuilt SELECT * FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_rebuilt RENAME TO api_keys;
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

-- sessions
CREATE TABLE sessions_rebuilt (
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
INSERT INTO sessions_rebuilt SELECT * FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_rebuilt RENAME TO sessions;
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_workspace ON sessions (workspace_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- import_previews
CREATE TABLE import_previews_rebuilt (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    rows_json TEXT NOT NULL,
    outcomes_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
INSERT INTO import_previews_rebuilt SELECT * FROM import_previews;
DROP TABLE import_previews;
ALTER TABLE import_previews_rebuilt RENAME TO import_previews;
CREATE INDEX import_previews_expires ON import_previews (expires_at);
-- Every reference still finds its row, or nothing is changed (the insert fails, and with it the
-- transaction).
CREATE TABLE ids_never_reused_check (broken INTEGER NOT NULL CHECK (broken = 0));
INSERT INTO ids_never_reused_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE ids_never_reused_check;
COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
