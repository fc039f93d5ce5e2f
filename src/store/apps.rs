use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{AnyConnection, QueryResult, contains_pattern, lower, parse_key, sql};
use crate::db::schema::{accounts, apps, grants, group_members, groups, memberships};
use crate::domain::access::{
    AppKind, Effective, GrantFact, Level, Source, UNRESTRICTED_LEVEL, effective_access,
};
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::membership::MembershipStatus;
use crate::domain::names::display_name;

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

/// The names of these apps, by name (for audit events: lists named, not numbered).
pub fn names_of(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<String>> {
    super::in_chunks(ids, |chunk| {
        apps::table
            .filter(apps::id.eq_any(chunk))
            .select(apps::name)
            .order(apps::name)
            .load(conn)
    })
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

/// An app, workflow or project as its list and its page show it.
#[derive(Debug, Clone)]
pub struct App {
    pub id: i64,
    pub kind: AppKind,
    pub name: String,
    pub owner: Option<Owner>,
    pub restricted: bool,
    pub grant_count: i64,
}

/// The member an app belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: MembershipId,
    pub name: String,
    pub email: String,
}

/// An app as read, before its owner is looked up (read as `AppRow::as_select()`).
#[derive(Queryable, Selectable)]
#[diesel(table_name = apps)]
struct AppRow {
    id: i64,
    kind: String,
    name: String,
    owner_membership_id: Option<i64>,
    restricted: bool,
    #[diesel(select_expression = grant_count(), select_expression_type = sql::Sql<BigInt>)]
    grant_count: i64,
}

/// The number of grants an app holds, as a column.
fn grant_count() -> sql::Sql<BigInt> {
    sql::sql("(SELECT COUNT(*) FROM grants WHERE grants.app_id = apps.id)")
}

/// The apps of these rows, with their owners' names (one query for all the owners).
fn with_owners(conn: &mut AnyConnection, rows: Vec<AppRow>) -> QueryResult<Vec<App>> {
    let owner_ids: Vec<i64> = rows.iter().filter_map(|r| r.owner_membership_id).collect();
    let owners: HashMap<i64, Owner> = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::id.eq_any(&owner_ids))
        .select((
            memberships::id,
            accounts::first_name,
            accounts::last_name,
            accounts::email,
        ))
        .load::<(i64, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, first, last, email)| {
            let owner = Owner {
                id: MembershipId(id),
                name: display_name(&first, &last, &email),
                email,
            };
            (id, owner)
        })
        .collect();
    rows.into_iter()
        .map(|row| {
            Ok(App {
                id: row.id,
                kind: parse_key("app kind", &row.kind, |k| AppKind::parse(k).ok())?,
                name: row.name,
                owner: row
                    .owner_membership_id
                    .and_then(|o| owners.get(&o).cloned()),
                restricted: row.restricted,
                grant_count: row.grant_count,
            })
        })
        .collect()
}

/// A workspace's apps, workflows and projects by name, narrowed to a kind and to names containing
/// `search` (case-insensitively; a workspace has few apps, so this reads them all).
pub fn list(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    kind: Option<AppKind>,
    search: &str,
) -> QueryResult<Vec<App>> {
    let mut query = apps::table
        .filter(apps::workspace_id.eq(workspace.0))
        .select(AppRow::as_select())
        .order((lower(apps::name), apps::id))
        .limit(1000)
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(apps::kind.eq(kind.key()));
    }
    if let Some(pattern) = contains_pattern(search) {
        query = query.filter(lower(apps::name).like(pattern).escape('\\'));
    }
    let rows = query.load(conn)?;
    with_owners(conn, rows)
}

/// One of the workspace's apps.
pub fn find(conn: &mut AnyConnection, workspace: WorkspaceId, id: i64) -> QueryResult<Option<App>> {
    let row = apps::table
        .filter(apps::workspace_id.eq(workspace.0))
        .filter(apps::id.eq(id))
        .select(AppRow::as_select())
        .first(conn)
        .optional()?;
    Ok(with_owners(conn, row.into_iter().collect())?.pop())
}

