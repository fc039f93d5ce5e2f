//! One action on many members (issue 18 §2): suspend, unsuspend, change role, add to or remove
//! from a group, remove, resend or revoke invitations — for ids ticked on the list or for
//! everyone a filter matches.
//!
//! Each person goes through the same service as the single action (so the same decision of
//! `domain::policy`, the last-Owner rule, the states that allow it). The **preview** runs exactly
//! that, each person in a savepoint, inside transactions of 100 people that are then rolled back:
//! what it says will change is what the confirmation changes, were nothing else to change
//! meanwhile (and within 100 people, for the last-Owner rule).
//! The **confirmation** gives each person a transaction of their own (a refusal or a failure skips
//! that person and is reported), then records one event for the batch with its counts.

use chrono::NaiveDateTime;
use serde_json::json;

use super::console::{self, Acting, ConsoleError};
use super::groups::{self, GroupError, InWorkspace};
use super::invitations::{self, InvitationActionError, InviteSettings, Inviter};
use crate::clock;
use crate::db::{self, AnyConnection, Lock};
use crate::domain::Reason;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::membership::MembershipStatus;
use crate::domain::role::Permission;
use crate::store::groups as group_store;
use crate::store::invitations as invitation_store;
use crate::store::memberships::{self, ExportPlan, ListFilter};
use crate::store::workspaces::MemberCounts;
use crate::store::{audit, roles};

/// The most people one bulk action takes.
pub const MAX_PEOPLE: usize = 10_000;

/// What is done to each person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    Suspend,
    Unsuspend,
    /// To the role with this key (`admin`, or a custom role's id).
    ChangeRole(String),
    AddToGroup(i64),
    RemoveFromGroup(i64),
    /// What they own goes to this member, or stays unassigned.
    Remove(Option<MembershipId>),
    Resend,
    Revoke,
}

impl BulkAction {
    /// The action's key, as the form sends it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Unsuspend => "unsuspend",
            Self::ChangeRole(_) => "change_role",
            Self::AddToGroup(_) => "add_to_group",
            Self::RemoveFromGroup(_) => "remove_from_group",
            Self::Remove(_) => "remove",
            Self::Resend => "resend",
            Self::Revoke => "revoke",
        }
    }

    /// "Change the role of 3 people to Auditor", as the preview asks it and its button says it;
    /// `object` names the role or the group.
    pub fn asked(&self, people: &str, object: &str) -> String {
        match self {
            Self::Suspend => format!("Suspend {people}"),
            Self::Unsuspend => format!("Unsuspend {people}"),
            Self::ChangeRole(_) => format!("Change the role of {people} to {object}"),
            Self::AddToGroup(_) => format!("Add {people} to the group {object}"),
            Self::RemoveFromGroup(_) => format!("Take {people} out of the group {object}"),
            Self::Remove(_) => format!("Remove {people}"),
            Self::Resend => format!("Resend the invitations of {people}"),
            Self::Revoke => format!("Revoke the invitations of {people}"),
        }
    }

    /// "Changed the role of 3 people to Auditor", as the result says it.
    pub fn done(&self, people: &str, object: &str) -> String {
        match self {
            Self::Suspend => format!("Suspended {people}"),
            Self::Unsuspend => format!("Unsuspended {people}"),
            Self::ChangeRole(_) => format!("Changed the role of {people} to {object}"),
            Self::AddToGroup(_) => format!("Added {people} to the group {object}"),
            Self::RemoveFromGroup(_) => format!("Took {people} out of the group {object}"),
            Self::Remove(_) => format!("Removed {people}"),
            Self::Resend => format!("Resent the invitations of {people}"),
            Self::Revoke => format!("Revoked the invitations of {people}"),
        }
    }

    /// The name of the role or group the action names (empty for the others; the key or id as
    /// given when nothing here has it: each person is refused then).
    pub fn object(
        &self,
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
    ) -> Result<String, diesel::result::Error> {
        Ok(match self {
            Self::ChangeRole(key) => roles::choices(conn, workspace)?
                .into_iter()
                .find(|r| r.key == *key)
                .map_or_else(|| key.clone(), |r| r.name),
            Self::AddToGroup(id) | Self::RemoveFromGroup(id) => {
                group_store::find(conn, workspace, *id)?.map_or_else(|| id.to_string(), |g| g.name)
            }
            _ => String::new(),
        })
    }

    /// The permission the action takes (each person is judged again by its service).
    pub fn permission(&self) -> Permission {
        match self {
            Self::Suspend | Self::Unsuspend => Permission::UsersSuspend,
            Self::ChangeRole(_) => Permission::UsersChangeRole,
            Self::AddToGroup(_) | Self::RemoveFromGroup(_) => Permission::GroupsManage,
            Self::Remove(_) => Permission::UsersRemove,
            Self::Resend | Self::Revoke => Permission::UsersInvite,
        }
    }

    /// Whether it can change anyone the list's status filter shows (`status`, its key; empty:
    /// everyone): nothing acts on removed members, suspending is not for the suspended or the
    /// invited, unsuspending not for the active or the invited, and only invitations are resent
    /// or revoked.
    pub fn applies_to(&self, status: &str) -> bool {
        let invited = matches!(status, "invited" | "pending");
        match self {
            _ if status == "removed" => false,
            Self::Suspend => !invited && status != "suspended",
            Self::Unsuspend => !invited && status != "active",
            Self::Resend | Self::Revoke => !matches!(status, "active" | "suspended" | "blocked"),
            _ => true,
        }
    }

    /// Whether the workspace holds anyone it could change (`counts`, its members by status): no
    /// Resend or Revoke without a pending invitation, no Unsuspend without a suspended member.
    pub fn finds_anyone(&self, counts: &MemberCounts) -> bool {
        match self {
            Self::Resend | Self::Revoke => counts.invited > 0,
            Self::Unsuspend => counts.suspended > 0,
            _ => counts.seats_used() > 0,
        }
    }
}

