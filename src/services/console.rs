//! The user console's changes: a member's profile, role and sessions. Each is one transaction with
//! its audit event; the rules are `domain::policy`'s.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::avatar::AvatarPng;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::membership::{MembershipStatus, RESTORE_DAYS, Transition, restorable};
use crate::domain::policy::{self, LifecycleChange, RoleChange};
use crate::domain::role::{BuiltInRole, PermissionSet};
use crate::domain::timezone::Timezone;
use crate::domain::{Email, Name};
use crate::services::email_change::{self, EmailChangeError};
use crate::services::profile::{self, ProfileError};
use crate::store::audit::{self, Actor};
use crate::store::memberships::{self, MemberDetail};
use crate::store::{accounts, ownership, roles, sessions};

/// Who acts, and what they may do in the workspace.
pub struct Acting<'a> {
    pub actor: &'a Actor,
    pub membership: Option<MembershipId>,
    pub permissions: PermissionSet,
}

impl Acting<'_> {
    fn is(&self, target: &MemberDetail) -> bool {
        self.actor.account_id == Some(target.account_id) || self.membership == Some(target.id)
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

fn load(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: MembershipId,
) -> Result<MemberDetail, ConsoleError> {
    memberships::detail(conn, workspace, id)?.ok_or(ConsoleError::NotFound)
}

/// The new role, or why not; `Ok(Some(warning))` when admins now exceed a fifth of members.
pub fn change_role(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    role_key: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, ConsoleError> {
    // Under the workspace lock: two admins demoting the last two owners at once — one is refused.
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        let role = roles::choices(conn, workspace)?
            .into_iter()
            .find(|r| r.key == role_key)
            .ok_or_else(|| ConsoleError::Refused("Choose a role.".to_owned()))?;
        if role.id == member.role_id {
            return Ok(None);
        }
        let owner = roles::built_in_id(conn, BuiltInRole::Owner)?;
        let change = RoleChange {
            actor_is_target: acting.is(&member),
            actor: acting.permissions,
            current_role: member.role_permissions,
            new_role: role.permissions,
            target_status: member.status,
            other_active_owners: memberships::count_active_with_role(
                conn,
                workspace,
                owner,
                Some(member.id),
            )?,
        };
        policy::may_change_role(&change).map_err(|why| ConsoleError::Refused(why.to_owned()))?;
        memberships::set_role(conn, member.id, role.id, now)?;
        audit::record(
            conn,
            acting.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "member.role_changed",
                target_type: "account",
                target_id: Some(member.account_id.0),
                target_label: &member.email,
                changes: json!({ "role": { "before": member.role_name, "after": role.name } }),
            },
            now,
        )?;
        let admin = roles::built_in_id(conn, BuiltInRole::Admin)?;
        let admins = memberships::count_active_with_role(conn, workspace, admin, None)?;
        let members =
            crate::store::workspaces::find(conn, workspace)?.map_or(0, |w| w.counts.active);
        Ok(policy::admin_share_warning(admins, members))
    })
}

/// Whether `acting` may take the member through `transition`, and the state it leads to. A state
/// that does not allow it (suspending a removed member…) is a conflict; the rules of PRODUCT §4 are
/// refusals. The confirmation dialogs ask this too, so an action that would be refused is not offered.
pub fn judge(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    member: &MemberDetail,
    transition: Transition,
) -> Result<MembershipStatus, ConsoleError> {
    member
        .status
        .apply(transition)
        .map_err(|e| ConsoleError::Conflict(e.to_string()))?;
    let owner = roles::built_in_id(conn, BuiltInRole::Owner)?;
    let change = LifecycleChange {
        actor_is_target: acting.is(member),
        actor: acting.permissions,
        target_role: member.role_permissions,
        from: member.status,
        transition,
        other_active_owners: memberships::count_active_with_role(
            conn,
            workspace,
            owner,
            Some(member.id),
        )?,
    };
    policy::may_apply(&change).map_err(ConsoleError::Refused)
}

/// The member, and whether `acting` may take them through `transition` (for a confirmation).
pub fn preview(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    transition: Transition,
) -> Result<MemberDetail, ConsoleError> {
    let member = load(conn, workspace, target)?;
    judge(conn, acting, workspace, &member, transition)?;
    Ok(member)
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
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    let transition = if suspend {
        Transition::Suspend
    } else {
        Transition::Unsuspend
    };
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        let next = judge(conn, acting, workspace, &member, transition)?;
        memberships::set_suspended(conn, member.id, suspend.then_some(now), now)?;
        let ended = if suspend {
            sessions::delete_for_account_in_workspace(conn, member.account_id, workspace.0)?
        } else {
            0
        };
        audit::record(
            conn,
            acting.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: if suspend {
                    "member.suspended"
                } else {
                    "member.unsuspended"
                },
                target_type: "account",
                target_id: Some(member.account_id.0),
                target_label: &member.email,
                changes: json!({
                    "status": { "before": member.status.key(), "after": next.key() },
                    "sessions_ended": ended,
                }),
            },
            now,
        )?;
        Ok(member)
    })
}

