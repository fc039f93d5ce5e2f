use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult, parse_key};
use crate::db::schema::{memberships, organization, roles, workspace_slug_redirects, workspaces};
use crate::domain::Slug;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::plan::Plan;

/// Workspaces in the order people read them: by name, whatever the case ("beta" among "Acme",
/// "Demo"), then as written. SQL text, as the frame's query reads the name through an outer join.
fn by_name() -> diesel::expression::SqlLiteral<diesel::sql_types::Text> {
    diesel::dsl::sql::<diesel::sql_types::Text>("lower(workspaces.name), workspaces.name")
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub slug: String,
    pub plan: Plan,
    pub seat_limit: Option<i64>,
    pub counts: MemberCounts,
    /// Owners and Admins must sign in with two-factor to use its pages.
    pub require_two_factor: bool,
}

/// Members by status, maintained by triggers (never counted per page view).
#[derive(Debug, Clone, Copy, Default)]
pub struct MemberCounts {
    pub invited: i64,
    pub active: i64,
    pub suspended: i64,
    pub removed: i64,
}

impl MemberCounts {
    /// Pending + active + suspended (PRODUCT §4.4).
    pub fn seats_used(&self) -> i64 {
        self.invited + self.active + self.suspended
    }
}

columns!(
    pub(super) COLUMNS = (
        workspaces::id,
        workspaces::name,
        workspaces::slug,
        workspaces::plan,
        workspaces::seat_limit,
        workspaces::invited_count,
        workspaces::active_count,
        workspaces::suspended_count,
        workspaces::removed_count,
        workspaces::require_two_factor,
    )
);
pub(super) type Tuple = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    bool,
);

pub(super) fn from_tuple(t: Tuple) -> QueryResult<Workspace> {
    Ok(Workspace {
        id: WorkspaceId(t.0),
        name: t.1,
        slug: t.2,
        plan: parse_key("plan", &t.3, Plan::from_key)?,
        seat_limit: t.4,
        counts: MemberCounts {
            invited: t.5,
            active: t.6,
            suspended: t.7,
            removed: t.8,
        },
        require_two_factor: t.9,
    })
}

pub fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> QueryResult<Option<Workspace>> {
    workspaces::table
        .filter(workspaces::slug.eq(slug))
        .select(COLUMNS)
        .first::<Tuple>(conn)
        .optional()?
        .map(from_tuple)
        .transpose()
}

/// The current slug a retired slug now points to, if any.
pub fn redirect_for(conn: &mut AnyConnection, old_slug: &str) -> QueryResult<Option<String>> {
    workspace_slug_redirects::table
        .inner_join(workspaces::table)
        .filter(workspace_slug_redirects::old_slug.eq(old_slug))
        .select(workspaces::slug)
        .first(conn)
        .optional()
}

/// True when the slug names a workspace other than `except`, or used to (another workspace's
/// old slug, which redirects there).
pub fn slug_taken(
    conn: &mut AnyConnection,
    slug: &Slug,
    except: Option<WorkspaceId>,
) -> QueryResult<bool> {
    let except = except.map_or(0, |w| w.0);
    let current = diesel::select(diesel::dsl::exists(
        workspaces::table
            .filter(workspaces::slug.eq(slug.as_str()))
            .filter(workspaces::id.ne(except)),
    ))
    .get_result::<bool>(conn)?;
    let retired = diesel::select(diesel::dsl::exists(
        workspace_slug_redirects::table
            .filter(workspace_slug_redirects::old_slug.eq(slug.as_str()))
            .filter(workspace_slug_redirects::workspace_id.ne(except)),
    ))
    .get_result::<bool>(conn)?;
    Ok(current || retired)
}

pub fn insert(
    conn: &mut AnyConnection,
    name: &str,
    slug: &Slug,
    plan: Plan,
    now: NaiveDateTime,
) -> QueryResult<WorkspaceId> {
    // Never an id given before: SQLite's AUTOINCREMENT, PostgreSQL's identity.
    diesel::insert_into(workspaces::table)
        .values((
            workspaces::name.eq(name),
            workspaces::slug.eq(slug.as_str()),
            workspaces::plan.eq(plan.key()),
            workspaces::seat_limit.eq(plan.default_seat_limit()),
            workspaces::created_at.eq(now),
            workspaces::updated_at.eq(now),
        ))
        .returning(workspaces::id)
        .get_result::<i64>(conn)
        .map(WorkspaceId)
}