/// What happened (or, previewed, would happen) to one person.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: MembershipId,
    pub email: String,
    /// `Err`: skipped, and why.
    pub result: Result<(), String>,
}

impl Outcome {
    /// Whom it is about, in words: their address, or for an id ticked that names nobody here
    /// (no address), "Member #42".
    pub fn who(&self) -> String {
        match self.email.as_str() {
            "" => format!("Member #{}", self.id.0),
            email => email.to_owned(),
        }
    }
}

/// The people a bulk action names: ids ticked on the list (those not in the workspace are
/// reported as skipped), or everyone the list's filter matches — at most [`MAX_PEOPLE`].
pub enum Targets {
    Ids(Vec<MembershipId>),
    Matching(ListFilter),
}

/// Whom `targets` names, in id order, with their addresses; `None` when they are more than
/// [`MAX_PEOPLE`] (a filter's are not counted past that). Ids that name nobody here come back
/// with an empty address.
pub fn resolve(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    targets: Targets,
) -> Result<Option<Vec<(MembershipId, String)>>, diesel::result::Error> {
    let ids = match targets {
        Targets::Ids(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            ids
        }
        Targets::Matching(filter) => {
            let plan = ExportPlan::of(conn, workspace, filter)?;
            memberships::matching_ids(conn, &plan, MAX_PEOPLE as i64 + 1)?
        }
    };
    if ids.len() > MAX_PEOPLE {
        return Ok(None);
    }
    let mut found: std::collections::HashMap<MembershipId, String> =
        memberships::emails_of(conn, workspace, &ids)?
            .into_iter()
            .collect();
    Ok(Some(
        ids.into_iter()
            .map(|id| (id, found.remove(&id).unwrap_or_default()))
            .collect(),
    ))
}

/// Who a preview listed, in a few characters its confirmation carries back: the people's ids
/// folded (FNV-1a, the same on every instance and build). The confirmation does nothing when the
/// people it matches fold otherwise.
pub fn fingerprint(people: &[(MembershipId, String)]) -> String {
    let folded = people
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, (id, _)| {
            id.0.to_le_bytes().iter().fold(hash, |h, byte| {
                (h ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
            })
        });
    format!("{folded:016x}")
}

/// What a bulk action needs besides its people.
pub struct BulkRequest<'a> {
    pub action: &'a BulkAction,
    /// The role's or group's name (`BulkAction::object`).
    pub object: &'a str,
    pub reason: Option<&'a Reason>,
    pub settings: &'a InviteSettings,
}

