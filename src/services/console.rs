//! The user console's changes: a member's profile, role and sessions. Each is one transaction with
//! its audit event; what may be done is decided by `domain::policy::decide`, once per action.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::clock;
use crate::db::{self, AnyConnection, Lock};
use crate::domain::avatar::AvatarPng;
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::membership::{
    AccountStatus, MembershipStatus, OrgRole, RESTORE_DAYS, Transition, restorable,
};
use crate::domain::policy::{self, Decisions, Facts, MemberAction, Refusal, Viewer};
use crate::domain::role::{BuiltInRole, PermissionSet};
use crate::domain::scim_patch::EmailLabel;
use crate::domain::{Email, Reason};
use crate::services::accounts::{self as account_actions, BlockError};
use crate::services::email_change::{self, EmailChangeError};
use crate::services::held;
use crate::services::invitations::InviteSettings;
use crate::services::profile::{self, ProfileChange, ProfileError};
use crate::store::audit::{self, Actor};
use crate::store::memberships::{self, MemberDetail};
use crate::store::{accounts, ownership, roles, sessions};

/// Who acts, and what they may do in the workspace.
pub struct Acting<'a> {
    /// Who the audit log names.
    pub actor: &'a Actor,
    /// The person acting, for the rules about oneself: the signed-in account; none for a
    /// credential that is nobody (an API key), even when the audit log names its creator.
    pub account: Option<AccountId>,
    pub permissions: PermissionSet,
    pub org_role: OrgRole,
}

impl Acting<'_> {
    /// The actor as the policy sees them.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            account: self.account,
            org_role: self.org_role,
            permissions: self.permissions,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("That member does not exist (any more).")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    /// The member's state does not allow it (already removed…).
    #[error("{0}")]
    Conflict(String),
    /// A value that must be unique is another member's already.
    #[error("{0}")]
    Taken(String),
    /// A value of the form is not acceptable (422, beside the field).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    EmailChange(#[from] EmailChangeError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// A link that could not be sent: the database's error, or the reason in words (409).
impl From<crate::services::password_reset::ResetError> for ConsoleError {
    fn from(e: crate::services::password_reset::ResetError) -> Self {
        match e {
            crate::services::password_reset::ResetError::Database(e) => ConsoleError::Database(e),
            other => ConsoleError::Conflict(other.to_string()),
        }
    }
}

impl From<BlockError> for ConsoleError {
    fn from(e: BlockError) -> Self {
        match e {
            BlockError::NotFound => ConsoleError::NotFound,
            BlockError::Refused(why) => ConsoleError::Refused(why),
            BlockError::Conflict(why) => ConsoleError::Conflict(why),
            BlockError::Database(e) => ConsoleError::Database(e),
        }
    }
}

impl From<Refusal> for ConsoleError {
    fn from(refusal: Refusal) -> Self {
        if refusal.is_conflict() {
            ConsoleError::Conflict(refusal.to_string())
        } else {
            ConsoleError::Refused(refusal.to_string())
        }
    }
}

fn load(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: MembershipId,
) -> Result<MemberDetail, ConsoleError> {
    memberships::detail(conn, workspace, id, clock::now())?.ok_or(ConsoleError::NotFound)
}

/// Records `action` on the member's account in this workspace, with what changed.
fn record_on(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    member: &MemberDetail,
    action: &str,
    changes: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        action,
        target_type: "account",
        target_id: Some(member.account_id.0),
        target_label: &member.email,
        changes,
    };
    audit::record(conn, acting.actor, &event, now).map(|_| ())
}

/// Why the member is in the state they are in: for a suspended or removed membership and a
/// blocked account, the newest such event (who, when, the reason given), with its word.
fn state_events(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    member: &MemberDetail,
) -> Result<Vec<(&'static str, audit::LastEvent)>, diesel::result::Error> {
    let mut wanted = Vec::new();
    match member.status {
        MembershipStatus::Suspended => wanted.push(("Suspended", "member.suspended", false)),
        MembershipStatus::Removed => wanted.push(("Removed", "member.removed", false)),
        _ => {}
    }
    if member.account_status == AccountStatus::Blocked {
        wanted.push(("Blocked", "account.blocked", true));
    }
    let mut found = Vec::new();
    for (word, action, org_wide) in wanted {
        if let Some(event) =
            audit::last_on_account(conn, workspace, member.account_id, action, org_wide)?
        {
            found.push((word, event));
        }
    }
    Ok(found)
}

