use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{apps, grants};
use crate::domain::ids::{MembershipId, WorkspaceId};

/// (id, kind, name) of a workspace's apps, workflows and projects, by kind and name.
pub fn names(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
) -> QueryResult<Vec<(i64, String, String)>> {
    apps::table
        .filter(apps::workspace_id.eq(workspace.0))
        .select((apps::id, apps::kind, apps::name))
        .order((apps::kind, apps::name))
        .limit(1000)
        .load(conn)
}

/// Which of `ids` are apps of this workspace.
pub fn existing(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[i64],
) -> QueryResult<Vec<i64>> {
    apps::table
        .filter(apps::workspace_id.eq(workspace.0))
        .filter(apps::id.eq_any(ids))
        .select(apps::id)
        .load(conn)
}

/// A direct grant to a member (kept at the higher level if one exists already).
pub fn grant_member(
    conn: &mut AnyConnection,
    app: i64,
    membership: MembershipId,
    level: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let exists = diesel::select(diesel::dsl::exists(
        grants::table
            .filter(grants::app_id.eq(app))
            .filter(grants::membership_id.eq(membership.0)),
    ))
    .get_result::<bool>(conn)?;
    if !exists {
        diesel::insert_into(grants::table)
            .values((
                grants::app_id.eq(app),
                grants::membership_id.eq(Some(membership.0)),
                grants::level.eq(level),
                grants::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