/// How many people a preview judges under one hold of the workspace's lock: between two
/// batches, everyone else's changes go through (a preview of thousands takes seconds).
const PREVIEW_BATCH: usize = 100;

/// What the action would do to each person, changing nothing: every change is made and then
/// rolled back, [`PREVIEW_BATCH`] people at a time. A rule that weighs the others' changes (the
/// last Owner) sees those of the same batch only; the confirmation judges everyone again.
pub fn preview(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    request: &BulkRequest<'_>,
    people: &[(MembershipId, String)],
    now: NaiveDateTime,
) -> Result<Vec<Outcome>, diesel::result::Error> {
    enum Rolled {
        Back(Vec<Outcome>),
        Failed(diesel::result::Error),
    }
    impl From<diesel::result::Error> for Rolled {
        fn from(e: diesel::result::Error) -> Self {
            Rolled::Failed(e)
        }
    }
    let mut outcomes = Vec::with_capacity(people.len());
    for batch in people.chunks(PREVIEW_BATCH) {
        let rolled = db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
            let outcomes = each(conn, acting, workspace, request, batch, now);
            Err::<(), _>(Rolled::Back(outcomes))
        });
        match rolled {
            Err(Rolled::Back(batch)) => outcomes.extend(batch),
            Err(Rolled::Failed(e)) => return Err(e),
            Ok(()) => unreachable!("a preview always rolls back"),
        }
    }
    Ok(outcomes)
}

/// Does the action to each person, each in a transaction of their own, then records the batch's
/// event with its counts (none when nobody changed: each refusal changed nothing).
pub fn run(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    request: &BulkRequest<'_>,
    people: &[(MembershipId, String)],
    selection: serde_json::Value,
    now: NaiveDateTime,
) -> Result<Vec<Outcome>, diesel::result::Error> {
    let outcomes = each(conn, acting, workspace, request, people, now);
    let changed = outcomes.iter().filter(|o| o.result.is_ok()).count();
    if changed == 0 {
        return Ok(outcomes);
    }
    let mut changes = json!({
        "action": request.action.key(),
        "changed": changed,
        "skipped": outcomes.len() - changed,
        "selection": selection,
    });
    match request.action {
        BulkAction::ChangeRole(role) => changes["role"] = json!(role),
        BulkAction::AddToGroup(group) | BulkAction::RemoveFromGroup(group) => {
            changes["group_id"] = json!(group)
        }
        _ => {}
    }
    let changes = audit::with_reason(changes, request.reason);
    // "changed the role of 3 people to Auditor", after "acted on several members at once: ".
    let people = match changed {
        1 => "1 person".to_owned(),
        n => format!("{} people", crate::domain::grouped(n as i64)),
    };
    let done = request.action.done(&people, request.object);
    let summary = done[..1].to_lowercase() + &done[1..];
    db::write_first(conn, |conn| {
        audit::record(
            conn,
            acting.actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "users.bulk_action",
                target_type: "workspace",
                target_id: Some(workspace.0),
                target_label: &summary,
                changes,
            },
            now,
        )
    })?;
    Ok(outcomes)
}

/// The action done to each person in turn, each in a transaction (or savepoint) of their own.
fn each(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    request: &BulkRequest<'_>,
    people: &[(MembershipId, String)],
    now: NaiveDateTime,
) -> Vec<Outcome> {
    people
        .iter()
        .map(|(id, email)| Outcome {
            id: *id,
            email: email.clone(),
            result: one_in_savepoint(conn, acting, workspace, request, *id, email, now),
        })
        .collect()
}

/// One person's change in a transaction (a savepoint inside a preview's): `Err` says why they
/// are skipped, and whatever the attempt wrote is undone.
fn one_in_savepoint(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    request: &BulkRequest<'_>,
    id: MembershipId,
    email: &str,
    now: NaiveDateTime,
) -> Result<(), String> {
    if email.is_empty() {
        return Err("Not a member of this workspace.".to_owned());
    }
    // The lock comes first: on SQLite a transaction that read before it writes cannot take the
    // write lock once another writer has committed (a bulk action beside everyday traffic).
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        one(conn, acting, workspace, request, id, now)
    })
    .map_err(|skip| skip.0)
}