/// Whether `acting` may take `action` on `member` now: the one decision of `domain::policy`.
pub fn judge(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    member: &MemberDetail,
    action: MemberAction,
) -> Result<(), ConsoleError> {
    let viewer = viewer_now(conn, acting, workspace)?;
    let facts = memberships::facts(conn, workspace)?;
    let name = member.name();
    let target = member.target(&name);
    policy::decide(&viewer, &target, &facts, action)?;
    if policy::rests_on_org_role(&viewer, &target, action)
        && let Some(account) = acting.account
        && let Some(why) = account_actions::org_role_refusal(conn, account)?
    {
        return Err(ConsoleError::Refused(why));
    }
    Ok(())
}

/// The acting person as the policy sees them now (see [`held::now`]); an API key's scopes are
/// what it holds (a revoked key got no further than its header).
fn viewer_now(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
) -> Result<Viewer, ConsoleError> {
    let Some(account) = acting.account else {
        return Ok(acting.viewer());
    };
    let now = held::now(conn, account, workspace)?.map_err(ConsoleError::Refused)?;
    Ok(Viewer {
        account: Some(account),
        org_role: now.org_role,
        permissions: now.permissions,
    })
}

/// A member as the console shows them, with why they are in their state ([`state_events`]).
#[derive(Debug)]
pub struct Seen {
    pub member: MemberDetail,
    pub state_events: Vec<(&'static str, audit::LastEvent)>,
}

/// Reads the member `id` of `workspace` for the console (what it may offer is decided apart,
/// by [`Seen::decisions`], for whoever looks).
pub fn see(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: MembershipId,
) -> Result<Seen, ConsoleError> {
    let member = load(conn, workspace, id)?;
    seen(conn, workspace, member)
}

/// [`see`] for a member of `workspace` read already.
pub fn seen(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    member: MemberDetail,
) -> Result<Seen, ConsoleError> {
    let state_events = state_events(conn, workspace, &member)?;
    Ok(Seen {
        member,
        state_events,
    })
}

impl Seen {
    /// Every action's decision for `viewer`, given the workspace's owners (`facts`): what the
    /// console offers.
    pub fn decisions(&self, viewer: &Viewer, facts: &Facts) -> Decisions {
        let name = self.member.name();
        Decisions::of(viewer, &self.member.target(&name), facts)
    }
}

/// The member, if `acting` may take `action` on them now (for a confirmation dialog, and first
/// thing in every change).
pub fn preview(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    action: MemberAction,
) -> Result<MemberDetail, ConsoleError> {
    let member = load(conn, workspace, target)?;
    judge(conn, acting, workspace, &member, action)?;
    Ok(member)
}

/// [`preview`] for a confirmation dialog: also what the action itself checks beyond the policy
/// (a restore's 14 days and free seat), so the dialog offers only what would go through.
pub fn confirmable(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    action: MemberAction,
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    let member = preview(conn, acting, workspace, target, action)?;
    if action == MemberAction::Restore {
        may_restore_now(conn, workspace, &member, now)?;
    }
    Ok(member)
}

/// The roles `acting` may give the member now (their own among them): what the Role tab offers,
/// judged as the change itself is; when none but their own is left, why (the first refusal).
pub fn role_choices(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    member: &MemberDetail,
) -> Result<(Vec<roles::RoleChoice>, Option<String>), ConsoleError> {
    let facts = memberships::facts(conn, workspace)?;
    let name = member.name();
    let (viewer, target) = (acting.viewer(), member.target(&name));
    let mut why_not = None;
    let mut offered = Vec::new();
    for role in roles::choices(conn, workspace)? {
        match policy::decide_role_change(&viewer, &target, &facts, role.permissions) {
            _ if role.id == member.role_id => offered.push(role),
            // Not offered what `change_role` refuses.
            Ok(()) if !policy::may_be_made_owner(role.permissions, member.has_password) => {}
            Ok(()) => offered.push(role),
            Err(refusal) => {
                why_not.get_or_insert(refusal.to_string());
            }
        }
    }
    let note = (offered.len() <= 1).then_some(why_not).flatten();
    Ok((offered, note))
}

/// The new role, or why not; `Ok` says what changed, in words ("Grace is now an Auditor (was a
/// Member)."), with a warning when admins now exceed a fifth of members.
pub fn change_role(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    role_key: &str,
    now: NaiveDateTime,
) -> Result<String, ConsoleError> {
    // Under the workspace lock: two admins demoting the last two owners at once — one is refused.
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        let role = roles::choices(conn, workspace)?
            .into_iter()
            .find(|r| r.key == role_key)
            .ok_or_else(|| {
                ConsoleError::Invalid(
                    "That role does not exist (any more): reload the page and choose another."
                        .to_owned(),
                )
            })?;
        let facts = memberships::facts(conn, workspace)?;
        let name = member.name();
        policy::decide_role_change(
            &viewer_now(conn, acting, workspace)?,
            &member.target(&name),
            &facts,
            role.permissions,
        )?;
        if role.id == member.role_id {
            return Ok(format!("{name} is {} already: nothing changed.", role.name));
        }
        if !policy::may_be_made_owner(role.permissions, member.has_password) {
            return Err(ConsoleError::Invalid(format!(
                "{name} has not chosen a password yet: make them an Owner once they have signed in."
            )));
        }
        memberships::set_role(conn, member.id, role.id, now)?;
        record_on(
            conn,
            acting,
            workspace,
            &member,
            "member.role_changed",
            json!({ "role": { "before": member.role_name, "after": role.name } }),
            now,
        )?;
        let done = format!("{name} is now {} (was {}).", role.name, member.role_name);
        let warning = match role.key == BuiltInRole::Admin.key() {
            true => admin_share(conn, workspace, 0)?,
            false => None,
        };
        Ok(match warning {
            Some(warning) => format!("{done} {warning}"),
            None => done,
        })
    })
}

