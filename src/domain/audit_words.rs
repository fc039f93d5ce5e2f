//! Audit events in words: "Ada suspended grace@example.com", and "role: Member → Admin" for the
//! fields an event changed.

use super::timezone::Timezone;

/// Every action the product writes, with how it reads ("{actor} suspended {target}") and its
/// label in the action filter.
#[rustfmt::skip]
pub const ACTIONS: &[(&str, &str, &str)] = &[
    ("organization.set_up", "set up the organization", "Organization set up"),
    ("organization.renamed", "renamed the organization to {target}", "Organization renamed"),
    ("session.signed_in", "signed in", "Signed in"),
    ("session.signed_out", "signed out", "Signed out"),
    ("session.sign_in_failed", "failed to sign in as {target}", "Failed sign-in"),
    ("account.own_check_failed", "gave a wrong password or code while signed in", "Wrong password while signed in"),
    ("account.sign_in_paused", "made sign-in to {target} pause after failed attempts", "Sign-in paused"),
    ("account.sign_in_cleared", "cleared the sign-in pause of {target}", "Sign-in pause cleared"),
    ("account.password_reset_requested", "asked for a password reset link for {target}", "Password reset asked"),
    ("account.welcome_link_sent", "sent {target} a link to choose a password", "Welcome link sent"),
    ("account.password_reset", "set a new password for {target} with a reset link", "Password reset"),
    ("account.two_factor_enabled", "turned on two-factor sign-in", "Two-factor on"),
    ("account.two_factor_disabled", "turned off two-factor sign-in", "Two-factor off"),
    ("account.recovery_codes_regenerated", "made new recovery codes", "Recovery codes renewed"),
    ("account.two_factor_reset", "reset the two-factor sign-in of {target}", "Two-factor reset"),
    ("session.recovery_code_used", "signed in with a recovery code", "Recovery code used"),
    ("member.invited", "invited {target}", "Invited"),
    ("invitation.resent", "sent the invitation to {target} again", "Invitation resent"),
    ("invitation.revoked", "revoked the invitation of {target}", "Invitation revoked"),
    ("invitation.expired", "let the invitation of {target} expire", "Invitation expired"),
    ("member.joined", "joined the workspace", "Joined"),
    ("member.provisioned", "added {target} from the identity provider", "Provisioned"),
    ("member.added_from_slack", "added {target} from Slack", "Added from Slack"),
    ("member.owner_created", "made {target} an Owner", "Owner created"),
    ("member.role_changed", "changed the role of {target}", "Role changed"),
    ("member.profile_changed", "edited the profile of {target}", "Profile edited"),
    ("member.user_name_changed", "changed the identity provider's userName of {target}", "userName changed"),
    ("member.email_label_changed", "changed the email label of {target}", "Email label changed"),
    ("member.external_id_changed", "changed the identity provider's id of {target}", "External id changed"),
    ("member.suspended", "suspended {target}", "Suspended"),
    ("member.unsuspended", "unsuspended {target}", "Unsuspended"),
    ("member.removed", "removed {target}", "Removed"),
    ("member.restored", "restored {target}", "Restored"),
    ("group.created", "created the group {target}", "Group created"),
    ("group.updated", "changed the group {target}", "Group changed"),
    ("group.deleted", "deleted the group {target}", "Group deleted"),
    ("group.members_added", "added members to the group {target}", "Added to group"),
    ("group.member_removed", "took a member out of the group {target}", "Removed from group"),
    ("app.created", "created {target}", "App created"),
    ("app.updated", "changed {target}", "App changed"),
    ("app.deleted", "deleted {target}", "App deleted"),
    ("app.access_granted", "gave access to {target}", "Access granted"),
    ("app.access_changed", "changed access to {target}", "Access changed"),
    ("app.access_revoked", "ended access to {target}", "Access ended"),
    ("role.created", "created the role {target}", "Role created"),
    ("role.updated", "edited the role {target}", "Role edited"),
    ("role.deleted", "deleted the role {target}", "Role deleted"),
    ("api_key.created", "made the API key {target}", "API key made"),
    ("api_key.revoked", "revoked the API key {target}", "API key revoked"),
    ("member.purged", "purged the removed membership of {target}", "Purged"),
    ("member.session_ended", "signed {target} out of one session", "Session ended"),
    ("member.signed_out_everywhere", "signed {target} out everywhere", "Signed out everywhere"),
    ("account.blocked", "blocked {target}", "Blocked"),
    ("account.unblocked", "unblocked {target}", "Unblocked"),
    ("account.org_role_changed", "changed the org role of {target}", "Org role changed"),
    ("account.profile_changed", "edited their own profile", "Own profile edited"),
    ("account.password_changed", "changed their password", "Password changed"),
    ("account.session_ended", "ended one of their sessions", "Own session ended"),
    ("account.avatar_changed", "changed the picture of {target}", "Picture changed"),
    ("account.avatar_removed", "removed the picture of {target}", "Picture removed"),
    ("account.email_change_requested", "asked to change the email of {target}", "Email change asked"),
    ("account.email_change_cancelled", "cancelled the email change of {target}", "Email change cancelled"),
    ("account.email_changed", "confirmed a new email address, {target}", "Email changed"),
    ("users.exported", "exported the users list", "Users exported"),
    ("users.imported", "imported people from {target}", "Imported from CSV"),
    ("users.bulk_action", "acted on several members at once: {target}", "Bulk action"),
    ("workspace.created", "created the workspace /w/{target}", "Workspace created"),
    ("workspace.renamed", "renamed the workspace /w/{target}", "Workspace renamed"),
    ("workspace.slug_changed", "moved the workspace to /w/{target}", "URL changed"),
    ("workspace.two_factor_required", "changed who must use two-factor sign-in in /w/{target}", "Two-factor requirement"),
    ("workspace.plan_changed", "changed the plan of the workspace /w/{target}", "Plan changed"),
    ("workspace.deleted", "deleted the workspace /w/{target}", "Workspace deleted"),
    ("workspace.seeded", "filled the workspace with demo data", "Demo data"),
    ("slack.connected", "connected the workspace to the Slack workspace {target}", "Slack connected"),
    ("slack.disconnected", "disconnected the Slack workspace {target}", "Slack disconnected"),
    ("slack.people_added", "added {target} from Slack", "People added from Slack"),
];

