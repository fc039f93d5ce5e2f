//! Groups (issue 6): create, rename and describe, delete, and who is in them. Each change is one
//! transaction with its audit event; names stay unique per workspace whatever their case.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::Description;
use crate::domain::group::BulkAdd;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::policy;
use crate::domain::role::{Permission, PermissionSet};
use crate::domain::{Email, Name};
use crate::services::audit::Changes;
use crate::services::held;
use crate::store::audit::{self, Actor};
use crate::store::groups;
/// Reads the pages and the API share: a workspace's groups (by name, with a search) and one group.
pub use crate::store::groups::{
    Group, ScimGroup, find, list, mark_provisioned, member_refs, member_refs_of, scim_group,
    scim_groups,
};
use crate::store::{memberships, unique_violation_as};

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("A group with this name exists already: choose another name.")]
    NameTaken,
    #[error("This group no longer exists.")]
    NotFound,
    #[error("This person is not a current member of the workspace.")]
    NotAMember,
    /// The sender may not make this change: the group holds app grants, which it would give or
    /// take without `apps.manage`, or they no longer hold `groups.manage`.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The workspace and the group a change is about.
#[derive(Debug, Clone, Copy)]
pub struct InWorkspace {
    pub workspace: WorkspaceId,
    pub group: i64,
    /// The permissions of whoever changes it ([`policy::may_change_group_members`]).
    pub by: PermissionSet,
}

impl InWorkspace {
    /// The group, named `name`, as an audit event's subject.
    fn subject(self, name: &str) -> audit::Subject<'_> {
        audit::Subject {
            workspace: self.workspace,
            kind: "group",
            id: self.group,
            label: name,
        }
    }
}

/// What `actor` holds in `workspace` now, when they still manage groups (see
/// `held::still_holds`); `by` for a credential that is nobody.
fn sender_now(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    by: PermissionSet,
) -> Result<PermissionSet, GroupError> {
    Ok(
        held::still_holds(conn, actor, workspace, Permission::GroupsManage)?
            .map_err(GroupError::Refused)?
            .unwrap_or(by),
    )
}

/// The group, changed by `actor`, who still manages groups.
fn existing(conn: &mut AnyConnection, actor: &Actor, at: InWorkspace) -> Result<Group, GroupError> {
    sender_now(conn, actor, at.workspace, at.by)?;
    groups::find(conn, at.workspace, at.group)?.ok_or(GroupError::NotFound)
}

/// The group, when `actor` may change who is in it now (its grants go with them); with what
/// they hold.
fn members_changeable(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
) -> Result<(Group, PermissionSet), GroupError> {
    let by = sender_now(conn, actor, at.workspace, at.by)?;
    let group = groups::find(conn, at.workspace, at.group)?.ok_or(GroupError::NotFound)?;
    policy::may_change_group_members(by, group.grant_count)
        .map_err(|why| GroupError::Refused(why.to_owned()))?;
    Ok((group, by))
}

/// The group, when `actor` may add people to it now: adding lists or probes the workspace's
/// people, so it takes `users.view` too.
fn members_addable(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
) -> Result<Group, GroupError> {
    let (group, by) = members_changeable(conn, actor, at)?;
    if !by.contains(Permission::UsersView) {
        return Err(GroupError::Refused(
            "Adding people to a group takes seeing the workspace's people (users.view).".to_owned(),
        ));
    }
    Ok(group)
}

pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    name: &Name,
    description: &Description,
    now: NaiveDateTime,
) -> Result<i64, GroupError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        sender_now(conn, actor, workspace, PermissionSet::empty())?;
        if groups::name_taken(conn, workspace, name.as_str(), None)? {
            return Err(GroupError::NameTaken);
        }
        let group = groups::insert(conn, workspace, name.as_str(), description.as_str(), now)
            .map_err(unique_violation_as(|| GroupError::NameTaken))?;
        let at = InWorkspace {
            workspace,
            group,
            by: PermissionSet::empty(),
        };
        let changes = json!({ "name": name.as_str(), "description": description.as_str() });
        audit::record_about(
            conn,
            actor,
            &at.subject(name.as_str()),
            "group.created",
            changes,
            now,
        )?;
        Ok(group)
    })
}

/// Renames and re-describes a group; the event records what changed (nothing changed: no event).
pub fn update(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    name: &Name,
    description: &Description,
    now: NaiveDateTime,
) -> Result<(), GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let before = existing(conn, actor, at)?;
        if before.name == name.as_str() && before.description == description.as_str() {
            return Ok(());
        }
        if groups::name_taken(conn, at.workspace, name.as_str(), Some(at.group))? {
            return Err(GroupError::NameTaken);
        }
        groups::update(conn, at.group, name.as_str(), description.as_str(), now)
            .map_err(unique_violation_as(|| GroupError::NameTaken))?;
        let mut changes = Changes::default();
        changes.field("name", &before.name, name.as_str());
        changes.field("description", &before.description, description.as_str());
        Ok(audit::record_about(
            conn,
            actor,
            &at.subject(name.as_str()),
            "group.updated",
            changes.into_json(),
            now,
        )?)
    })
}