/// What a removal did, for the message.
pub struct Removed {
    pub member: MemberDetail,
    /// Rows handed over (or left unassigned).
    pub moved: usize,
    pub reassigned_to: Option<String>,
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
    now: NaiveDateTime,
) -> Result<Removed, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        judge(conn, acting, workspace, &member, Transition::Remove)?;
        let heir = match reassign_to {
            None => None,
            Some(id) if id == member.id => {
                return Err(ConsoleError::Invalid(
                    "Choose someone other than the member you are removing.".to_owned(),
                ));
            }
            Some(id) => {
                let heir = memberships::detail(conn, workspace, id)?.ok_or_else(|| {
                    ConsoleError::Invalid(
                        "That person is not a member of this workspace.".to_owned(),
                    )
                })?;
                if heir.status != MembershipStatus::Active {
                    return Err(ConsoleError::Invalid(format!(
                        "{} is not an active member ({}): choose an active one.",
                        heir.email,
                        heir.status.label().to_lowercase()
                    )));
                }
                Some(heir)
            }
        };
        let owned = ownership::owned_by_kind(conn, member.id)?;
        let moved = ownership::hand_over(conn, member.id, heir.as_ref().map(|h| h.id), now)?;
        let snapshot = ownership::end_belongings(conn, member.id)?;
        let kept = serde_json::to_string(&snapshot)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        memberships::set_removed(conn, member.id, &kept, now)?;
        let ended =
            sessions::delete_for_account_in_workspace(conn, member.account_id, workspace.0)?;
        let owned: serde_json::Map<String, serde_json::Value> = owned
            .into_iter()
            .map(|(kind, n)| (kind, json!(n)))
            .collect();
        audit::record(
            conn,
            acting.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "member.removed",
                target_type: "account",
                target_id: Some(member.account_id.0),
                target_label: &member.email,
                changes: json!({
                    "status": { "before": member.status.key(), "after": "removed" },
                    "owned": owned,
                    "reassigned_to": heir.as_ref().map(|h| h.email.clone()),
                    "groups_ended": snapshot.groups.len(),
                    "grants_ended": snapshot.grants.len(),
                    "sessions_ended": ended,
                }),
            },
            now,
        )?;
        Ok(Removed {
            member,
            moved,
            reassigned_to: heir.map(|h| h.email),
        })
    })
}

/// Restores a removed member within 14 days, if a seat is free: role, groups and grants come
/// back, and what is still unassigned from them; what was reassigned stays with its new owner.
pub fn restore(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    now: NaiveDateTime,
) -> Result<MemberDetail, ConsoleError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let member = load(conn, workspace, target)?;
        judge(conn, acting, workspace, &member, Transition::Restore)?;
        let (removed_at, kept) =
            memberships::removal(conn, member.id)?.ok_or(ConsoleError::NotFound)?;
        if !restorable(removed_at, now) {
            return Err(ConsoleError::Conflict(format!(
                "{} was removed more than {RESTORE_DAYS} days ago and is being purged: invite them again instead.",
                member.email
            )));
        }
        let space =
            crate::store::workspaces::find(conn, workspace)?.ok_or(ConsoleError::NotFound)?;
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
        memberships::set_restored(conn, member.id, now)?;
        let snapshot: ownership::Snapshot = kept
            .and_then(|k| serde_json::from_str(&k).ok())
            .unwrap_or_default();
        let (groups, grants) = ownership::restore_belongings(conn, member.id, &snapshot, now)?;
        let given_back = ownership::give_back(conn, member.id, now)?;
        audit::record(
            conn,
            acting.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "member.restored",
                target_type: "account",
                target_id: Some(member.account_id.0),
                target_label: &member.email,
                changes: json!({
                    "status": { "before": "removed", "after": "active" },
                    "groups_restored": groups,
                    "grants_restored": grants,
                    "ownership_returned": given_back,
                }),
            },
            now,
        )?;
        Ok(member)
    })
}

/// Acting on an Owner takes an Owner (PRODUCT §4.2); one's own profile is always editable.
fn may_edit_profile(acting: &Acting<'_>, member: &MemberDetail) -> Result<(), ConsoleError> {
    if acting.is(member) {
        return Ok(());
    }
    policy::may_grant_role(acting.permissions, member.role_permissions)
        .map_err(|_| ConsoleError::Refused("Only an Owner can edit an Owner's profile.".to_owned()))
}

/// What the overview form may change.
pub struct ProfileChange {
    pub first_name: Name,
    pub last_name: Name,
    pub timezone: Timezone,
    /// A new address takes effect once confirmed from that address.
    pub email: Email,
}

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
        let member = load(conn, workspace, target)?;
        may_edit_profile(acting, &member)?;
        let account = accounts::find(conn, member.account_id)?.ok_or(ConsoleError::NotFound)?;
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

/// Withdraws a member's unconfirmed email change; false when none was waiting.
pub fn cancel_email_change(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    target: MembershipId,
    now: NaiveDateTime,
) -> Result<bool, ConsoleError> {
    let member = load(conn, workspace, target)?;
    may_edit_profile(acting, &member)?;
    Ok(email_change::cancel(
        conn,
        acting.actor,
        Some(workspace),
        member.account_id,
        now,
    )?)
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
    let member = load(conn, workspace, target)?;
    may_edit_profile(acting, &member)?;
    let (actor, account) = (acting.actor, member.account_id);
    Ok(match png {
        Some(png) => {
            profile::set_avatar(conn, actor, Some(workspace), account, png, now)?;
            true
        }
        None => profile::remove_avatar(conn, actor, Some(workspace), account, now)?,
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
        let member = load(conn, workspace, target)?;
        if !acting.is(&member) {
            policy::may_grant_role(acting.permissions, member.role_permissions).map_err(|_| {
                ConsoleError::Refused("Only an Owner can sign an Owner out.".to_owned())
            })?;
        }
        let ended = match session {
            Some(id) => usize::from(sessions::delete_one(conn, member.account_id, id)?),
            None => sessions::delete_for_account(conn, member.account_id)?,
        };
        if ended == 0 {
            return Ok(0);
        }
        audit::record(
            conn,
            acting.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: if session.is_some() {
                    "member.session_ended"
                } else {
                    "member.signed_out_everywhere"
                },
                target_type: "account",
                target_id: Some(member.account_id.0),
                target_label: &member.email,
                changes: json!({ "sessions": ended }),
            },
            now,
        )?;
        Ok(ended)
    })
}