pub fn rename(
    conn: &mut AnyConnection,
    id: WorkspaceId,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(workspaces::table.find(id.0))
        .set((workspaces::name.eq(name), workspaces::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Gives the workspace a new slug; the old one keeps leading there (a redirect), and a slug it
/// had before is its own again (that redirect goes).
pub fn change_slug(
    conn: &mut AnyConnection,
    id: WorkspaceId,
    old: &str,
    new: &Slug,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        workspace_slug_redirects::table
            .filter(workspace_slug_redirects::old_slug.eq(new.as_str()))
            .filter(workspace_slug_redirects::workspace_id.eq(id.0)),
    )
    .execute(conn)?;
    diesel::update(workspaces::table.find(id.0))
        .set((
            workspaces::slug.eq(new.as_str()),
            workspaces::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::insert_into(workspace_slug_redirects::table)
        .values((
            workspace_slug_redirects::old_slug.eq(old),
            workspace_slug_redirects::workspace_id.eq(id.0),
            workspace_slug_redirects::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn change_plan(
    conn: &mut AnyConnection,
    id: WorkspaceId,
    plan: Plan,
    seat_limit: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(workspaces::table.find(id.0))
        .set((
            workspaces::plan.eq(plan.key()),
            workspaces::seat_limit.eq(seat_limit),
            workspaces::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the workspace; its memberships, invitations, groups, apps, roles, API keys and old
/// slugs go with it (foreign keys cascade), its sessions stay without it, accounts stay.
pub fn delete(conn: &mut AnyConnection, id: WorkspaceId) -> QueryResult<()> {
    diesel::delete(workspaces::table.find(id.0)).execute(conn)?;
    Ok(())
}

/// A workspace as the switcher lists it.
#[derive(Debug, Clone)]
pub struct WorkspaceLink {
    pub name: String,
    pub slug: String,
}

/// The workspaces a person can open: all of them for org owners and admins, otherwise those where
/// their membership is active and their role opens a page ([`opened_by`]).
pub fn list_for_account(
    conn: &mut AnyConnection,
    account: AccountId,
    org_wide: bool,
) -> QueryResult<Vec<WorkspaceLink>> {
    let rows: Vec<(String, String)> = if org_wide {
        workspaces::table
            .select((workspaces::name, workspaces::slug))
            .order(by_name())
            .limit(200)
            .load(conn)?
    } else {
        workspaces::table
            .filter(workspaces::id.eq_any(opened_by(account)))
            .select((workspaces::name, workspaces::slug))
            .order(by_name())
            .limit(200)
            .load(conn)?
    };
    Ok(rows
        .into_iter()
        .map(|(name, slug)| WorkspaceLink { name, slug })
        .collect())
}

/// The workspaces where `account`'s membership is active and its role opens a page of the
/// console (a Member's opens none, nor does a custom role holding only `users.suspend`).
#[diesel::dsl::auto_type]
fn opened_by(account: AccountId) -> _ {
    let id: i64 = account.0;
    memberships::table
        .inner_join(roles::table)
        .filter(memberships::account_id.eq(id))
        .filter(memberships::status.eq("active"))
        .filter(opens_a_page())
        .select(memberships::workspace_id)
}

/// The keys, as `LIKE` patterns on `roles.permissions` (space-separated keys, none a part of
/// another), of the permissions that open a page of the console alone: a role holding any of them
/// opens one (`policy::home_page`; a test checks that the two agree).
const PAGE_OPENERS: [&str; 10] = [
    "%users.view%",
    "%users.invite%",
    "%users.change_role%",
    "%groups.view%",
    "%apps.view%",
    "%audit.view%",
    "%settings.manage%",
    "%api_keys.manage%",
    "%slack.manage%",
    "%owner%",
];

/// A role that opens a page of the console ([`PAGE_OPENERS`]).
#[diesel::dsl::auto_type]
fn opens_a_page() -> _ {
    let k0: &'static str = PAGE_OPENERS[0];
    let k1: &'static str = PAGE_OPENERS[1];
    let k2: &'static str = PAGE_OPENERS[2];
    let k3: &'static str = PAGE_OPENERS[3];
    let k4: &'static str = PAGE_OPENERS[4];
    let k5: &'static str = PAGE_OPENERS[5];
    let k6: &'static str = PAGE_OPENERS[6];
    let k7: &'static str = PAGE_OPENERS[7];
    let k8: &'static str = PAGE_OPENERS[8];
    let k9: &'static str = PAGE_OPENERS[9];
    roles::permissions
        .like(k0)
        .or(roles::permissions.like(k1))
        .or(roles::permissions.like(k2))
        .or(roles::permissions.like(k3))
        .or(roles::permissions.like(k4))
        .or(roles::permissions.like(k5))
        .or(roles::permissions.like(k6))
        .or(roles::permissions.like(k7))
        .or(roles::permissions.like(k8))
        .or(roles::permissions.like(k9))
}

/// What every signed-in page's frame reads, in one statement: the organization's name and the
/// workspaces of the switcher ([`list_for_account`]'s, by name, at most 200).
pub fn frame(
    conn: &mut AnyConnection,
    account: AccountId,
    org_wide: bool,
) -> QueryResult<(String, Vec<WorkspaceLink>)> {
    type Row = (String, Option<(String, String)>);
    let columns = (
        organization::name,
        (workspaces::name, workspaces::slug).nullable(),
    );
    let rows: Vec<Row> = if org_wide {
        organization::table
            // Every workspace beside the one organization row (a bound `true`, so the statement
            // stays prepared and cached, unlike SQL text).
            .left_join(workspaces::table.on(true.into_sql::<diesel::sql_types::Bool>()))
            .select(columns)
            .order(by_name())
            .limit(200)
            .load(conn)?
    } else {
        organization::table
            .left_join(workspaces::table.on(workspaces::id.eq_any(opened_by(account))))
            .select(columns)
            .order(by_name())
            .limit(200)
            .load(conn)?
    };
    let name = rows
        .first()
        .map(|(name, _)| name.clone())
        .ok_or(diesel::NotFound)?;
    let links = rows
        .into_iter()
        .filter_map(|(_, link)| link)
        .map(|(name, slug)| WorkspaceLink { name, slug })
        .collect();
    Ok((name, links))
}

pub fn find(conn: &mut AnyConnection, id: WorkspaceId) -> QueryResult<Option<Workspace>> {
    workspaces::table
        .find(id.0)
        .select(COLUMNS)
        .first::<Tuple>(conn)
        .optional()?
        .map(from_tuple)
        .transpose()
}

/// Every workspace of the organization, by name.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<Workspace>> {
    workspaces::table
        .select(COLUMNS)
        .order(by_name())
        .load::<Tuple>(conn)?
        .into_iter()
        .map(from_tuple)
        .collect()
}

/// The name and URL name of a workspace that requires two-factor sign-in of its Owners and
/// Admins, if any does (the first by name).
pub fn one_requiring_two_factor(conn: &mut AnyConnection) -> QueryResult<Option<(String, String)>> {
    workspaces::table
        .filter(workspaces::require_two_factor.eq(true))
        .select((workspaces::name, workspaces::slug))
        .order(by_name())
        .first(conn)
        .optional()
}

pub fn set_require_two_factor(
    conn: &mut AnyConnection,
    id: WorkspaceId,
    required: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(workspaces::table.find(id.0))
        .set((
            workspaces::require_two_factor.eq(required),
            workspaces::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::PAGE_OPENERS;
    use crate::domain::policy::home_page;
    use crate::domain::role::{Permission, PermissionSet};

    #[test]
    fn the_page_openers_are_the_policys() {
        let opens = |p: Permission| home_page(PermissionSet::from_iter([p])).is_some();
        let mut expected: Vec<String> = Permission::ALL
            .into_iter()
            .filter(|p| opens(*p))
            .map(|p| format!("%{}%", p.key()))
            .collect();
        let mut listed: Vec<String> = PAGE_OPENERS.iter().map(|p| p.to_string()).collect();
        expected.sort();
        listed.sort();
        assert_eq!(listed, expected);
        // A set opens a page exactly when it holds one of them (each rule is "holds any of").
        for p in Permission::ALL {
            let alone = PermissionSet::from_iter([p]);
            let with_others = PermissionSet::from_iter(
                Permission::ALL
                    .into_iter()
                    .filter(|q| !opens(*q) || *q == p),
            );
            assert_eq!(home_page(with_others).is_some(), opens(p), "{}", p.key());
            assert_eq!(home_page(alone).is_some(), opens(p));
        }
        // No key is a part of another (the patterns match whole keys).
        for a in Permission::ALL {
            for b in Permission::ALL {
                assert!(
                    a == b || !a.key().contains(b.key()),
                    "{} {}",
                    a.key(),
                    b.key()
                );
            }
        }
    }
}
