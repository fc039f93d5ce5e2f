use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{group_members, groups};
use crate::domain::ids::{MembershipId, WorkspaceId};

/// (id, name) of a workspace's groups, by name.
pub fn names(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Vec<(i64, String)>> {
    groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .select((groups::id, groups::name))
        .order(groups::name)
        .limit(1000)
        .load(conn)
}

/// Which of `ids` are groups of this workspace.
pub fn existing(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[i64],
) -> QueryResult<Vec<i64>> {
    groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .filter(groups::id.eq_any(ids))
        .select(groups::id)
        .load(conn)
}

pub fn add_member(
    conn: &mut AnyConnection,
    group: i64,
    membership: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(group_members::table)
        .values((
            group_members::group_id.eq(group),
            group_members::membership_id.eq(membership.0),
            group_members::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