/// Rule 5's warning, given when Admin is granted: for the workspace as it is, or (a bulk
/// preview) with `more` people made Admins on top.
pub fn admin_share(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    more: i64,
) -> diesel::QueryResult<Option<String>> {
    let admin = roles::built_in_id(conn, BuiltInRole::Admin)?;
    let admins = memberships::count_with_role(conn, workspace, admin, &[MembershipStatus::Active])?;
    let members = crate::store::workspaces::find(conn, workspace)?.map_or(0, |w| w.counts.active);
    Ok(policy::admin_share_warning(
        admins + more,
        members,
        more > 0,
    ))
}

/// Rule 5's warning after Admins were invited: counted as if everyone invited had joined.
pub fn admin_share_once_joined(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
) -> diesel::QueryResult<Option<String>> {
    use MembershipStatus::{Active, Invited};
    let admin = roles::built_in_id(conn, BuiltInRole::Admin)?;
    let admins = memberships::count_with_role(conn, workspace, admin, &[Active, Invited])?;
    let members = crate::store::workspaces::find(conn, workspace)?
        .map_or(0, |w| w.counts.active + w.counts.invited);
    Ok(policy::admin_share_warning(admins, members, true))
}

/// Sets the identity provider's id of a member (SCIM `externalId`; `None` removes it), judged as
/// a profile edit, with its audit event; the same id again changes nothing (and asks nothing of
/// the policy: a provider re-sending what is stored is not refused for an account it may not
/// edit).
pub fn set_external_id(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    external_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        let before = memberships::external_id(conn, member.id)?;
        if before.as_deref() == external_id {
            return Ok(());
        }
        judge(conn, acting, workspace, &member, MemberAction::EditProfile)?;
        memberships::set_external_id(conn, member.id, external_id, now)?;
        record_on(
            conn,
            acting,
            workspace,
            &member,
            "member.external_id_changed",
            json!({ "external_id": { "before": before, "after": external_id } }),
            now,
        )?;
        Ok(())
    })
}

