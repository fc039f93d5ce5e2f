// One schema for both backends: only types that SQLite and PostgreSQL both map (see diesel.toml).
// The SQLite FTS table `account_search` is not here: only `store::memberships` queries it, by SQL.

diesel::table! {
    organization (id) {
        id -> BigInt,
        name -> Text,
        setup_completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        password_hash -> Nullable<Text>,
        timezone -> Text,
        avatar_updated_at -> Nullable<Timestamp>,
        status -> Text,
        org_role -> Text,
        session_epoch -> BigInt,
        blocked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        avatar_key -> Nullable<Text>,
    }
}

diesel::table! {
    avatars (account_id) {
        account_id -> BigInt,
        key -> Text,
        png -> Binary,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        account_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        new_email -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        requested_by -> Nullable<BigInt>,
        requested_in -> Nullable<BigInt>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        account_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_throttles (key) {
        key -> Text,
        failures -> BigInt,
        window_started_at -> Timestamp,
        last_failure_at -> Timestamp,
        paused_until -> Nullable<Timestamp>,
        reported_at -> Nullable<Timestamp>,
        unreported -> BigInt,
    }
}

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        name -> Text,
        slug -> Text,
        plan -> Text,
        seat_limit -> Nullable<BigInt>,
        invited_count -> BigInt,
        active_count -> BigInt,
        suspended_count -> BigInt,
        removed_count -> BigInt,
        lock_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        require_two_factor -> Bool,
    }
}

diesel::table! {
    workspace_slug_redirects (old_slug) {
        old_slug -> Text,
        workspace_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        workspace_id -> Nullable<BigInt>,
        key -> Text,
        name -> Text,
        description -> Text,
        permissions -> Text,
        built_in -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        account_id -> BigInt,
        role_id -> BigInt,
        status -> Text,
        sort_name -> Text,
        invited_by -> Nullable<BigInt>,
        joined_at -> Nullable<Timestamp>,
        last_active_at -> Nullable<Timestamp>,
        suspended_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        removal_snapshot -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sort_email -> Text,
        external_id -> Nullable<Text>,
        scim_user_name -> Nullable<Text>,
        scim_email_type -> Nullable<Text>,
        scim_email_primary -> Nullable<Bool>,
    }
}

diesel::table! {
    groups (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        description -> Text,
        member_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        external_id -> Nullable<Text>,
        provisioned -> Bool,
    }
}

diesel::table! {
    group_members (group_id, membership_id) {
        group_id -> BigInt,
        membership_id -> BigInt,
        created_at -> Timestamp,
        sort_name -> Text,
        sort_email -> Text,
    }
}

diesel::table! {
    apps (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        kind -> Text,
        name -> Text,
        owner_membership_id -> Nullable<BigInt>,
        unassigned_from_membership_id -> Nullable<BigInt>,
        restricted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grants (id) {
        id -> BigInt,
        app_id -> BigInt,
        membership_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        level -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assets (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        kind -> Text,
        name -> Text,
        owner_membership_id -> Nullable<BigInt>,
        unassigned_from_membership_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        membership_id -> BigInt,
        email -> Text,
        token_hash -> Text,
        invited_by -> Nullable<BigInt>,
        expires_at -> Timestamp,
        sent_count -> BigInt,
        last_sent_at -> Nullable<Timestamp>,
        outbox_email_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitation_groups (invitation_id, group_id) {
        invitation_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::table! {
    invitation_apps (invitation_id, app_id) {
        invitation_id -> BigInt,
        app_id -> BigInt,
        level -> Text,
    }
}

diesel::table! {
    api_idempotency (api_key_id, idempotency_key) {
        api_key_id -> BigInt,
        idempotency_key -> Text,
        fingerprint -> Text,
        status -> Integer,
        content_type -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        scopes -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        form_mark -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        workspace_id -> Nullable<BigInt>,
        actor_account_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<BigInt>,
        target_label -> Text,
        changes -> Text,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    audit_event_people (account_id, event_id) {
        account_id -> BigInt,
        event_id -> BigInt,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> BigInt,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        key_hash -> Text,
        account_id -> Nullable<BigInt>,
        workspace_id -> Nullable<BigInt>,
        state -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    import_previews (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        account_id -> BigInt,
        file_name -> Text,
        rows_json -> Text,
        outcomes_json -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    slack_connections (workspace_id) {
        workspace_id -> BigInt,
        team_id -> Text,
        team_name -> Text,
        bot_user_id -> Nullable<Text>,
        scopes -> Text,
        token_sealed -> Text,
        connected_by -> Nullable<BigInt>,
        connected_at -> Timestamp,
        people_read_at -> Nullable<Timestamp>,
        read_requested_at -> Nullable<Timestamp>,
        read_lease_until -> Nullable<Timestamp>,
        read_error -> Nullable<Text>,
        read_progress -> BigInt,
    }
}

diesel::table! {
    slack_people (workspace_id, slack_user_id) {
        workspace_id -> BigInt,
        slack_user_id -> Text,
        name -> Text,
        first_name -> Text,
        last_name -> Text,
        email -> Text,
        is_guest -> Bool,
        search -> Text,
    }
}

diesel::table! {
    slack_messages (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        slack_user_id -> Text,
        text -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(avatars -> accounts (account_id));
diesel::joinable!(account_tokens -> accounts (account_id));
diesel::joinable!(workspace_slug_redirects -> workspaces (workspace_id));
diesel::joinable!(roles -> workspaces (workspace_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(memberships -> roles (role_id));
diesel::joinable!(recovery_codes -> accounts (account_id));
diesel::joinable!(memberships -> accounts (account_id));
diesel::joinable!(groups -> workspaces (workspace_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> memberships (membership_id));
diesel::joinable!(apps -> workspaces (workspace_id));
diesel::joinable!(grants -> apps (app_id));
diesel::joinable!(grants -> groups (group_id));
diesel::joinable!(grants -> memberships (membership_id));
diesel::joinable!(assets -> workspaces (workspace_id));
diesel::joinable!(invitations -> memberships (membership_id));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(invitations -> outbox_emails (outbox_email_id));
diesel::joinable!(invitation_groups -> invitations (invitation_id));
diesel::joinable!(invitation_apps -> invitations (invitation_id));
diesel::joinable!(api_keys -> workspaces (workspace_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(audit_event_people -> audit_events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    organization,
    accounts,
    avatars,
    account_tokens,
    workspaces,
    workspace_slug_redirects,
    roles,
    memberships,
    groups,
    group_members,
    apps,
    grants,
    assets,
    invitations,
    invitation_groups,
    invitation_apps,
    api_keys,
    audit_events,
    audit_event_people,
    outbox_emails,
    sessions,
    recovery_codes,
    sign_in_throttles,
    import_previews,
    slack_connections,
    slack_people,
    slack_messages,
);