/// "Ada suspended grace@example.com"; an action this version does not know reads as its key.
pub fn sentence(actor: &str, action: &str, target: &str) -> String {
    match ACTIONS.iter().find(|(key, _, _)| *key == action) {
        Some((_, words, _)) => format!("{actor} {}", words.replace("{target}", target)),
        None if target.is_empty() => format!("{actor}: {action}"),
        None => format!("{actor}: {action} ({target})"),
    }
}

/// A value of an event's JSON in words: lists as "a, b" ("none" when empty), nothing as
/// "(none)"; `zone`: the reader's, for a field that holds a stored time (named `…_at`). Text of
/// any other field is said as it was written, even when it looks like a time (a workspace named
/// "2026-01-01 09:00:00").
fn in_words(value: &serde_json::Value, zone: Option<Timezone>) -> String {
    use serde_json::Value;
    match value {
        Value::String(s) if s.is_empty() => "(empty)".to_owned(),
        Value::String(s) => {
            // Stored in UTC, with or without saying so ("… UTC": a sign-in pause's end).
            let utc = s.strip_suffix(" UTC").unwrap_or(s);
            match zone.zip(chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S%.f").ok())
            {
                Some((zone, at)) => zone.local_text(at),
                None => s.clone(),
            }
        }
        Value::Null => "(none)".to_owned(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Object(map) if map.is_empty() => "none".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|item| in_words(item, zone))
            .collect::<Vec<_>>()
            .join(", "),
        // A nested object: its counts as "1 flow", "2 apps" (a participle stays: "2 ticked"),
        // its other facts as "field value".
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match value {
                Value::Number(n) => {
                    let noun = key.replace('_', " ");
                    let plural = n.as_i64() != Some(1) && !noun.ends_with("ed");
                    format!("{n} {noun}{}", if plural { "s" } else { "" })
                }
                other => format!("{} {}", key.replace('_', " "), in_words(other, None)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The changed fields of an event's JSON (`{"role": {"before": "Member", "after": "Admin"}}`) as
/// "role: Member → Admin", and its other facts as "sessions ended: 2", times in `zone`. A flag
/// reads as its name when set ("new account") and is left out when not.
pub fn changes(json: &str, zone: Timezone) -> Vec<String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(field, value)| {
            let name = field.replace('_', " ");
            let timed = (field.ends_with("_at") || field == "until").then_some(zone);
            let text = |v: &serde_json::Value| in_words(v, timed);
            Some(match (value.get("before"), value.get("after"), value) {
                (Some(before), Some(after), _) => {
                    format!("{name}: {} → {}", text(before), text(after))
                }
                (_, _, serde_json::Value::Bool(false)) => return None,
                (_, _, serde_json::Value::Bool(true)) => name,
                _ => format!("{name}: {}", text(value)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_sentences() {
        for (actor, action, target, said) in [
            (
                "Ada Lovelace",
                "member.suspended",
                "grace@example.com",
                "Ada Lovelace suspended grace@example.com",
            ),
            (
                "Ada",
                "session.signed_in",
                "ada@example.com",
                "Ada signed in",
            ),
            (
                "Ada",
                "workspace.slug_changed",
                "acme-labs",
                "Ada moved the workspace to /w/acme-labs",
            ),
            (
                "Ada",
                "role.updated",
                "Support",
                "Ada edited the role Support",
            ),
            ("Ada", "future.thing", "x", "Ada: future.thing (x)"),
        ] {
            assert_eq!(sentence(actor, action, target), said, "{action}");
        }
    }

    #[test]
    fn changes_read_as_before_and_after() {
        let utc = Timezone::default();
        assert_eq!(
            changes(
                r#"{"role":{"before":"Member","after":"Admin"},"sessions_ended":2,"last_name":{"before":"","after":"King"}}"#,
                utc
            ),
            vec![
                "last name: (empty) → King",
                "role: Member → Admin",
                "sessions ended: 2"
            ]
        );
        assert!(changes("{}", utc).is_empty());
        assert_eq!(
            changes(r#"{"created_account":true,"unblocked":false}"#, utc),
            vec!["created account"]
        );
        assert!(changes("not json", utc).is_empty());
        assert_eq!(
            changes(
                r#"{"owned":{"app":2,"flow":1},"selection":{"ticked":2}}"#,
                utc
            ),
            vec!["owned: 2 apps, 1 flow", "selection: 2 ticked"]
        );
    }

    #[test]
    fn each_action_has_a_label_of_its_own() {
        let mut labels: Vec<&str> = ACTIONS.iter().map(|(_, _, label)| *label).collect();
        labels.sort_unstable();
        let count = labels.len();
        labels.dedup();
        assert_eq!(
            labels.len(),
            count,
            "two actions share a label in the filter"
        );
    }

    #[test]
    fn lists_and_times_read_as_words() {
        let paris = Timezone::parse("Europe/Paris").unwrap();
        assert_eq!(
            changes(
                r#"{"apps":[],"emails":["a@example.com","b@example.com"],"expires_at":"2026-12-11 15:19:39.857612"}"#,
                paris
            ),
            vec![
                "apps: none",
                "emails: a@example.com, b@example.com",
                "expires at: 11 Dec 2026, 16:19 CET"
            ]
        );
        // Only a stored time is a time: a name that looks like one is said as written.
        assert_eq!(
            changes(
                r#"{"name":{"before":"Acme","after":"2026-01-01 09:00:00"}}"#,
                paris
            ),
            vec!["name: Acme → 2026-01-01 09:00:00"]
        );
        // A sign-in pause's end in the reader's zone; nothing owned reads "none".
        assert_eq!(
            changes(
                r#"{"failures":5,"owned":{},"until":"2026-12-07 23:04:43 UTC"}"#,
                paris
            ),
            vec!["failures: 5", "owned: none", "until: 8 Dec 2026, 00:04 CET"]
        );
    }

    #[test]
    fn every_action_key_is_listed_once() {
        let mut keys: Vec<_> = ACTIONS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ACTIONS.len());
    }
}
