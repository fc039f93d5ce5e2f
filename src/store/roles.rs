use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult, lower, parse_key, stored_permissions};
use crate::db::schema::{accounts, memberships, roles};
use crate::domain::ids::{MembershipId, RoleId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::role::{BuiltInRole, PermissionSet};

/// Writes the built-in roles' permission sets from the code's catalogue, so that a permission added
/// to the catalogue reaches Owners and Admins at the next start. Idempotent.
pub fn sync_built_in(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<()> {
    for role in BuiltInRole::ALL {
        let keys = role.permissions().to_keys();
        let updated = diesel::update(
            roles::table
                .filter(roles::workspace_id.is_null())
                .filter(roles::key.eq(role.key())),
        )
        .filter(roles::permissions.ne(&keys).or(roles::name.ne(role.name())))
        .set((
            roles::permissions.eq(&keys),
            roles::name.eq(role.name()),
            roles::updated_at.eq(now),
        ))
        .execute(conn)?;
        if updated == 0 && built_in_id(conn, role).optional()?.is_none() {
            diesel::insert_into(roles::table)
                .values((
                    roles::key.eq(role.key()),
                    roles::name.eq(role.name()),
                    roles::permissions.eq(&keys),
                    roles::built_in.eq(true),
                    roles::created_at.eq(now),
                    roles::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

pub fn built_in_id(conn: &mut AnyConnection, role: BuiltInRole) -> QueryResult<RoleId> {
    roles::table
        .filter(roles::workspace_id.is_null())
        .filter(roles::key.eq(role.key()))
        .select(roles::id)
        .first::<i64>(conn)
        .map(RoleId)
}

/// A role as an invitation or role change offers it.
#[derive(Debug, Clone)]
pub struct RoleChoice {
    pub id: RoleId,
    /// `owner`, `admin`… for built-ins; the id as text for custom roles (the form's `role` value).
    pub key: String,
    pub name: String,
    pub permissions: PermissionSet,
}

/// The built-in roles and this workspace's custom roles, built-ins first (Owner … Member).
pub fn choices(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Vec<RoleChoice>> {
    let rows: Vec<(i64, Option<i64>, String, String, String)> = roles::table
        .filter(
            roles::workspace_id
                .is_null()
                .or(roles::workspace_id.eq(workspace.0)),
        )
        .select((
            roles::id,
            roles::workspace_id,
            roles::key,
            roles::name,
            roles::permissions,
        ))
        .order((roles::built_in.desc(), roles::id))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, workspace_id, key, name, permissions)| {
            Ok(RoleChoice {
                id: RoleId(id),
                key: if workspace_id.is_some() {
                    id.to_string()
                } else {
                    key
                },
                name,
                permissions: stored_permissions(&permissions)?,
            })
        })
        .collect()
}

/// The `key` of every custom role (forms name them by id; only built-ins' keys mean something).
const CUSTOM_KEY: &str = "custom";

/// One of a workspace's own roles.
#[derive(Debug, Clone)]
pub struct CustomRole {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub permissions: PermissionSet,
}

type CustomTuple = (i64, String, String, String);

fn custom_role((id, name, description, permissions): CustomTuple) -> QueryResult<CustomRole> {
    Ok(CustomRole {
        id: RoleId(id),
        name,
        description,
        permissions: stored_permissions(&permissions)?,
    })
}

/// A workspace's custom roles, by name.
pub fn custom(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Vec<CustomRole>> {
    roles::table
        .filter(roles::workspace_id.eq(workspace.0))
        .select((
            roles::id,
            roles::name,
            roles::description,
            roles::permissions,
        ))
        .order((lower(roles::name), roles::id))
        .load::<CustomTuple>(conn)?
        .into_iter()
        .map(custom_role)
        .collect()
}

/// One of the workspace's custom roles (a built-in role is not one).
pub fn find_custom(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: RoleId,
) -> QueryResult<Option<CustomRole>> {
    roles::table
        .filter(roles::workspace_id.eq(workspace.0))
        .filter(roles::id.eq(id.0))
        .select((
            roles::id,
            roles::name,
            roles::description,
            roles::permissions,
        ))
        .first::<CustomTuple>(conn)
        .optional()?
        .map(custom_role)
        .transpose()
}

/// Whether another custom role of the workspace has this name, whatever its case.
pub fn name_taken(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    name: &str,
    except: Option<RoleId>,
) -> QueryResult<bool> {
    let found: Option<i64> = roles::table
        .filter(roles::workspace_id.eq(workspace.0))
        .filter(lower(roles::name).eq(name.to_lowercase()))
        .filter(roles::id.ne(except.map_or(0, |r| r.0)))
        .select(roles::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

pub fn insert_custom(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    name: &str,
    description: &str,
    permissions: PermissionSet,
    now: NaiveDateTime,
) -> QueryResult<RoleId> {
    diesel::insert_into(roles::table)
        .values((
            roles::workspace_id.eq(workspace.0),
            roles::key.eq(CUSTOM_KEY),
            roles::name.eq(name),
            roles::description.eq(description),
            roles::permissions.eq(permissions.to_keys()),
            roles::built_in.eq(false),
            roles::created_at.eq(now),
            roles::updated_at.eq(now),
        ))
        .returning(roles::id)
        .get_result(conn)
        .map(RoleId)
}

pub fn update_custom(
    conn: &mut AnyConnection,
    id: RoleId,
    name: &str,
    description: &str,
    permissions: PermissionSet,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(roles::table.find(id.0))
        .set((
            roles::name.eq(name),
            roles::description.eq(description),
            roles::permissions.eq(permissions.to_keys()),
            roles::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a custom role; the database refuses while a membership points at it.
pub fn delete_custom(conn: &mut AnyConnection, id: RoleId) -> QueryResult<()> {
    diesel::delete(roles::table.find(id.0)).execute(conn)?;
    Ok(())
}

/// How many memberships hold a role, by their state (a pending invitation is an invited one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HolderCounts {
    /// Active and suspended members.
    pub members: i64,
    pub invited: i64,
    /// Removed members, who get the role back if they are restored.
    pub removed: i64,
}

impl HolderCounts {
    pub fn total(&self) -> i64 {
        self.members + self.invited + self.removed
    }
}

/// [`holder_counts`] of one role.
pub fn holder_counts_of(conn: &mut AnyConnection, role: RoleId) -> QueryResult<HolderCounts> {
    Ok(holder_counts(conn, &[role])?
        .remove(&role)
        .unwrap_or_default())
}

/// The holder counts of these roles (a role nobody holds is left out).
pub fn holder_counts(
    conn: &mut AnyConnection,
    ids: &[RoleId],
) -> QueryResult<HashMap<RoleId, HolderCounts>> {
    let ids: Vec<i64> = ids.iter().map(|r| r.0).collect();
    let rows: Vec<(i64, String, i64)> = memberships::table
        .filter(memberships::role_id.eq_any(ids))
        .group_by((memberships::role_id, memberships::status))
        .select((
            memberships::role_id,
            memberships::status,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut counts: HashMap<RoleId, HolderCounts> = HashMap::new();
    for (role, status, n) in rows {
        let count = counts.entry(RoleId(role)).or_default();
        match parse_key("membership status", &status, MembershipStatus::from_key)? {
            MembershipStatus::Active | MembershipStatus::Suspended => count.members += n,
            MembershipStatus::Invited => count.invited += n,
            MembershipStatus::Removed => count.removed += n,
        }
    }
    Ok(counts)
}

/// Someone holding a role.
#[derive(Debug, Clone)]
pub struct Holder {
    pub membership: MembershipId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub status: MembershipStatus,
    pub account_status: AccountStatus,
}

/// The first `limit` holders of a role by name, whatever their membership's state.
pub fn holders(conn: &mut AnyConnection, role: RoleId, limit: i64) -> QueryResult<Vec<Holder>> {
    let rows: Vec<(i64, String, String, String, String, String)> = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::role_id.eq(role.0))
        .select((
            memberships::id,
            accounts::first_name,
            accounts::last_name,
            accounts::email,
            memberships::status,
            accounts::status,
        ))
        .order((memberships::sort_name, memberships::id))
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, first_name, last_name, email, status, account_status)| {
                Ok(Holder {
                    membership: MembershipId(id),
                    first_name,
                    last_name,
                    email,
                    status: parse_key("membership status", &status, MembershipStatus::from_key)?,
                    account_status: parse_key(
                        "account status",
                        &account_status,
                        AccountStatus::from_key,
                    )?,
                })
            },
        )
        .collect()
}
