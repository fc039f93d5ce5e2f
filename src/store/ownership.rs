//! What a member owns in a workspace (apps, workflows, projects; contacts, flows, recipes) and what
//! they belong to (groups, direct grants): counted for the revoke dialog, moved or left unassigned
//! on removal, and given back on restore.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{AnyConnection, QueryResult};
use crate::db::schema::{apps, assets, grants, group_members, groups};
use crate::domain::ids::MembershipId;

/// How many things of each kind (`app`, `workflow`, `project`, `contact`, `flow`, `recipe`) a
/// member owns, kinds with none left out.
pub fn owned_by_kind(
    conn: &mut AnyConnection,
    member: MembershipId,
) -> QueryResult<Vec<(String, i64)>> {
    let mut counts: Vec<(String, i64)> = apps::table
        .filter(apps::owner_membership_id.eq(member.0))
        .group_by(apps::kind)
        .select((apps::kind, diesel::dsl::count_star()))
        .load(conn)?;
    counts.extend(
        assets::table
            .filter(assets::owner_membership_id.eq(member.0))
            .group_by(assets::kind)
            .select((assets::kind, diesel::dsl::count_star()))
            .load::<(String, i64)>(conn)?,
    );
    Ok(counts)
}

/// Moves everything the member owns to `to`, or leaves it unassigned (remembering whose it was, for
/// a restore); returns how many rows moved.
pub fn hand_over(
    conn: &mut AnyConnection,
    from: MembershipId,
    to: Option<MembershipId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let unassigned_from = to.is_none().then_some(from.0);
    let owner = to.map(|m| m.0);
    let moved_apps = diesel::update(apps::table.filter(apps::owner_membership_id.eq(from.0)))
        .set((
            apps::owner_membership_id.eq(owner),
            apps::unassigned_from_membership_id.eq(unassigned_from),
            apps::updated_at.eq(now),
        ))
        .execute(conn)?;
    let moved_assets = diesel::update(assets::table.filter(assets::owner_membership_id.eq(from.0)))
        .set((
            assets::owner_membership_id.eq(owner),
            assets::unassigned_from_membership_id.eq(unassigned_from),
            assets::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(moved_apps + moved_assets)
}

/// Gives the member back what a removal left unassigned and nobody took since; returns how many.
pub fn give_back(
    conn: &mut AnyConnection,
    member: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let apps_back = diesel::update(
        apps::table
            .filter(apps::unassigned_from_membership_id.eq(member.0))
            .filter(apps::owner_membership_id.is_null()),
    )
    .set((
        apps::owner_membership_id.eq(Some(member.0)),
        apps::unassigned_from_membership_id.eq(None::<i64>),
        apps::updated_at.eq(now),
    ))
    .execute(conn)?;
    let assets_back = diesel::update(
        assets::table
            .filter(assets::unassigned_from_membership_id.eq(member.0))
            .filter(assets::owner_membership_id.is_null()),
    )
    .set((
        assets::owner_membership_id.eq(Some(member.0)),
        assets::unassigned_from_membership_id.eq(None::<i64>),
        assets::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(apps_back + assets_back)
}

/// The groups and direct grants a removal ends, kept on the membership for a restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub groups: Vec<i64>,
    /// (app id, level)
    pub grants: Vec<(i64, String)>,
}

/// Ends the member's group memberships and direct grants; returns what they were.
pub fn end_belongings(
    conn: &mut AnyConnection,
    member: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<Snapshot> {
    let groups: Vec<i64> = group_members::table
        .filter(group_members::membership_id.eq(member.0))
        .select(group_members::group_id)
        .order(group_members::group_id)
        .load(conn)?;
    let grants: Vec<(i64, String)> = grants::table
        .filter(grants::membership_id.eq(member.0))
        .select((grants::app_id, grants::level))
        .order(grants::app_id)
        .load(conn)?;
    diesel::delete(group_members::table.filter(group_members::membership_id.eq(member.0)))
        .execute(conn)?;
    super::groups::touch(conn, &groups, now)?;
    diesel::delete(grants::table.filter(grants::membership_id.eq(member.0))).execute(conn)?;
    Ok(Snapshot { groups, grants })
}

/// Brings back the groups and grants of a snapshot that still exist; returns (groups, grants).
pub fn restore_belongings(
    conn: &mut AnyConnection,
    member: MembershipId,
    snapshot: &Snapshot,
    now: NaiveDateTime,
) -> QueryResult<(usize, usize)> {
    let live_groups: Vec<i64> = groups::table
        .filter(groups::id.eq_any(&snapshot.groups))
        .select(groups::id)
        .load(conn)?;
    for group in &live_groups {
        super::groups::add_members(conn, *group, &[member], now)?;
    }
    let app_ids: Vec<i64> = snapshot.grants.iter().map(|(app, _)| *app).collect();
    let live_apps: Vec<i64> = apps::table
        .filter(apps::id.eq_any(&app_ids))
        .select(apps::id)
        .load(conn)?;
    let mut restored = 0;
    for (app, level) in snapshot
        .grants
        .iter()
        .filter(|(app, _)| live_apps.contains(app))
    {
        diesel::insert_into(grants::table)
            .values((
                grants::app_id.eq(app),
                grants::membership_id.eq(Some(member.0)),
                grants::level.eq(level),
                grants::created_at.eq(now),
            ))
            .execute(conn)?;
        restored += 1;
    }
    Ok((live_groups.len(), restored))
}
