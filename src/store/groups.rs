use chrono::NaiveDateTime;
use diesel::prelude::*;

use diesel::sql_types::BigInt;

use super::sql::{Sql, sql};
use super::{AnyConnection, QueryResult, in_chunks, lower};
use crate::db::schema::{grants, group_members, groups};
use crate::domain::ids::{MembershipId, WorkspaceId};

/// How many groups a list or a menu shows at most (a search finds the others).
pub const SHOWN: usize = 1000;

/// (id, name) of a workspace's first [`SHOWN`] groups by name, for menus.
pub fn names(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Vec<(i64, String)>> {
    every_name(conn, workspace, Some(SHOWN as i64))
}

/// (id, name) of a workspace's groups by name, `limit` at most (none: all of them, as an import
/// matches the names its rows give).
pub fn every_name(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    limit: Option<i64>,
) -> QueryResult<Vec<(i64, String)>> {
    let query = groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .select((groups::id, groups::name))
        .order((lower(groups::name), groups::id))
        .into_boxed();
    match limit {
        Some(n) => query.limit(n).load(conn),
        None => query.load(conn),
    }
}

/// The names of these groups, by name (for audit events: lists named, not numbered).
pub fn names_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<String>> {
    super::in_chunks(ids, |chunk| {
        groups::table
            .filter(groups::id.eq_any(chunk))
            .select(groups::name)
            .order(groups::name)
            .load(conn)
    })
}

/// Which of `ids` hold an app grant (their members hold it).
pub fn holding_grants(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    let held: Vec<Option<i64>> = in_chunks(ids, |chunk| {
        grants::table
            .filter(grants::group_id.eq_any(chunk))
            .select(grants::group_id)
            .distinct()
            .load(conn)
    })?;
    Ok(held.into_iter().flatten().collect())
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

/// Puts these members in the group (none of them in it yet), and marks the group changed once.
pub fn add_members(
    conn: &mut AnyConnection,
    group: i64,
    members: &[MembershipId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    for membership in members {
        diesel::insert_into(group_members::table)
            .values((
                group_members::group_id.eq(group),
                group_members::membership_id.eq(membership.0),
                group_members::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    if members.is_empty() {
        return Ok(());
    }
    touch(conn, &[group], now)
}

/// Marks these groups changed at `now`: a change of members is a new version of a group (its
/// SCIM `version` and `lastModified`, so that a stale `If-Match` is refused).
pub fn touch(conn: &mut AnyConnection, groups: &[i64], now: NaiveDateTime) -> QueryResult<()> {
    if !groups.is_empty() {
        diesel::update(groups::table.filter(groups::id.eq_any(groups)))
            .set(groups::updated_at.eq(now))
            .execute(conn)?;
    }
    Ok(())
}

/// A group as its list and its page show it (read as `Group::as_select()`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    #[diesel(select_expression = grant_count(), select_expression_type = Sql<BigInt>)]
    pub grant_count: i64,
    pub updated_at: NaiveDateTime,
    /// Created by the identity provider (SCIM): its next sync may undo changes made here.
    pub provisioned: bool,
}

/// The number of grants a group holds, as a column.
fn grant_count() -> Sql<BigInt> {
    sql("(SELECT COUNT(*) FROM grants WHERE grants.group_id = groups.id)")
}

/// A workspace's first [`SHOWN`] groups by name, and one more when there are more (a list says
/// so), narrowed to those whose name or description contains `search` (case-insensitively).
pub fn list(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    search: &str,
) -> QueryResult<Vec<Group>> {
    let mut query = groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .select(Group::as_select())
        .order((lower(groups::name), groups::id))
        .limit(SHOWN as i64 + 1)
        .into_boxed();
    if let Some(pattern) = super::contains_pattern(search) {
        query = query.filter(
            lower(groups::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(groups::description).like(pattern).escape('\\')),
        );
    }
    query.load(conn)
}

/// One of the workspace's groups.
pub fn find(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
) -> QueryResult<Option<Group>> {
    groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .filter(groups::id.eq(id))
        .select(Group::as_select())
        .first(conn)
        .optional()
}

/// Whether another group of the workspace has this name, whatever its case.
pub fn name_taken(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let found: Option<i64> = groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .filter(lower(groups::name).eq(name.to_lowercase()))
        .filter(groups::id.ne(except.unwrap_or(0)))
        .select(groups::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

pub fn insert(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    // Never an id given before: SQLite's AUTOINCREMENT, PostgreSQL's identity.
    diesel::insert_into(groups::table)
        .values((
            groups::workspace_id.eq(workspace.0),
            groups::name.eq(name),
            groups::description.eq(description),
            groups::created_at.eq(now),
            groups::updated_at.eq(now),
        ))
        .returning(groups::id)
        .get_result(conn)
}

pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(groups::table.find(id))
        .set((
            groups::name.eq(name),
            groups::description.eq(description),
            groups::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the group; its memberships and grants go with it (foreign keys cascade).
pub fn delete(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::delete(groups::table.find(id)).execute(conn)?;
    Ok(())
}

/// Which of these memberships are in the group.
pub fn members_among(
    conn: &mut AnyConnection,
    group: i64,
    ids: &[MembershipId],
) -> QueryResult<Vec<MembershipId>> {
    in_chunks(ids, |chunk| {
        let chunk: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        let rows: Vec<i64> = group_members::table
            .filter(group_members::group_id.eq(group))
            .filter(group_members::membership_id.eq_any(chunk))
            .select(group_members::membership_id)
            .load(conn)?;
        Ok(rows.into_iter().map(MembershipId).collect())
    })
}

/// Takes a member out of the group; false when they were not in it.
pub fn remove_member(
    conn: &mut AnyConnection,
    group: i64,
    membership: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let removed = diesel::delete(
        group_members::table
            .filter(group_members::group_id.eq(group))
            .filter(group_members::membership_id.eq(membership.0)),
    )
    .execute(conn)?;
    if removed > 0 {
        touch(conn, &[group], now)?;
    }
    Ok(removed > 0)
}

/// A group's grants: (app id, kind, app name, level), by app name.
pub fn grants_of(
    conn: &mut AnyConnection,
    group: i64,
) -> QueryResult<Vec<(i64, String, String, String)>> {
    use crate::db::schema::{apps, grants};
    grants::table
        .inner_join(apps::table)
        .filter(grants::group_id.eq(group))
        .select((apps::id, apps::kind, apps::name, grants::level))
        .order((lower(apps::name), apps::id))
        .load(conn)
}

/// A group as SCIM shows it (its members come from [`member_refs`]; read as
/// `ScimGroup::as_select()`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = groups)]
pub struct ScimGroup {
    pub id: i64,
    pub name: String,
    pub external_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// `count` groups matching `cond` from the `offset`-th (by id), and how many match in all.
pub fn scim_groups(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    cond: Option<&crate::domain::scim_filter::Cond>,
    offset: i64,
    count: i64,
) -> QueryResult<(i64, Vec<ScimGroup>)> {
    use super::scim::{GROUPS, condition};
    let listed = || {
        let mut query = groups::table
            .filter(groups::workspace_id.eq(workspace.0))
            .into_boxed();
        if let Some(cond) = cond {
            query = query.filter(condition(cond, &GROUPS));
        }
        query
    };
    let total: i64 = listed().count().get_result(conn)?;
    let rows = listed()
        .select(ScimGroup::as_select())
        .order(groups::id)
        .offset(offset)
        .limit(count)
        .load(conn)?;
    Ok((total, rows))
}

/// One group of the workspace, as SCIM shows it.
pub fn scim_group(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
) -> QueryResult<Option<ScimGroup>> {
    groups::table
        .filter(groups::workspace_id.eq(workspace.0))
        .filter(groups::id.eq(id))
        .select(ScimGroup::as_select())
        .first(conn)
        .optional()
}

/// A group's current members (not removed): (membership id, email), by id.
pub fn member_refs(conn: &mut AnyConnection, group: i64) -> QueryResult<Vec<i64>> {
    use crate::db::schema::memberships;
    group_members::table
        .inner_join(memberships::table)
        .filter(group_members::group_id.eq(group))
        .filter(memberships::status.ne("removed"))
        .select(memberships::id)
        .order(memberships::id)
        .load(conn)
}

/// The current members of each of `groups` (group, member), in one statement.
pub fn member_refs_of(conn: &mut AnyConnection, groups: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    use crate::db::schema::memberships;
    group_members::table
        .inner_join(memberships::table)
        .filter(group_members::group_id.eq_any(groups))
        .filter(memberships::status.ne("removed"))
        .select((group_members::group_id, memberships::id))
        .order((group_members::group_id, memberships::id))
        .load(conn)
}

pub fn set_external_id(
    conn: &mut AnyConnection,
    group: i64,
    external_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(groups::table.find(group))
        .set((
            groups::external_id.eq(external_id),
            groups::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a group as the identity provider's (made through SCIM).
pub fn mark_provisioned(conn: &mut AnyConnection, group: i64) -> QueryResult<()> {
    diesel::update(groups::table.find(group))
        .set(groups::provisioned.eq(true))
        .execute(conn)?;
    Ok(())
}
