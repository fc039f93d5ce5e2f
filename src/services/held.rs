//! What the sender of a change holds, read again inside the change's own transaction (after its
//! lock): a request that arrived before its sender was demoted, suspended or blocked is judged by
//! what they hold by then, not by what it found when it arrived.

use crate::db::AnyConnection;
use crate::domain::ids::{AccountId, RoleId, WorkspaceId};
use crate::domain::membership::OrgRole;
use crate::domain::policy;
use crate::domain::role::{Permission, PermissionSet};
use crate::store::audit::Actor;
use crate::store::{accounts, memberships};

/// What a person holds in a workspace as the database says now.
pub struct HeldNow {
    pub permissions: PermissionSet,
    pub org_role: OrgRole,
    /// The role of their membership, if they have one.
    pub role: Option<RoleId>,
}

/// What `account` holds in `workspace` now. Refused: the reason in words.
pub fn now(
    conn: &mut AnyConnection,
    account: AccountId,
    workspace: WorkspaceId,
) -> diesel::QueryResult<Result<HeldNow, String>> {
    let Some(found) = accounts::find(conn, account)? else {
        return Ok(Err("Your account no longer exists.".to_owned()));
    };
    let membership = memberships::access(conn, workspace, account)?;
    Ok(policy::workspace_permissions(
        found.status,
        found.org_role,
        membership.as_ref().map(|m| (m.status, m.permissions)),
    )
    .map(|permissions| HeldNow {
        permissions,
        org_role: found.org_role,
        role: membership.map(|m| m.role_id),
    })
    .map_err(|refused| refused.to_string()))
}

/// Whether `actor` still holds `needed` in `workspace` (see [`now`]), read inside a change's
/// own transaction: what they hold now, or why the change is refused. A credential that is
/// nobody (an API key, SCIM) is judged as its request found it: `None`.
pub fn still_holds(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    needed: Permission,
) -> diesel::QueryResult<Result<Option<PermissionSet>, String>> {
    let Some(account) = actor.account_id else {
        return Ok(Ok(None));
    };
    Ok(now(conn, account, workspace)?.and_then(|held| {
        if held.permissions.contains(needed) {
            Ok(Some(held.permissions))
        } else {
            Err(format!(
                "Your role no longer allows this (it needs {}): nothing was changed.",
                needed.key()
            ))
        }
    }))
}