/// Whether another app of the same kind in the workspace has this name, whatever its case.
pub fn name_taken(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    kind: AppKind,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let found: Option<i64> = apps::table
        .filter(apps::workspace_id.eq(workspace.0))
        .filter(apps::kind.eq(kind.key()))
        .filter(lower(apps::name).eq(name.to_lowercase()))
        .filter(apps::id.ne(except.unwrap_or(0)))
        .select(apps::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// What an app is: its kind, name, owner and whether only its grants may use it.
pub struct AppFields<'a> {
    pub kind: AppKind,
    pub name: &'a str,
    pub owner: Option<MembershipId>,
    pub restricted: bool,
}

pub fn insert(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    fields: &AppFields,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(apps::table)
        .values((
            apps::workspace_id.eq(workspace.0),
            apps::kind.eq(fields.kind.key()),
            apps::name.eq(fields.name),
            apps::owner_membership_id.eq(fields.owner.map(|o| o.0)),
            apps::restricted.eq(fields.restricted),
            apps::created_at.eq(now),
            apps::updated_at.eq(now),
        ))
        .returning(apps::id)
        .get_result(conn)
}

/// Renames, re-kinds, re-owns and (un)restricts an app. A new owner clears the record of whom a
/// removal took it from (a restore no longer gives it back).
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    fields: &AppFields,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(apps::table.find(id))
        .set((
            apps::kind.eq(fields.kind.key()),
            apps::name.eq(fields.name),
            apps::owner_membership_id.eq(fields.owner.map(|o| o.0)),
            apps::unassigned_from_membership_id.eq(None::<i64>),
            apps::restricted.eq(fields.restricted),
            apps::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the app; its grants go with it (foreign keys cascade).
pub fn delete(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::delete(apps::table.find(id)).execute(conn)?;
    Ok(())
}

/// Who a grant is given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Member(MembershipId),
    Group(i64),
}

/// One grant on an app's Access tab.
#[derive(Debug, Clone)]
pub struct GrantLine {
    pub id: i64,
    pub subject: Subject,
    /// The member's name, or the group's.
    pub name: String,
    /// The member's email, or the group's member count in words.
    pub detail: String,
    /// A group's member count (none for a member's grant).
    pub members: Option<i64>,
    pub level: Level,
    /// A member's state, when it is not active (the grant applies only once it is).
    pub inactive: Option<MembershipStatus>,
}

/// An app's grants: groups first, then members, each by name.
pub fn grants_of(conn: &mut AnyConnection, app: i64) -> QueryResult<Vec<GrantLine>> {
    let level = |key: &str| parse_key("grant level", key, Level::from_key);
    let to_groups: Vec<(i64, i64, String, i64, String)> = grants::table
        .inner_join(groups::table)
        .filter(grants::app_id.eq(app))
        .select((
            grants::id,
            groups::id,
            groups::name,
            groups::member_count,
            grants::level,
        ))
        .order(lower(groups::name))
        .load(conn)?;
    let to_members: Vec<(i64, i64, String, String, String, String, String)> = grants::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(grants::app_id.eq(app))
        .select((
            grants::id,
            memberships::id,
            accounts::first_name,
            accounts::last_name,
            accounts::email,
            grants::level,
            memberships::status,
        ))
        .order((memberships::sort_name, memberships::id))
        .load(conn)?;
    let mut lines = Vec::with_capacity(to_groups.len() + to_members.len());
    for (id, group, name, members, l) in to_groups {
        lines.push(GrantLine {
            id,
            subject: Subject::Group(group),
            name,
            detail: match members {
                1 => "1 member".to_owned(),
                n => format!("{n} members"),
            },
            members: Some(members),
            level: level(&l)?,
            inactive: None,
        });
    }
    for (id, member, first, last, email, l, status) in to_members {
        let status = parse_key("membership status", &status, MembershipStatus::from_key)?;
        lines.push(GrantLine {
            id,
            subject: Subject::Member(MembershipId(member)),
            name: display_name(&first, &last, &email),
            detail: email,
            members: None,
            level: level(&l)?,
            inactive: (status != MembershipStatus::Active).then_some(status),
        });
    }
    Ok(lines)
}

/// The level of this subject's grant on the app, if it holds one: (grant id, level).
pub fn grant_of(
    conn: &mut AnyConnection,
    app: i64,
    subject: Subject,
) -> QueryResult<Option<(i64, Level)>> {
    let query = grants::table
        .filter(grants::app_id.eq(app))
        .select((grants::id, grants::level))
        .into_boxed();
    let query = match subject {
        Subject::Member(m) => query.filter(grants::membership_id.eq(m.0)),
        Subject::Group(g) => query.filter(grants::group_id.eq(g)),
    };
    query
        .first::<(i64, String)>(conn)
        .optional()?
        .map(|(id, l)| Ok((id, parse_key("grant level", &l, Level::from_key)?)))
        .transpose()
}

/// Grants `level` to the subject (a new grant).
pub fn insert_grant(
    conn: &mut AnyConnection,
    app: i64,
    subject: Subject,
    level: Level,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (membership, group) = match subject {
        Subject::Member(m) => (Some(m.0), None),
        Subject::Group(g) => (None, Some(g)),
    };
    diesel::insert_into(grants::table)
        .values((
            grants::app_id.eq(app),
            grants::membership_id.eq(membership),
            grants::group_id.eq(group),
            grants::level.eq(level.key()),
            grants::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_grant_level(conn: &mut AnyConnection, grant: i64, level: Level) -> QueryResult<()> {
    diesel::update(grants::table.find(grant))
        .set(grants::level.eq(level.key()))
        .execute(conn)?;
    Ok(())
}

pub fn delete_grant(conn: &mut AnyConnection, grant: i64) -> QueryResult<()> {
    diesel::delete(grants::table.find(grant)).execute(conn)?;
    Ok(())
}

/// A member who may use an app at a level, with the reasons.
#[derive(Debug, Clone)]
pub struct Holder {
    pub id: MembershipId,
    pub name: String,
    pub email: String,
    pub access: Effective,
}

/// How many people something reaches: counted, or (for large groups) estimated from the groups'
/// sizes, which count members who are not active and people in several groups more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Exact(i64),
    AtMost(i64),
}

/// Grants reaching more than this many group rows are not counted person by person.
const COUNTED_REACH: i64 = 20_000;

/// The first `limit` distinct ids of these (sort key, id) rows in key order.
fn first_distinct(mut rows: Vec<(String, i64)>, limit: usize) -> Vec<i64> {
    // A member in several sources has the same key in each: their rows end up side by side.
    rows.sort_unstable();
    rows.dedup();
    rows.into_iter().take(limit).map(|(_, id)| id).collect()
}

/// The active members granted `min` or more on the app (directly or through groups), by name:
/// the first `limit` with the reasons, and how many there are. Each source is read in name order
/// through its own index (a group's rows carry the name key), so a grant to a group of 100,000
/// costs ~`limit` rows, not 100,000: the first `limit` of the union are among the first `limit`
/// of each source.
pub fn who_can(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    app: &App,
    min: Level,
    limit: i64,
) -> QueryResult<(Vec<Holder>, Reach)> {
    let active = MembershipStatus::Active.key();
    let levels: Vec<&str> = [Level::View, Level::Run, Level::Edit]
        .into_iter()
        .filter(|l| *l >= min)
        .map(Level::key)
        .collect();
    let sources: Vec<(Option<i64>, Option<i64>)> = grants::table
        .filter(grants::app_id.eq(app.id))
        .filter(grants::level.eq_any(&levels))
        .select((grants::membership_id, grants::group_id))
        .load(conn)?;
    let direct: Vec<i64> = sources.iter().filter_map(|s| s.0).collect();
    let group_ids: Vec<i64> = sources.iter().filter_map(|s| s.1).collect();
    let mut keyed: Vec<(String, i64)> = memberships::table
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::status.eq(active))
        .filter(memberships::id.eq_any(&direct))
        .select((memberships::sort_name, memberships::id))
        .load(conn)?;
    let direct_active = keyed.len() as i64;
    for group in &group_ids {
        keyed.extend(
            group_members::table
                .inner_join(memberships::table)
                .filter(group_members::group_id.eq(group))
                .filter(memberships::status.eq(active))
                .select((group_members::sort_name, group_members::membership_id))
                .order((group_members::sort_name, group_members::membership_id))
                .limit(limit)
                .load::<(String, i64)>(conn)?,
        );
    }
    let ids = first_distinct(keyed, usize::try_from(limit).unwrap_or(0));
    let reach = reach(conn, workspace, &direct, &group_ids, direct_active)?;
    Ok((holders(conn, app, ids)?, reach))
}

/// How many active members a set of grants reaches: counted when the groups hold at most
/// [`COUNTED_REACH`] rows, else an estimate from their sizes.
fn reach(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    direct: &[i64],
    group_ids: &[i64],
    direct_active: i64,
) -> QueryResult<Reach> {
    let active = MembershipStatus::Active.key();
    let group_rows: i64 = groups::table
        .filter(groups::id.eq_any(group_ids))
        .select(groups::member_count)
        .load::<i64>(conn)?
        .into_iter()
        .sum();
    if group_rows > COUNTED_REACH {
        return Ok(Reach::AtMost(group_rows + direct_active));
    }
    let mut everyone: std::collections::HashSet<i64> = group_members::table
        .inner_join(memberships::table)
        .filter(group_members::group_id.eq_any(group_ids))
        .filter(memberships::status.eq(active))
        .select(group_members::membership_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    everyone.extend(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(memberships::status.eq(active))
            .filter(memberships::id.eq_any(direct))
            .select(memberships::id)
            .load::<i64>(conn)?,
    );
    Ok(Reach::Exact(everyone.len() as i64))
}

/// The members `ids` (in that order) with their access to `app` and where it comes from.
fn holders(conn: &mut AnyConnection, app: &App, ids: Vec<i64>) -> QueryResult<Vec<Holder>> {
    let people: HashMap<i64, (String, String, String)> = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::id.eq_any(&ids))
        .select((
            memberships::id,
            (accounts::first_name, accounts::last_name, accounts::email),
        ))
        .load(conn)?
        .into_iter()
        .collect();
    let mut facts: HashMap<i64, Vec<GrantFact>> = HashMap::new();
    let fact = |level: String, source: Source| -> QueryResult<GrantFact> {
        Ok(GrantFact {
            app_id: app.id,
            app: app.name.clone(),
            kind: app.kind.key().to_owned(),
            level: parse_key("grant level", &level, Level::from_key)?,
            source,
        })
    };
    let direct: Vec<(Option<i64>, String)> = grants::table
        .filter(grants::app_id.eq(app.id))
        .filter(grants::membership_id.eq_any(&ids))
        .select((grants::membership_id, grants::level))
        .load(conn)?;
    for (member, level) in direct {
        if let Some(member) = member {
            facts
                .entry(member)
                .or_default()
                .push(fact(level, Source::Direct)?);
        }
    }
    let via_groups: Vec<(i64, String, String)> = grants::table
        .inner_join(groups::table.inner_join(group_members::table))
        .filter(grants::app_id.eq(app.id))
        .filter(group_members::membership_id.eq_any(&ids))
        .select((group_members::membership_id, grants::level, groups::name))
        .load(conn)?;
    for (member, level, group) in via_groups {
        facts
            .entry(member)
            .or_default()
            .push(fact(level, Source::Group(group))?);
    }
    let holders = ids
        .into_iter()
        .filter_map(|id| {
            let (first, last, email) = people.get(&id)?.clone();
            let access = effective_access(facts.remove(&id)?).pop()?;
            Some(Holder {
                id: MembershipId(id),
                name: display_name(&first, &last, &email),
                email,
                access,
            })
        })
        .collect();
    Ok(holders)
}

/// Every grant reaching a membership: its own, its groups', and the "everyone" of the workspace's
/// apps that are not restricted.
pub fn grants_reaching(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    membership: MembershipId,
) -> QueryResult<Vec<GrantFact>> {
    let direct: Vec<(i64, String, String, String)> = grants::table
        .inner_join(apps::table)
        .filter(grants::membership_id.eq(membership.0))
        .select((apps::id, apps::name, apps::kind, grants::level))
        .load(conn)?;
    let via_groups: Vec<(i64, String, String, String, String)> = grants::table
        .inner_join(apps::table)
        .inner_join(groups::table.inner_join(group_members::table))
        .filter(group_members::membership_id.eq(membership.0))
        .select((
            apps::id,
            apps::name,
            apps::kind,
            grants::level,
            groups::name,
        ))
        .load(conn)?;
    let open: Vec<(i64, String, String)> = apps::table
        .filter(apps::workspace_id.eq(workspace.0))
        .filter(apps::restricted.eq(false))
        .select((apps::id, apps::name, apps::kind))
        .load(conn)?;
    let level = |key: &str| parse_key("grant level", key, Level::from_key);
    let mut facts = Vec::with_capacity(direct.len() + via_groups.len() + open.len());
    for (app_id, app, kind, l) in direct {
        facts.push(GrantFact {
            app_id,
            app,
            kind,
            level: level(&l)?,
            source: Source::Direct,
        });
    }
    for (app_id, app, kind, l, group) in via_groups {
        facts.push(GrantFact {
            app_id,
            app,
            kind,
            level: level(&l)?,
            source: Source::Group(group),
        });
    }
    for (app_id, app, kind) in open {
        facts.push(GrantFact {
            app_id,
            app,
            kind,
            level: UNRESTRICTED_LEVEL,
            source: Source::Everyone,
        });
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::first_distinct;

    #[test]
    fn the_first_distinct_of_several_sorted_sources() {
        let rows = vec![
            ("carol".to_owned(), 3),
            ("alice".to_owned(), 1),
            ("bob".to_owned(), 2),
            // Bob again, from another group.
            ("bob".to_owned(), 2),
            ("alice".to_owned(), 7),
            ("dave".to_owned(), 4),
        ];
        assert_eq!(first_distinct(rows.clone(), 3), vec![1, 7, 2]);
        assert_eq!(first_distinct(rows, 10), vec![1, 7, 2, 3, 4]);
        assert!(first_distinct(Vec::new(), 5).is_empty());
    }
}