/// Suspends or unsuspends a membership (PRODUCT §5) under the workspace lock; a suspension ends the
/// person's sessions in this workspace at once (their next request there is refused anyway: every
/// request re-reads the membership). Returns the member as they were.
pub fn suspend(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    suspend: bool,
    reason: Option<&Reason>,
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    let (action, transition) = if suspend {
        (MemberAction::Suspend, Transition::Suspend)
    } else {
        (MemberAction::Unsuspend, Transition::Unsuspend)
    };
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = preview(conn, acting, workspace, target, action)?;
        let next = member
            .status
            .apply(transition)
            .map_err(|e| ConsoleError::Conflict(e.to_string()))?;
        memberships::set_suspended(conn, member.id, suspend.then_some(now), now)?;
        let mut changes = json!({
            "status": { "before": member.status.key(), "after": next.key() },
        });
        // Only a suspension ends sessions (an unsuspension says nothing of them).
        if suspend {
            changes["sessions_ended"] =
                sessions::delete_for_account_in_workspace(conn, member.account_id, workspace.0)?
                    .into();
        }
        record_on(
            conn,
            acting,
            workspace,
            &member,
            if suspend {
                "member.suspended"
            } else {
                "member.unsuspended"
            },
            audit::with_reason(changes, reason),
            now,
        )?;
        Ok(member)
    })
}

/// Blocks or unblocks a member's account organization-wide (PRODUCT §4.9) from their console;
/// returns the member as they were.
pub fn set_blocked(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    block: bool,
    reason: Option<&Reason>,
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    let member = load(conn, workspace, target)?;
    account_actions::set_blocked(
        conn,
        acting.actor,
        acting.org_role,
        Some(workspace),
        member.account_id,
        block,
        reason,
        now,
    )?;
    Ok(member)
}

/// Why `heir` cannot receive what a removed member owned: only an active member can.
pub fn heir_refusal(heir: &MemberDetail) -> Option<String> {
    if heir.account_status == AccountStatus::Blocked {
        return Some(format!(
            "{} is blocked in this organization and cannot sign in: choose someone who can.",
            heir.name()
        ));
    }
    (heir.status != MembershipStatus::Active).then(|| {
        format!(
            "{} is not an active member ({}): choose an active one.",
            heir.name(),
            heir.status.label().to_lowercase()
        )
    })
}

/// What a removal did, for the message.
pub struct Removed {
    pub member: MemberDetail,
    /// Rows handed over (or left unassigned).
    pub moved: usize,
    /// The member they went to.
    pub reassigned_to: Option<MemberDetail>,
}

/// Removes a member (PRODUCT §4.8) in one transaction under the workspace lock: everything they own
/// goes to `reassign_to` (an active member of this workspace) or is left unassigned, their groups
/// and grants end (kept for a restore), their sessions here end, with one audit event.
pub fn remove(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    reassign_to: Option<MembershipId>,
    reason: Option<&Reason>,
    now: NaiveDateTime,
) -> Result<Removed, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = preview(conn, acting, workspace, target, MemberAction::Remove)?;
        let heir = match reassign_to {
            None => None,
            Some(id) if id == member.id => {
                return Err(ConsoleError::Invalid(
                    "Choose someone other than the member you are removing.".to_owned(),
                ));
            }
            Some(id) => {
                let heir =
                    memberships::detail(conn, workspace, id, clock::now())?.ok_or_else(|| {
                        ConsoleError::Invalid(
                            "That person is not a member of this workspace.".to_owned(),
                        )
                    })?;
                if let Some(why) = heir_refusal(&heir) {
                    return Err(ConsoleError::Invalid(why));
                }
                Some(heir)
            }
        };
        let owned = ownership::owned_by_kind(conn, member.id)?;
        let moved = ownership::hand_over(conn, member.id, heir.as_ref().map(|h| h.id), now)?;
        let snapshot = ownership::end_belongings(conn, member.id, now)?;
        let kept = serde_json::to_string(&snapshot)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        memberships::set_removed(conn, member.id, &kept, now)?;
        let ended =
            sessions::delete_for_account_in_workspace(conn, member.account_id, workspace.0)?;
        let owned: serde_json::Map<String, serde_json::Value> = owned
            .into_iter()
            .map(|(kind, n)| (kind, json!(n)))
            .collect();
        record_on(
            conn,
            acting,
            workspace,
            &member,
            "member.removed",
            audit::with_reason(
                json!({
                    "status": { "before": member.status.key(), "after": "removed" },
                    "owned": owned,
                    "reassigned_to": heir.as_ref().map(|h| h.email.clone()),
                    "groups_ended": snapshot.groups.len(),
                    "grants_ended": snapshot.grants.len(),
                    "sessions_ended": ended,
                }),
                reason,
            ),
            now,
        )?;
        Ok(Removed {
            member,
            moved,
            reassigned_to: heir,
        })
    })
}