/// Sets the identity provider's id of a group (SCIM `externalId`; `None` removes it).
pub fn set_external_id(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    external_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let group = existing(conn, actor, at)?;
        let before = groups::scim_group(conn, at.workspace, at.group)?.and_then(|g| g.external_id);
        if before.as_deref() == external_id {
            return Ok(());
        }
        groups::set_external_id(conn, at.group, external_id, now)?;
        Ok(audit::record_about(
            conn,
            actor,
            &at.subject(&group.name),
            "group.updated",
            json!({ "external_id": { "before": before, "after": external_id } }),
            now,
        )?)
    })
}

/// Which of `ids` are current members of the workspace (with their addresses).
pub use crate::store::memberships::current_among;

/// Makes the group's members exactly `ids` (those of them current in the workspace).
pub fn set_members(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    ids: &[MembershipId],
    now: NaiveDateTime,
) -> Result<(), GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        members_changeable(conn, actor, at)?;
        for id in groups::member_refs(conn, at.group)? {
            if !ids.iter().any(|m| m.0 == id) {
                remove_member(conn, actor, at, MembershipId(id), now)?;
            }
        }
        add_members(conn, actor, at, ids, now)?;
        Ok(())
    })
}

/// Deletes a group with its memberships and grants; the event keeps how many of each it had.
pub fn delete(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    now: NaiveDateTime,
) -> Result<Group, GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let (group, _) = members_changeable(conn, actor, at)?;
        let invitations = crate::store::invitations::choosing(
            conn,
            crate::store::invitations::Chosen::Group(at.group),
            now,
        )?;
        groups::delete(conn, at.group)?;
        let changes = json!({
            "members": group.member_count,
            "grants": group.grant_count,
            "invitations": invitations,
        });
        audit::record_about(
            conn,
            actor,
            &at.subject(&group.name),
            "group.deleted",
            changes,
            now,
        )?;
        Ok(group)
    })
}

/// Adds these members (chosen in the picker) to the group; those already in it are left as they
/// are, ids of nobody current in the workspace are ignored. Returns the emails added.
pub fn add_members(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    ids: &[MembershipId],
    now: NaiveDateTime,
) -> Result<Vec<String>, GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let group = members_addable(conn, actor, at)?;
        let current = memberships::current_among(conn, at.workspace, ids)?;
        add_current(conn, actor, at, &group, current, now).map(|outcome| outcome.added)
    })
}

/// Adds one current member of the workspace (already in the group: nothing changes); anyone
/// else is `NotAMember`.
pub fn add_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    id: MembershipId,
    now: NaiveDateTime,
) -> Result<(), GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let group = members_addable(conn, actor, at)?;
        let current = memberships::current_among(conn, at.workspace, &[id])?;
        if current.is_empty() {
            return Err(GroupError::NotAMember);
        }
        add_current(conn, actor, at, &group, current, now).map(|_| ())
    })
}

/// Adds the members with these addresses; says which were added, already in, or not members.
pub fn add_by_emails(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    emails: &[Email],
    now: NaiveDateTime,
) -> Result<BulkAdd, GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let group = members_addable(conn, actor, at)?;
        let current = memberships::current_by_emails(conn, at.workspace, emails)?;
        let mut outcome = add_current(conn, actor, at, &group, current.clone(), now)?;
        outcome.not_members = emails
            .iter()
            .filter(|e| {
                !current
                    .iter()
                    .any(|(_, found)| found.eq_ignore_ascii_case(e.as_str()))
            })
            .map(|e| e.as_str().to_owned())
            .collect();
        Ok(outcome)
    })
}

fn add_current(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    group: &Group,
    current: Vec<(MembershipId, String)>,
    now: NaiveDateTime,
) -> Result<BulkAdd, GroupError> {
    let ids: Vec<MembershipId> = current.iter().map(|(id, _)| *id).collect();
    let already = groups::members_among(conn, at.group, &ids)?;
    let mut outcome = BulkAdd::default();
    let mut new = Vec::new();
    for (id, email) in current {
        if already.contains(&id) {
            outcome.already.push(email);
        } else {
            new.push(id);
            outcome.added.push(email);
        }
    }
    groups::add_members(conn, at.group, &new, now)?;
    if !outcome.added.is_empty() {
        let changes = json!({ "added": outcome.added.len(), "members": outcome.added });
        audit::record_naming(
            conn,
            actor,
            &at.subject(&group.name),
            "group.members_added",
            changes,
            &new,
            now,
        )?;
    }
    Ok(outcome)
}

/// Takes one member out of the group (no event when they were not in it).
pub fn remove_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    member: MembershipId,
    now: NaiveDateTime,
) -> Result<bool, GroupError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let (group, _) = members_changeable(conn, actor, at)?;
        let email = memberships::current_among(conn, at.workspace, &[member])?
            .pop()
            .map(|(_, email)| email);
        if !groups::remove_member(conn, at.group, member, now)? {
            return Ok(false);
        }
        let changes = json!({ "member": email, "membership_id": member.0 });
        audit::record_naming(
            conn,
            actor,
            &at.subject(&group.name),
            "group.member_removed",
            changes,
            &[member],
            now,
        )?;
        Ok(true)
    })
}
