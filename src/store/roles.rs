use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult, stored_permissions};
use crate::db::schema::roles;
use crate::domain::ids::RoleId;
use crate::domain::role::BuiltInRole;

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
    pub permissions: crate::domain::role::PermissionSet,
}

/// The built-in roles and this workspace's custom roles, built-ins first (Owner … Member).
pub fn choices(
    conn: &mut AnyConnection,
    workspace: crate::domain::ids::WorkspaceId,
) -> QueryResult<Vec<RoleChoice>> {
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