/// Restores a removed member within 14 days, if a seat is free: role, groups and grants come
/// back, and what is still unassigned from them; what was reassigned stays with its new owner.
/// Within 14 days of the removal and with a free seat (else a conflict that says which); returns
/// what the removal kept for the restore.
fn may_restore_now(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    member: &MemberDetail,
    now: NaiveDateTime,
) -> Result<Option<String>, ConsoleError> {
    let (removed_at, kept) =
        memberships::removal(conn, member.id)?.ok_or(ConsoleError::NotFound)?;
    if !restorable(removed_at, now) {
        return Err(ConsoleError::Conflict(format!(
            "{} was removed more than {RESTORE_DAYS} days ago and is being purged: invite them again instead.",
            member.email
        )));
    }
    // Their address may have become someone else's SCIM userName meanwhile (a userName of
    // their own that did is given up when they come back: see `restore`).
    if memberships::user_name_taken(conn, workspace, &member.email, Some(member.id))? {
        return Err(ConsoleError::Conflict(format!(
            "“{}” is another member's SCIM userName now: change theirs before restoring them.",
            member.email
        )));
    }
    let space = crate::store::workspaces::find(conn, workspace)?.ok_or(ConsoleError::NotFound)?;
    if let Some(limit) = space.seat_limit {
        let used = space.counts.seats_used();
        if used >= limit {
            return Err(ConsoleError::Conflict(format!(
                "{} plan: {limit} seats, {used} in use. Free a seat (or move to a larger plan) before restoring {}.",
                space.plan.name(),
                member.email
            )));
        }
    }
    Ok(kept)
}

pub fn restore(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let mut member = preview(conn, acting, workspace, target, MemberAction::Restore)?;
        let kept = may_restore_now(conn, workspace, &member, now)?;
        // A userName of theirs that another member answers to now stays that member's: they
        // answer to their address again (the event says so).
        let own_name = memberships::scim_user_name(conn, member.id)?;
        let name_given_up = match own_name {
            Some(name)
                if memberships::user_name_taken(conn, workspace, &name, Some(member.id))? =>
            {
                memberships::set_scim_user_name(conn, member.id, None, now)?;
                Some(name)
            }
            _ => None,
        };
        let status = memberships::set_restored(conn, member.id, now)?;
        let snapshot: ownership::Snapshot = kept
            .and_then(|k| serde_json::from_str(&k).ok())
            .unwrap_or_default();
        let (groups, grants) = ownership::restore_belongings(conn, member.id, &snapshot, now)?;
        let given_back = ownership::give_back(conn, member.id, now)?;
        let mut changes = json!({
            "status": { "before": "removed", "after": status.key() },
            "groups_restored": groups,
            "grants_restored": grants,
            "ownership_returned": given_back,
        });
        if let Some(name) = name_given_up {
            changes["user_name"] = json!({ "before": name, "after": member.email });
        }
        record_on(
            conn,
            acting,
            workspace,
            &member,
            "member.restored",
            changes,
            now,
        )?;
        member.status = status;
        Ok(member)
    })
}

