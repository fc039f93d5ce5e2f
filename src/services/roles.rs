//! Custom roles (issue 6): create, change and delete a workspace's own roles. Each change is one
//! transaction with its audit event, under the workspace lock (so a role is not deleted while an
//! invitation or role change hands it out); nobody puts in a role a permission they do not hold
//! (PRODUCT §4 rule 6), and a role that anyone holds is not deleted.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::Description;
use crate::domain::custom_role::RoleName;
use crate::domain::ids::{RoleId, WorkspaceId};
use crate::domain::policy;
use crate::domain::role::{Permission, PermissionSet};
use crate::services::audit::Changes;
use crate::store::audit::{self, Actor};
use crate::store::roles::{self, CustomRole, Holder};
/// The roles one may hand out in a workspace, with their keys: the pages' and the API's read.
pub use crate::store::roles::{RoleChoice, choices};
use crate::store::unique_violation_as;

/// How many holders a page or a refusal names; the rest are counted.
pub const HOLDERS_SHOWN: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("A role with this name exists already: choose another name.")]
    NameTaken,
    #[error("This role no longer exists.")]
    NotFound,
    /// The permissions asked for are refused; the text says why (beside the field).
    #[error("{0}")]
    Permissions(String),
    /// This person may not change this role; the text says why.
    #[error("{0}")]
    Refused(String),
    /// Someone holds the role: its first holders by name, and how many in all.
    #[error("This role is held by {total} memberships: move them to another role first.")]
    InUse { holders: Vec<Holder>, total: i64 },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Who changes roles: the actor, what they may do, and the role they hold in the workspace.
pub struct Definer {
    pub actor: Actor,
    pub permissions: PermissionSet,
    pub role: Option<RoleId>,
}

impl Definer {
    /// The definer as the database says now, read inside the change's transaction (see
    /// `held::now`): demoted or suspended since the request arrived, refused.
    fn now(&self, conn: &mut AnyConnection, workspace: WorkspaceId) -> Result<Self, RoleError> {
        let Some(account) = self.actor.account_id else {
            return Ok(Self {
                actor: self.actor.clone(),
                ..*self
            });
        };
        let held =
            crate::services::held::now(conn, account, workspace)?.map_err(RoleError::Refused)?;
        Ok(Self {
            actor: self.actor.clone(),
            permissions: held.permissions,
            // An org owner or admin holds what they hold whatever their membership's role.
            role: held
                .role
                .filter(|_| !held.org_role.administers_all_workspaces()),
        })
    }
}

/// A custom role as the form gives it, each value parsed.
pub struct RoleDraft {
    pub name: RoleName,
    pub description: Description,
    pub permissions: PermissionSet,
}

/// The workspace and the role a change is about.
#[derive(Debug, Clone, Copy)]
pub struct InWorkspace {
    pub workspace: WorkspaceId,
    pub role: RoleId,
}

impl InWorkspace {
    /// The role, named `name`, as an audit event's subject.
    fn subject(self, name: &str) -> audit::Subject<'_> {
        audit::Subject {
            workspace: self.workspace,
            kind: "role",
            id: self.role.0,
            label: name,
        }
    }
}

/// "users.view, users.suspend": a permission set as an audit event keeps it.
fn listed(permissions: PermissionSet) -> String {
    permissions
        .iter()
        .map(Permission::key)
        .collect::<Vec<_>>()
        .join(", ")
}

fn existing(conn: &mut AnyConnection, at: InWorkspace) -> Result<CustomRole, RoleError> {
    roles::find_custom(conn, at.workspace, at.role)?.ok_or(RoleError::NotFound)
}

/// Whether `definer` may change or delete this role (the role's page asks too, to offer its form).
pub fn may_change(definer: &Definer, role: &CustomRole) -> Result<(), RoleError> {
    policy::may_change_custom_role(
        definer.permissions,
        definer.role == Some(role.id),
        role.permissions,
    )
    .map_err(RoleError::Refused)
}

pub fn create(
    conn: &mut AnyConnection,
    definer: &Definer,
    workspace: WorkspaceId,
    draft: &RoleDraft,
    now: NaiveDateTime,
) -> Result<RoleId, RoleError> {
    policy::may_give_permissions(definer.permissions, draft.permissions)
        .map_err(RoleError::Permissions)?;
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let definer = &definer.now(conn, workspace)?;
        policy::may_give_permissions(definer.permissions, draft.permissions)
            .map_err(RoleError::Permissions)?;
        if roles::name_taken(conn, workspace, draft.name.as_str(), None)? {
            return Err(RoleError::NameTaken);
        }
        let role = roles::insert_custom(
            conn,
            workspace,
            draft.name.as_str(),
            draft.description.as_str(),
            draft.permissions,
            now,
        )
        .map_err(unique_violation_as(|| RoleError::NameTaken))?;
        let changes = json!({
            "name": draft.name.as_str(),
            "description": draft.description.as_str(),
            "permissions": listed(draft.permissions),
        });
        let at = InWorkspace { workspace, role };
        audit::record_about(
            conn,
            &definer.actor,
            &at.subject(draft.name.as_str()),
            "role.created",
            changes,
            now,
        )?;
        Ok(role)
    })
}

/// Renames, re-describes and re-permits a role; its holders have the new permissions from their
/// next request. The event records what changed (nothing changed: no event).
pub fn update(
    conn: &mut AnyConnection,
    definer: &Definer,
    at: InWorkspace,
    draft: &RoleDraft,
    now: NaiveDateTime,
) -> Result<(), RoleError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let definer = &definer.now(conn, at.workspace)?;
        let before = existing(conn, at)?;
        may_change(definer, &before)?;
        policy::may_give_permissions(definer.permissions, draft.permissions)
            .map_err(RoleError::Permissions)?;
        let mut changes = Changes::default();
        changes.field("name", &before.name, draft.name.as_str());
        changes.field(
            "description",
            &before.description,
            draft.description.as_str(),
        );
        changes.field(
            "permissions",
            listed(before.permissions),
            listed(draft.permissions),
        );
        if changes.is_empty() {
            return Ok(());
        }
        if roles::name_taken(conn, at.workspace, draft.name.as_str(), Some(at.role))? {
            return Err(RoleError::NameTaken);
        }
        roles::update_custom(
            conn,
            at.role,
            draft.name.as_str(),
            draft.description.as_str(),
            draft.permissions,
            now,
        )
        .map_err(unique_violation_as(|| RoleError::NameTaken))?;
        Ok(audit::record_about(
            conn,
            &definer.actor,
            &at.subject(draft.name.as_str()),
            "role.updated",
            changes.into_json(),
            now,
        )?)
    })
}

/// Deletes a role nobody holds (no membership in any state, no pending invitation); the event
/// keeps what it allowed.
pub fn delete(
    conn: &mut AnyConnection,
    definer: &Definer,
    at: InWorkspace,
    now: NaiveDateTime,
) -> Result<CustomRole, RoleError> {
    db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
        let definer = &definer.now(conn, at.workspace)?;
        let role = existing(conn, at)?;
        may_change(definer, &role)?;
        let total = roles::holder_counts_of(conn, at.role)?.total();
        if total > 0 {
            return Err(RoleError::InUse {
                holders: roles::holders(conn, at.role, HOLDERS_SHOWN)?,
                total,
            });
        }
        roles::delete_custom(conn, at.role)?;
        let changes = json!({
            "description": role.description,
            "permissions": listed(role.permissions),
        });
        audit::record_about(
            conn,
            &definer.actor,
            &at.subject(&role.name),
            "role.deleted",
            changes,
            now,
        )?;
        Ok(role)
    })
}