/// Why a person is skipped, whatever the service said.
struct Skip(String);

impl From<diesel::result::Error> for Skip {
    fn from(e: diesel::result::Error) -> Self {
        // The database's words stay in the log: they are not for the page.
        tracing::error!(error = %e, "a bulk action's change failed");
        Skip(
            "Could not be changed: the database refused it (the error is in the server's log)."
                .to_owned(),
        )
    }
}

/// A service's refusal is the skip's reason; its database failure is logged as above.
macro_rules! skip_from {
    ($($error:ident),+) => {$(
        impl From<$error> for Skip {
            fn from(e: $error) -> Self {
                match e {
                    $error::Database(e) => e.into(),
                    e => Skip(e.to_string()),
                }
            }
        }
    )+};
}

skip_from!(ConsoleError, GroupError, InvitationActionError);

fn one(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    request: &BulkRequest<'_>,
    id: MembershipId,
    now: NaiveDateTime,
) -> Result<(), Skip> {
    let member = memberships::detail(conn, workspace, id, clock::now())?
        .ok_or_else(|| Skip("Not a member of this workspace.".to_owned()))?;
    match request.action {
        BulkAction::Suspend | BulkAction::Unsuspend => {
            let suspend = *request.action == BulkAction::Suspend;
            console::suspend(conn, acting, workspace, id, suspend, request.reason, now)?;
        }
        BulkAction::ChangeRole(role) => {
            let same = roles::choices(conn, workspace)?
                .iter()
                .any(|r| r.key == *role && r.id == member.role_id);
            if same {
                return Err(Skip(format!("Is {} already.", member.role_name)));
            }
            console::change_role(conn, acting, workspace, id, role, now)?;
        }
        BulkAction::AddToGroup(group) | BulkAction::RemoveFromGroup(group) => {
            // The group's service judges the sender by what they hold now.
            let at = InWorkspace {
                workspace,
                group: *group,
                by: acting.permissions,
            };
            let adding = matches!(request.action, BulkAction::AddToGroup(_));
            let inside = !group_store::members_among(conn, *group, &[id])?.is_empty();
            match (adding, inside) {
                (true, true) => return Err(Skip("Is in the group already.".to_owned())),
                (false, false) => return Err(Skip("Is not in the group.".to_owned())),
                (true, false) => groups::add_member(conn, acting.actor, at, id, now)?,
                (false, true) => {
                    groups::remove_member(conn, acting.actor, at, id, now)?;
                }
            }
        }
        BulkAction::Remove(heir) => {
            console::remove(conn, acting, workspace, id, *heir, request.reason, now)?;
        }
        BulkAction::Resend | BulkAction::Revoke => {
            if member.status != MembershipStatus::Invited {
                return Err(Skip("Has no pending invitation.".to_owned()));
            }
            let invitation = invitation_store::pending_for(conn, &[id])?
                .first()
                .map(|p| p.invitation_id)
                .ok_or_else(|| Skip("Has no pending invitation.".to_owned()))?;
            let inviter = Inviter {
                actor: acting.actor,
                permissions: acting.permissions,
            };
            if *request.action == BulkAction::Resend {
                invitations::resend(conn, &inviter, workspace, invitation, request.settings, now)?;
            } else {
                invitations::revoke(conn, &inviter, workspace, invitation, now)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fingerprint;
    use crate::domain::ids::MembershipId;

    #[test]
    fn a_fingerprint_tells_apart_who_was_listed() {
        let people = |ids: &[i64]| -> Vec<(MembershipId, String)> {
            ids.iter()
                .map(|id| (MembershipId(*id), String::new()))
                .collect()
        };
        assert_eq!(fingerprint(&people(&[3, 7])), fingerprint(&people(&[3, 7])));
        assert_ne!(fingerprint(&people(&[3, 7])), fingerprint(&people(&[3, 8])));
        assert_ne!(fingerprint(&people(&[3])), fingerprint(&people(&[3, 7])));
        assert_ne!(fingerprint(&people(&[])), fingerprint(&people(&[0])));
        assert_eq!(fingerprint(&people(&[1])).len(), 16);
        // Fixed, so that instances and builds agree.
        assert_eq!(fingerprint(&people(&[])), "cbf29ce484222325");
    }
}