/// Saves the overview form: names and time zone at once, a new address once it is confirmed
/// (changing it is an action of its own).
pub fn update_profile(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    change: &ProfileChange,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<ProfileSaved, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = preview(conn, acting, workspace, target, MemberAction::EditProfile)?;
        if change.email.as_str() != member.email {
            // Refused, the address is what the form cannot take (said beside the field).
            judge(conn, acting, workspace, &member, MemberAction::ChangeEmail).map_err(
                |e| match e {
                    ConsoleError::Refused(why) => ConsoleError::Invalid(why),
                    e => e,
                },
            )?;
        }
        let account = account_of(conn, &member)?;
        let by = email_change::Requested {
            actor: acting.actor,
            workspace: Some(workspace),
            base_url,
        };
        let confirming = profile::save_profile(conn, &by, &account, change, now)?;
        Ok(ProfileSaved { confirming })
    })
}

/// What saving the overview form did besides the names and time zone.
pub struct ProfileSaved {
    /// The new address a confirmation link was sent to.
    pub confirming: Option<String>,
}

/// Changes a member's address at once, as an identity provider does (it vouches for the
/// addresses it sends): judged as an address change, with its audit event and a notice to the
/// old address; the same address changes nothing (and is not judged). A member who has not
/// chosen a password yet gets a new welcome link at the new address (the links sent to the old
/// one stop working). A member who answered to their address keeps it as their userName: the
/// provider finds them by the userName it knows (Entra changes the mail, not the UPN).
pub fn change_email_now(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    email: &Email,
    welcome: &InviteSettings,
    now: NaiveDateTime,
) -> Result<(), ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        if member.email.eq_ignore_ascii_case(email.as_str()) {
            return Ok(());
        }
        judge(conn, acting, workspace, &member, MemberAction::ChangeEmail)?;
        let account = account_of(conn, &member)?;
        if memberships::scim_user_name(conn, member.id)?.is_none() {
            memberships::set_scim_user_name(conn, member.id, Some(&member.email), now)?;
        }
        // A member without a password gets a new link to choose one at the new address.
        email_change::change_now(
            conn,
            acting.actor,
            workspace,
            (&account, email),
            welcome,
            now,
        )?;
        Ok(())
    })
}

/// Sets the identity provider's name for a member (SCIM `userName`), unique in the workspace
/// and compared case-insensitively; their address is their userName when it is not set. Judged
/// as a profile edit, with its audit event; the same name changes nothing (and is not judged).
pub fn set_user_name(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    user_name: &str,
    now: NaiveDateTime,
) -> Result<(), ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        let before = memberships::scim_user_name(conn, member.id)?;
        let current = before.as_deref().unwrap_or(&member.email);
        if current.eq_ignore_ascii_case(user_name) {
            return Ok(());
        }
        judge(conn, acting, workspace, &member, MemberAction::EditProfile)?;
        let stored = (!member.email.eq_ignore_ascii_case(user_name)).then_some(user_name);
        if memberships::user_name_taken(conn, workspace, user_name, Some(member.id))? {
            return Err(ConsoleError::Taken(format!(
                "“{user_name}” is another member's userName already."
            )));
        }
        memberships::set_scim_user_name(conn, member.id, stored, now)?;
        record_on(
            conn,
            acting,
            workspace,
            &member,
            "member.user_name_changed",
            json!({ "user_name": { "before": current, "after": user_name } }),
            now,
        )?;
        Ok(())
    })
}

/// Sets how the identity provider labels a member's address (SCIM `emails[].type`, `.primary`),
/// judged as a profile edit, with its audit event; the same label changes nothing (and is not
/// judged).
pub fn set_email_label(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    label: &EmailLabel,
    now: NaiveDateTime,
) -> Result<(), ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        let before = memberships::scim_user(conn, workspace, member.id)?
            .map(|user| user.email_label)
            .unwrap_or_default();
        if before.reads_as(label) {
            return Ok(());
        }
        judge(conn, acting, workspace, &member, MemberAction::EditProfile)?;
        memberships::set_email_label(conn, member.id, label, now)?;
        record_on(
            conn,
            acting,
            workspace,
            &member,
            "member.email_label_changed",
            json!({
                "email_type": { "before": before.kind(), "after": label.kind() },
                "email_primary": { "before": before.primary(), "after": label.primary() },
            }),
            now,
        )?;
        Ok(())
    })
}

/// Withdraws a member's unconfirmed email change; false when none was waiting.
pub fn cancel_email_change(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    now: NaiveDateTime,
) -> Result<bool, ConsoleError> {
    // Decided and done in one transaction, under the workspace lock like every change here.
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = preview(conn, acting, workspace, target, MemberAction::ChangeEmail)?;
        let account = member.account_id;
        Ok(email_change::cancel(
            conn,
            acting.actor,
            Some(workspace),
            account,
            now,
        )?)
    })
}

/// Sets (`Some`) or removes a member's picture; false when there was none to remove.
pub fn set_avatar(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    png: Option<&AvatarPng>,
    now: NaiveDateTime,
) -> Result<bool, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = preview(conn, acting, workspace, target, MemberAction::EditProfile)?;
        let (actor, account) = (acting.actor, member.account_id);
        Ok(match png {
            Some(png) => {
                profile::set_avatar(conn, actor, Some(workspace), account, png, now)?;
                true
            }
            None => profile::remove_avatar(conn, actor, Some(workspace), account, now)?,
        })
    })
}

/// Ends one session (`Some(id)`) or all of a member's sessions; returns how many ended.
pub fn end_sessions(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    session: Option<i64>,
    now: NaiveDateTime,
) -> Result<usize, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = preview(conn, acting, workspace, target, MemberAction::EndSessions)?;
        let ended = match session {
            Some(id) => usize::from(sessions::delete_one(conn, member.account_id, id)?),
            None => sessions::delete_for_account(conn, member.account_id)?,
        };
        // One session that is not there changes nothing; "everywhere" always moves the epoch,
        // even when no session row was left to delete.
        if ended == 0 && session.is_some() {
            return Ok(0);
        }
        if session.is_none() {
            // A sign-in waiting at its two-factor step holds no row of the account's yet: the
            // epoch it noted at the password step ends it.
            accounts::end_epoch(conn, member.account_id)?;
        }
        record_on(
            conn,
            acting,
            workspace,
            &member,
            if session.is_some() {
                "member.session_ended"
            } else {
                "member.signed_out_everywhere"
            },
            json!({ "sessions": ended }),
            now,
        )?;
        Ok(ended)
    })
}

/// The member's account.
fn account_of(
    conn: &mut AnyConnection,
    member: &MemberDetail,
) -> Result<accounts::Account, ConsoleError> {
    accounts::find(conn, member.account_id)?.ok_or(ConsoleError::NotFound)
}

/// The member and their account, if `acting` may take `action` on them now.
fn preview_account(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    action: MemberAction,
) -> Result<(MemberDetail, accounts::Account), ConsoleError> {
    let member = preview(conn, acting, workspace, target, action)?;
    let account = account_of(conn, &member)?;
    Ok((member, account))
}

/// Emails the member a link to choose a new password (their earlier links stop working).
pub fn send_password_reset(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let (member, account) =
            preview_account(conn, acting, workspace, target, MemberAction::ResetPassword)?;
        crate::services::password_reset::send(
            conn,
            acting.actor,
            Some(workspace),
            &account,
            base_url,
            now,
        )?;
        Ok(member)
    })
}

/// How a guard of an account's sign-in is lifted (in the caller's transaction, audited); false
/// when there was nothing to lift.
pub type LiftGuard = fn(
    &mut AnyConnection,
    &Actor,
    &accounts::Account,
    Option<WorkspaceId>,
    NaiveDateTime,
) -> Result<bool, diesel::result::Error>;

/// Undoes a guard of the member's sign-in — clears a pause ([`MemberAction::ClearSignInPause`]
/// with `sign_in::clear_pause`) or resets two-factor ([`MemberAction::ResetTwoFactor`] with
/// `two_factor::reset`) — once `action` is decided; false when there was nothing to undo.
pub fn lift_sign_in_guard(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    action: MemberAction,
    lift: LiftGuard,
    now: NaiveDateTime,
) -> Result<bool, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let (_, account) = preview_account(conn, acting, workspace, target, action)?;
        Ok(lift(conn, acting.actor, &account, Some(workspace), now)?)
    })
}
