use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::accounts as accounts_search;
use super::sql::{Bind, Sql, sql};
use super::{AnyConnection, QueryResult, parse_key, stored_permissions};
use crate::db::schema::{accounts, avatars, memberships, roles};
use crate::domain::ids::{AccountId, MembershipId, RoleId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::role::{BuiltInRole, PermissionSet};
use crate::domain::sort::{MemberSort, SortKey};

pub struct NewMembership<'a> {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub role_id: RoleId,
    pub status: MembershipStatus,
    pub sort_name: &'a str,
    pub invited_by: Option<AccountId>,
    pub joined_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewMembership<'_>,
    now: NaiveDateTime,
) -> QueryResult<MembershipId> {
    // The email orders the list too; it is copied here, and follows an email change.
    let email: String = accounts::table
        .find(new.account_id.0)
        .select(accounts::email)
        .first(conn)?;
    diesel::insert_into(memberships::table)
        .values((
            memberships::workspace_id.eq(new.workspace_id.0),
            memberships::account_id.eq(new.account_id.0),
            memberships::role_id.eq(new.role_id.0),
            memberships::status.eq(new.status.key()),
            memberships::sort_name.eq(new.sort_name),
            memberships::sort_email.eq(email),
            memberships::invited_by.eq(new.invited_by.map(|a| a.0)),
            memberships::joined_at.eq(new.joined_at),
            memberships::created_at.eq(now),
            memberships::updated_at.eq(now),
        ))
        .returning(memberships::id)
        .get_result::<i64>(conn)
        .map(MembershipId)
}

/// One account's membership of one workspace, with what its role allows.
#[derive(Debug, Clone)]
pub struct Access {
    pub membership_id: MembershipId,
    pub status: MembershipStatus,
    pub role_id: RoleId,
    pub role_name: String,
    pub permissions: PermissionSet,
}

pub fn access(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    account: AccountId,
) -> QueryResult<Option<Access>> {
    let row = memberships::table
        .inner_join(roles::table)
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::account_id.eq(account.0))
        .select((
            memberships::id,
            memberships::status,
            roles::id,
            roles::name,
            roles::permissions,
        ))
        .first::<(i64, String, i64, String, String)>(conn)
        .optional()?;
    row.map(|(id, status, role_id, role_name, permissions)| {
        Ok(Access {
            membership_id: MembershipId(id),
            status: parse_key("membership status", &status, MembershipStatus::from_key)?,
            role_id: RoleId(role_id),
            role_name,
            permissions: stored_permissions(&permissions)?,
        })
    })
    .transpose()
}

/// Replaces a membership's role and status (used by create-owner to promote an existing member).
pub fn set_role_and_status(
    conn: &mut AnyConnection,
    id: MembershipId,
    role: RoleId,
    status: MembershipStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::role_id.eq(role.0),
            memberships::status.eq(status.key()),
            memberships::joined_at.eq(sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
            >("COALESCE(joined_at, ")
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .sql(")")),
            memberships::suspended_at.eq(None::<NaiveDateTime>),
            memberships::removed_at.eq(None::<NaiveDateTime>),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Suspends (`Some(now)`) or unsuspends (`None`) a membership.
pub fn set_suspended(
    conn: &mut AnyConnection,
    id: MembershipId,
    suspended_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let status = if suspended_at.is_some() {
        MembershipStatus::Suspended
    } else {
        MembershipStatus::Active
    };
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::status.eq(status.key()),
            memberships::suspended_at.eq(suspended_at),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a membership removed, keeping what the removal ended (JSON) for a restore.
pub fn set_removed(
    conn: &mut AnyConnection,
    id: MembershipId,
    snapshot: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::status.eq(MembershipStatus::Removed.key()),
            memberships::removed_at.eq(Some(now)),
            memberships::suspended_at.eq(None::<NaiveDateTime>),
            memberships::removal_snapshot.eq(Some(snapshot)),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// When a membership was removed and what the removal ended, if it is removed.
pub fn removal(
    conn: &mut AnyConnection,
    id: MembershipId,
) -> QueryResult<Option<(NaiveDateTime, Option<String>)>> {
    Ok(memberships::table
        .find(id.0)
        .select((memberships::removed_at, memberships::removal_snapshot))
        .first::<(Option<NaiveDateTime>, Option<String>)>(conn)
        .optional()?
        .and_then(|(at, snapshot)| at.map(|at| (at, snapshot))))
}

/// Makes a removed membership active again.
pub fn set_restored(
    conn: &mut AnyConnection,
    id: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::status.eq(MembershipStatus::Active.key()),
            memberships::removed_at.eq(None::<NaiveDateTime>),
            memberships::removal_snapshot.eq(None::<String>),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A removed membership due for purging.
pub struct DuePurge {
    pub id: MembershipId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub email: String,
}

/// Memberships removed before `cutoff` (at most `limit`, oldest first).
pub fn removed_before(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<DuePurge>> {
    // The status is written out (not bound) so the partial index `memberships_removed` applies.
    let rows: Vec<(i64, i64, i64, String)> = memberships::table
        .inner_join(accounts::table)
        .filter(sql::<Bool>("memberships.status = 'removed'"))
        .filter(memberships::removed_at.lt(cutoff))
        .select((
            memberships::id,
            memberships::workspace_id,
            accounts::id,
            accounts::email,
        ))
        .order(memberships::removed_at)
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, workspace, account, email)| DuePurge {
            id: MembershipId(id),
            workspace_id: WorkspaceId(workspace),
            account_id: AccountId(account),
            email,
        })
        .collect())
}

/// Deletes a removed membership for good (its groups, grants and invitation go with it; what it
/// owned stays, unassigned).
pub fn delete_removed(conn: &mut AnyConnection, id: MembershipId) -> QueryResult<bool> {
    Ok(diesel::delete(
        memberships::table
            .find(id.0)
            .filter(memberships::status.eq(MembershipStatus::Removed.key())),
    )
    .execute(conn)?
        > 0)
}

/// Where a page of the list starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// The page after this membership (the last row of the page before).
    After(MembershipId),
    /// The page before this membership (the first row of the page after).
    Before(MembershipId),
}

/// One row of the users list.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: MembershipId,
    pub account_id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role_name: String,
    pub status: MembershipStatus,
    pub joined_at: Option<NaiveDateTime>,
    pub last_active_at: Option<NaiveDateTime>,
    /// The address key of their picture, if they uploaded one.
    pub avatar_key: Option<String>,
    pub account_status: AccountStatus,
    /// What their role holds (nobody acts on a stronger role).
    pub role_permissions: PermissionSet,
    /// Org owners and org admins count as holding everything.
    pub org_role: OrgRole,
    /// Their groups' names, by name, comma-separated.
    pub groups: String,
}

#[derive(Debug, Clone, Default)]
pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// What narrows the users list and its export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// A substring of email, first or last name.
    pub search: Option<String>,
    /// `None`: everyone but removed members (who are shown only when asked for).
    pub status: Option<MembershipStatus>,
    pub role: Option<RoleId>,
    pub group: Option<GroupFilter>,
    /// Only people whose account is blocked organization-wide.
    pub blocked: bool,
}

/// Members of one group; its member count picks the plan (see [`SMALL_GROUP`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFilter {
    pub id: i64,
    pub members: i64,
}

/// Groups of at most this many members are listed from their members (sorting those), larger
/// ones by walking the workspace's sort index and keeping their members: for a group of m members
/// among N, the first costs ~m row reads and the second ~50·N/m, which cross near √(50·N) (about
/// 7,000 at a million members, and sorting costs a little more per row than walking).
const SMALL_GROUP: i64 = 4_000;

/// Narrows a boxed memberships query by a `ListFilter` (the list and the export share this).
macro_rules! apply_filter {
    ($query:expr, $workspace:expr, $filter:expr, $plan:expr) => {{
        let mut query = $query;
        let filter: &ListFilter = $filter;
        let plan: &Plan = $plan;
        query = match filter.status {
            Some(status) => query.filter(memberships::status.eq(status.key())),
            None => query.filter(memberships::status.ne(MembershipStatus::Removed.key())),
        };
        if let Some(role) = filter.role {
            query = query.filter(memberships::role_id.eq(role.0));
        }
        if filter.blocked {
            // A subquery rather than the joined column, so queries without the accounts join
            // (a selective page's first step) can take it too.
            query = query.filter(sql::<Bool>(
                "memberships.account_id IN (SELECT id FROM accounts WHERE status = 'blocked')",
            ));
        }
        if let Some(group) = filter.group.filter(|_| !plan.group_driven) {
            // Text, so that a query already joined with group_members can take it too.
            query = query.filter(
                sql::<Bool>(
                    "memberships.id IN (SELECT gm.membership_id FROM group_members gm WHERE gm.group_id = ",
                )
                .bind::<BigInt, _>(group.id)
                .sql(")"),
            );
        }
        if let Some(search) = &plan.search {
            query = query.filter(search.clone());
        }
        if let Some(prefix) = &plan.prefix {
            query = query.filter(prefix.clone());
        }
        if plan.selective {
            // Few rows: start from them (a small group's members, or a search's matches through
            // the account index) and sort those. `+ 0` keeps the planner from walking the
            // workspace's index instead, which scans every member when they are few or sort late.
            query.filter(workspace_without_index($workspace))
        } else {
            // Walk the workspace's index: the rows are dense enough to fill a page soon.
            query.filter(memberships::workspace_id.eq($workspace.0))
        }
    }};
}

/// How a filter is answered: its search condition (matches looked up once), and whether the rows
/// are few enough to start from them rather than walk the workspace's sort index.
#[derive(Clone)]
struct Plan {
    search: Option<SqlFilter>,
    selective: bool,
    /// The query reads the group's own rows (`group_members` joined with memberships), so the
    /// filter does not test membership of the group again. Only the list sets it.
    group_driven: bool,
    /// A search with many matches, walked: when they cluster late in the order (a first name
    /// sorting last), a bounded window of the walk holds less than a page and the list looks its
    /// matches up after all ([`Plan::from_matches`]).
    dense_term: Option<String>,
    /// Every match's key starts with the search: the walk stays within that range of the index.
    prefix: Option<Prefixed>,
}

impl Plan {
    /// The plan for `filter`: a search with few matches starts from them, a broad one walks.
    fn of(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        filter: &ListFilter,
    ) -> QueryResult<Self> {
        let small_group = filter.group.is_some_and(|g| g.members <= SMALL_GROUP);
        let term = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(term) = term else {
            return Ok(Self::walk(None, small_group, None));
        };
        // Trigram indexes need three characters; shorter searches are broad anyway.
        let matches = if term.chars().count() >= 3 {
            let costs = SearchCosts::of_workspace(conn, workspace)?;
            accounts_search::matching_ids(conn, term, costs.sparse)?
        } else {
            None
        };
        Ok(match matches {
            Some(ids) => Self::matches(conn, &ids),
            // The walk tests the membership's own columns, so a small group is still sorted
            // from its members.
            None => Self::walk(
                Some(membership_contains(conn, term)),
                small_group,
                (term.chars().count() >= 3 && !small_group).then(|| term.to_owned()),
            ),
        })
    }

    /// The plan once a window of a dense search's walk held less than a page: its matches when
    /// they are few enough, else the whole walk.
    ///
    /// A name typed whole (all its matches are the members whose name starts with it: as many
    /// as match at all) is walked within that range of the index instead.
    fn from_matches(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        term: &str,
        costs: SearchCosts,
        key: &SortSql,
    ) -> QueryResult<Self> {
        Ok(
            match accounts_search::matching_ids(conn, term, costs.clustered)? {
                Some(ids) => {
                    let prefixed = key
                        .prefixable
                        .then(|| starting_with(conn, key.column, &term.to_lowercase()));
                    match prefixed {
                        Some(prefix) => {
                            // Each member in the range matches, and each matching account has at
                            // most one membership here: as many in the range as matches means
                            // there are no others.
                            let in_range: i64 = memberships::table
                                .filter(memberships::workspace_id.eq(workspace.0))
                                .filter(prefix.clone())
                                .count()
                                .get_result(conn)?;
                            if in_range == ids.len() as i64 {
                                Self {
                                    prefix: Some(prefix),
                                    ..Self::walk(None, false, None)
                                }
                            } else {
                                Self::matches(conn, &ids)
                            }
                        }
                        None => Self::matches(conn, &ids),
                    }
                }
                None => Self::walk(Some(membership_contains(conn, term)), false, None),
            },
        )
    }

    /// Starting from the memberships of these matching accounts (sorted by the list).
    fn matches(conn: &AnyConnection, ids: &[i64]) -> Self {
        // The matches are looked up once and passed as a list, rather than counted and then
        // looked up again by the page's query.
        let (before, value, after) = id_in(conn, IdColumn::Account, ids);
        Self {
            search: Some(sql::<Bool>(before).bind::<Text, _>(value).sql(after)),
            selective: true,
            group_driven: false,
            dense_term: None,
            prefix: None,
        }
    }

    fn walk(search: Option<SqlFilter>, selective: bool, dense_term: Option<String>) -> Self {
        Self {
            search,
            selective,
            group_driven: false,
            dense_term,
            prefix: None,
        }
    }
}

/// A keyset page of a workspace's members and pending invitations in `sort` order, narrowed by
/// `filter` (removed members only when asked for).
pub fn list_page(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    filter: &ListFilter,
    sort: MemberSort,
    cursor: Cursor,
    page_size: i64,
) -> QueryResult<MemberPage> {
    let key = SortSql::of(conn, sort.key);
    let anchor = match cursor {
        Cursor::First => None,
        Cursor::After(id) | Cursor::Before(id) => memberships::table
            .filter(memberships::id.eq(id.0))
            .filter(memberships::workspace_id.eq(workspace.0))
            .select((sql::<Text>(key.as_text), memberships::id))
            .first::<(String, i64)>(conn)
            .optional()?,
    };
    let backwards = matches!(cursor, Cursor::Before(_)) && anchor.is_some();
    // Walking backwards flips the order; the page is turned round afterwards.
    let descending = sort.descending != backwards;

    let started = anchor.is_some();
    let plan = Plan::of(conn, workspace, filter)?;
    let page = PageQuery {
        workspace,
        filter,
        key: &key,
        sort: sort.key,
        anchor,
        descending,
        page_size,
    };
    let mut rows = match &plan.dense_term {
        Some(term) => {
            // Walk a window of the index first; a page found in it is the page.
            let costs = SearchCosts::of_workspace(conn, workspace)?;
            let window = page.window_end(conn, costs.window)?;
            let rows = page.load(conn, &plan, window.clone())?;
            if window.is_none() || rows.len() as i64 > page_size {
                rows
            } else {
                let plan = Plan::from_matches(conn, workspace, term, costs, &key)?;
                page.load(conn, &plan, None)?
            }
        }
        None => page.load(conn, &plan, None)?,
    };
    let more = rows.len() as i64 > page_size;
    rows.truncate(page_size as usize);
    if backwards {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(MemberRow {
                id: MembershipId(r.0),
                account_id: AccountId(r.1),
                email: r.2,
                first_name: r.3,
                last_name: r.4,
                role_name: r.5,
                status: parse_key("membership status", &r.6, MembershipStatus::from_key)?,
                joined_at: r.7,
                last_active_at: r.8,
                avatar_key: r.9,
                account_status: parse_key("account status", &r.10, AccountStatus::from_key)?,
                role_permissions: stored_permissions(&r.11)?,
                groups: sorted_group_names(r.12),
                org_role: parse_key("org role", &r.13, OrgRole::from_key)?,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    let (has_previous, has_next) = match (started, backwards) {
        (false, _) => (false, more),
        (true, false) => (true, more),
        (true, true) => (more, true),
    };
    Ok(MemberPage {
        rows,
        has_previous,
        has_next,
    })
}

/// One of the list's rows as read: id, account id, email, first and last name, role name, status,
/// joined, last active, picture key, account status, role permissions, group names, org role.
type ListRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

/// A page of the list to read: where it starts, which way, how long.
struct PageQuery<'a> {
    workspace: WorkspaceId,
    filter: &'a ListFilter,
    key: &'a SortSql,
    sort: SortKey,
    anchor: Option<(String, i64)>,
    descending: bool,
    page_size: i64,
}

impl PageQuery<'_> {
    /// The key of the row `rows` rows on from the anchor in the walk's order (whatever their
    /// status or match), or `None` when the workspace ends sooner.
    fn window_end(
        &self,
        conn: &mut AnyConnection,
        rows: i64,
    ) -> QueryResult<Option<(String, i64)>> {
        let mut query = memberships::table
            .filter(memberships::workspace_id.eq(self.workspace.0))
            .select((sql::<Text>(self.key.as_text), memberships::id))
            .into_boxed();
        if let Some(anchor) = self.anchor.clone() {
            query = query.filter(self.key.beyond(anchor, self.descending));
        }
        query
            .order(self.key.order(self.descending))
            .offset(rows)
            .limit(1)
            .first(conn)
            .optional()
    }

    /// The page's rows (one more than a page when there are more); a walk stops before
    /// `window_end` if given.
    fn load(
        &self,
        conn: &mut AnyConnection,
        plan: &Plan,
        window_end: Option<(String, i64)>,
    ) -> QueryResult<Vec<ListRow>> {
        let Self {
            workspace,
            filter,
            key,
            descending,
            page_size,
            ..
        } = *self;
        let anchor = self.anchor.clone();
        let mut plan = plan.clone();
        // A group listed by name or email (no search): its own sort index gives the page's ids.
        let group_walk = filter
            .group
            .filter(|_| plan.search.is_none() && plan.prefix.is_none())
            .and_then(|group| SortSql::of_group(self.sort).map(|key| (group, key)));
        plan.group_driven = group_walk.is_some();
        let query = memberships::table
            .inner_join(accounts::table)
            .inner_join(roles::table)
            .left_join(avatars::table.on(avatars::account_id.eq(memberships::account_id)))
            .select((
                memberships::id,
                accounts::id,
                accounts::email,
                accounts::first_name,
                accounts::last_name,
                roles::name,
                memberships::status,
                memberships::joined_at,
                memberships::last_active_at,
                avatars::key.nullable(),
                accounts::status,
                roles::permissions,
                sql::<diesel::sql_types::Nullable<Text>>(group_names_sql(conn)),
                accounts::org_role,
            ))
            .into_boxed();
        let query = if let Some((group, group_key)) = group_walk {
            use crate::db::schema::group_members;
            let mut keyed = group_members::table
                .inner_join(memberships::table)
                .filter(group_members::group_id.eq(group.id))
                .select(group_members::membership_id)
                .into_boxed();
            keyed = apply_filter!(keyed, workspace, filter, &plan);
            if let Some(anchor) = anchor {
                keyed = keyed.filter(group_key.beyond(anchor, descending));
            }
            let ids: Vec<i64> = keyed
                .order(group_key.order(descending))
                .limit(page_size + 1)
                .load(conn)?;
            let (before, list, after) = id_in(conn, IdColumn::Membership, &ids);
            query.filter(sql::<Bool>(before).bind::<Text, _>(list).sql(after))
        } else if plan.selective || plan.search.is_some() || plan.prefix.is_some() {
            // Two steps: the page's ids are chosen among the rows by the sort key alone, then only
            // those ~50 rows are joined with their role, picture and groups (which otherwise would be
            // read for every row sorted, or, walking a search, tested).
            // Memberships alone: a search's condition names account ids or the membership's own
            // columns, which a walk reads from the index (PostgreSQL: an index-only scan).
            let mut keyed = memberships::table
                .select((sql::<Text>(key.as_text), memberships::id))
                .into_boxed();
            keyed = apply_filter!(keyed, workspace, filter, &plan);
            if let Some(anchor) = anchor {
                keyed = keyed.filter(key.beyond(anchor, descending));
            }
            if let Some(end) = window_end {
                // The rows before the window's end in the walk's order.
                keyed = keyed.filter(key.beyond(end, !descending));
            }
            let ids: Vec<i64> = keyed
                .order(key.order(descending))
                .limit(page_size + 1)
                .load::<(String, i64)>(conn)?
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            let (before, list, after) = id_in(conn, IdColumn::Membership, &ids);
            query.filter(sql::<Bool>(before).bind::<Text, _>(list).sql(after))
        } else {
            let mut query = apply_filter!(query, workspace, filter, &plan);
            if let Some(anchor) = anchor {
                query = query.filter(key.beyond(anchor, descending));
            }
            query
        };
        query
            .order(key.order(descending))
            .limit(page_size + 1)
            .load(conn)
    }
}

/// A sort key as SQL: the expression (the same text as its index, so both planners walk it), the
/// same value as text (to carry the anchor), and how a bound text compares with it.
struct SortSql {
    column: &'static str,
    as_text: &'static str,
    bound: &'static str,
    /// The id that breaks ties, in the same index.
    id: &'static str,
    /// A search's term can be a prefix of the key (the lower-cased name or email).
    prefixable: bool,
}

impl SortSql {
    fn of(conn: &AnyConnection, key: SortKey) -> Self {
        let sqlite = matches!(conn, AnyConnection::Sqlite(_));
        let text = |column| Self {
            column,
            as_text: column,
            bound: "?",
            id: "memberships.id",
            prefixable: false,
        };
        match (key, sqlite) {
            (SortKey::Name, _) => Self {
                prefixable: true,
                ..text("memberships.sort_name")
            },
            (SortKey::Email, _) => Self {
                prefixable: true,
                ..text("memberships.sort_email")
            },
            // SQLite keeps times as text, and '' sorts before all of them.
            (SortKey::LastActive, true) => text("COALESCE(memberships.last_active_at, '')"),
            (SortKey::Joined, true) => text("COALESCE(memberships.joined_at, '')"),
            (SortKey::LastActive, false) => Self {
                column: "COALESCE(memberships.last_active_at, '-infinity'::timestamp)",
                as_text: "COALESCE(memberships.last_active_at, '-infinity'::timestamp)::text",
                bound: "CAST(? AS timestamp)",
                id: "memberships.id",
                prefixable: false,
            },
            (SortKey::Joined, false) => Self {
                column: "COALESCE(memberships.joined_at, '-infinity'::timestamp)",
                as_text: "COALESCE(memberships.joined_at, '-infinity'::timestamp)::text",
                bound: "CAST(? AS timestamp)",
                id: "memberships.id",
                prefixable: false,
            },
        }
    }

    /// The same order through a group's own rows, which carry copies of the name and email keys
    /// (`group_members_by_name`, `group_members_by_email`); `None` for the other keys.
    fn of_group(key: SortKey) -> Option<Self> {
        let column = match key {
            SortKey::Name => "group_members.sort_name",
            SortKey::Email => "group_members.sort_email",
            SortKey::LastActive | SortKey::Joined => return None,
        };
        Some(Self {
            column,
            as_text: column,
            bound: "?",
            id: "group_members.membership_id",
            prefixable: false,
        })
    }

    fn order(&self, descending: bool) -> Sql<Text> {
        let dir = if descending { "DESC" } else { "ASC" };
        sql(format!("{} {dir}, {} {dir}", self.column, self.id))
    }

    /// The rows past the anchor `(value, id)` in this direction: `key >= v AND (key > v OR id >
    /// anchor)`, with the range first so both planners seek the index.
    fn beyond(&self, (value, id): (String, i64), descending: bool) -> Beyond {
        let (wide, strict) = if descending { ("<=", "<") } else { (">=", ">") };
        let (column, id_column) = (self.column, self.id);
        let (open, close) = self.bound.split_once('?').unwrap_or(("", ""));
        sql::<Bool>(format!("{column} {wide} {open}"))
            .bind::<Text, _>(value.clone())
            .sql(format!("{close} AND ({column} {strict} {open}"))
            .bind::<Text, _>(value)
            .sql(format!("{close} OR {id_column} {strict} "))
            .bind::<BigInt, _>(id)
            .sql(")")
    }
}

/// `<sql> ? <sql> ? <sql> ? <sql>`: two texts, then a `V`.
type ThreeBound<V> = Sql<
    Bool,
    Bind<Bool, Sql<Bool, Bind<Bool, Sql<Bool, Bind<Bool, Sql<Bool>, TextValue>>, TextValue>>, V>,
>;
type Beyond = ThreeBound<IdValue>;
type TextValue = diesel::dsl::AsExprOf<String, Text>;
type IdValue = diesel::dsl::AsExprOf<i64, BigInt>;

/// How a search among a workspace's members is answered, by its number of matching accounts m.
///
/// Starting from the matches costs a lookup of each one's membership (~1.2 µs); walking the name
/// index, testing each member's own columns, costs ~0.3 µs a row and finds a page of m evenly
/// spread matches among N in ~50·N/m rows. The two cross near m = √(50·N / 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SearchCosts {
    /// At most this many matches: start from them (about 3,500 at a million members).
    sparse: i64,
    /// More: walk this many rows first (the distance to a page of `sparse` evenly spread
    /// matches); when they hold less than a page, the matches cluster further on (a first name
    /// that sorts late) and are looked up after all...
    window: i64,
    /// ...when there are at most this many; more are walked to the end, as they soon fill a page.
    clustered: i64,
}

impl SearchCosts {
    fn of(members: i64) -> Self {
        let members = members.max(1);
        // Whole numbers only: √(12.5·N) rounded down, at least 100.
        let sparse = (members.saturating_mul(25) / 2).isqrt().max(100);
        Self {
            sparse,
            window: 51 * members / sparse + 1,
            clustered: 7 * sparse,
        }
    }

    /// For the members (all statuses) of `workspace`, from its maintained counts.
    fn of_workspace(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Self> {
        use crate::db::schema::workspaces;
        let members: i64 = workspaces::table
            .find(workspace.0)
            .select(
                workspaces::active_count
                    + workspaces::invited_count
                    + workspaces::suspended_count
                    + workspaces::removed_count,
            )
            .first(conn)?;
        Ok(Self::of(members))
    }
}

/// `<sql> ? <sql>`: one shape for every condition built here, so boxed queries take any of them.
type SqlFilter = Sql<Bool, Bind<Bool, Sql<Bool>, TextValue>>;

/// The id columns a list of ids is matched against.
#[derive(Clone, Copy)]
enum IdColumn {
    Membership,
    Account,
}

/// `column` is one of `ids`, the list bound as one text value (one cached statement whatever the
/// number of ids): `<before> ? <after>`.
fn id_in(
    conn: &AnyConnection,
    column: IdColumn,
    ids: &[i64],
) -> (&'static str, String, &'static str) {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let before = match (column, sqlite) {
        (IdColumn::Membership, true) => "memberships.id IN (SELECT value FROM json_each(",
        (IdColumn::Account, true) => "memberships.account_id IN (SELECT value FROM json_each(",
        (IdColumn::Membership, false) => "memberships.id = ANY(CAST(",
        (IdColumn::Account, false) => "memberships.account_id = ANY(CAST(",
    };
    if sqlite {
        (before, format!("[{list}]"), "))")
    } else {
        (before, format!("{{{list}}}"), " AS BIGINT[]))")
    }
}

/// Rows whose `column` starts with `prefix`: the index's range from the prefix to the prefix
/// followed by the last code point, and the test itself, so that whatever a collation does at
/// the range's ends, every row taken starts with it.
fn starting_with(conn: &AnyConnection, column: &'static str, prefix: &str) -> Prefixed {
    let position = match conn {
        AnyConnection::Sqlite(_) => "instr",
        AnyConnection::Postgresql(_) => "strpos",
    };
    sql::<Bool>(format!("{column} >= "))
        .bind::<Text, _>(prefix.to_owned())
        .sql(format!(" AND {column} < "))
        .bind::<Text, _>(format!("{prefix}\u{10FFFF}"))
        .sql(format!(" AND {position}({column}, "))
        .bind::<Text, _>(prefix.to_owned())
        .sql(") = 1")
}

type Prefixed = ThreeBound<TextValue>;

/// `memberships.workspace_id = ?` that no index can serve, so the planner drives from elsewhere.
fn workspace_without_index(workspace: WorkspaceId) -> Bind<Bool, Sql<Bool>, IdValue> {
    sql::<Bool>("memberships.workspace_id + 0 = ").bind::<BigInt, _>(workspace.0)
}

/// The same match tested on each membership walked, on its own copies of the lower-cased email and
/// name (`sort_email`, `sort_name`), which the name and email indexes carry: a walk reads no
/// account and, in those orders, no table row.
fn membership_contains(conn: &AnyConnection, term: &str) -> SqlFilter {
    let before = match conn {
        AnyConnection::Sqlite(_) => {
            "instr(memberships.sort_email || ' ' || memberships.sort_name, "
        }
        AnyConnection::Postgresql(_) => {
            "strpos(memberships.sort_email || ' ' || memberships.sort_name, "
        }
    };
    sql::<Bool>(before)
        .bind::<Text, _>(term.to_lowercase())
        .sql(") > 0")
}

/// The workspace's current (not removed) memberships among `ids`, with their emails.
pub fn current_among(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[MembershipId],
) -> QueryResult<Vec<(MembershipId, String)>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        let chunk: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        let rows: Vec<(i64, String)> = memberships::table
            .inner_join(accounts::table)
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(memberships::id.eq_any(chunk))
            .filter(memberships::status.ne(MembershipStatus::Removed.key()))
            .select((memberships::id, accounts::email))
            .load(conn)?;
        found.extend(
            rows.into_iter()
                .map(|(id, email)| (MembershipId(id), email)),
        );
    }
    Ok(found)
}

/// The workspace's current (not removed) memberships of these addresses, with the emails as stored.
pub fn current_by_emails(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    emails: &[crate::domain::Email],
) -> QueryResult<Vec<(MembershipId, String)>> {
    let mut found = Vec::new();
    for chunk in emails.chunks(500) {
        let keys: Vec<&str> = chunk.iter().map(crate::domain::Email::as_str).collect();
        let rows: Vec<(i64, String)> = memberships::table
            .inner_join(accounts::table)
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(super::lower(accounts::email).eq_any(keys))
            .filter(memberships::status.ne(MembershipStatus::Removed.key()))
            .select((memberships::id, accounts::email))
            .load(conn)?;
        found.extend(
            rows.into_iter()
                .map(|(id, email)| (MembershipId(id), email)),
        );
    }
    Ok(found)
}

/// One of a person's memberships, as their profile lists it.
#[derive(Debug, Clone)]
pub struct AccountMembership {
    pub workspace_name: String,
    pub slug: String,
    pub role_name: String,
    pub status: MembershipStatus,
    pub permissions: PermissionSet,
}

/// Every membership of an account (removed ones included), by workspace name.
pub fn list_for_account(
    conn: &mut AnyConnection,
    account: AccountId,
) -> QueryResult<Vec<AccountMembership>> {
    use crate::db::schema::workspaces;
    let rows: Vec<(String, String, String, String, String)> = memberships::table
        .inner_join(workspaces::table)
        .inner_join(roles::table)
        .filter(memberships::account_id.eq(account.0))
        .select((
            workspaces::name,
            workspaces::slug,
            roles::name,
            memberships::status,
            roles::permissions,
        ))
        .order(workspaces::name)
        .load(conn)?;
    rows.into_iter()
        .map(|(workspace_name, slug, role_name, status, permissions)| {
            Ok(AccountMembership {
                workspace_name,
                slug,
                role_name,
                status: parse_key("membership status", &status, MembershipStatus::from_key)?,
                permissions: stored_permissions(&permissions)?,
            })
        })
        .collect()
}

/// (account, status, removed_at) of these accounts' memberships in a workspace.
pub fn statuses(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    accounts_: &[AccountId],
) -> QueryResult<Vec<(AccountId, MembershipStatus, Option<NaiveDateTime>)>> {
    let mut out = Vec::new();
    for chunk in accounts_.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|a| a.0).collect();
        let rows: Vec<(i64, String, Option<NaiveDateTime>)> = memberships::table
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(memberships::account_id.eq_any(ids))
            .select((
                memberships::account_id,
                memberships::status,
                memberships::removed_at,
            ))
            .load(conn)?;
        for (account, status, removed_at) in rows {
            out.push((
                AccountId(account),
                parse_key("membership status", &status, MembershipStatus::from_key)?,
                removed_at,
            ));
        }
    }
    Ok(out)
}

/// An invited membership becomes active (PRODUCT §5 accept).
pub fn activate(conn: &mut AnyConnection, id: MembershipId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        memberships::table
            .find(id.0)
            .filter(memberships::status.eq(MembershipStatus::Invited.key())),
    )
    .set((
        memberships::status.eq(MembershipStatus::Active.key()),
        memberships::joined_at.eq(Some(now)),
        memberships::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Deletes a membership that was only an invitation.
pub fn delete_invited(conn: &mut AnyConnection, id: MembershipId) -> QueryResult<()> {
    diesel::delete(
        memberships::table
            .find(id.0)
            .filter(memberships::status.eq(MembershipStatus::Invited.key())),
    )
    .execute(conn)?;
    Ok(())
}

/// One row of the users CSV.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: MembershipId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub status: MembershipStatus,
    pub created_at: NaiveDateTime,
    pub last_active_at: Option<NaiveDateTime>,
    pub invited_by: Option<String>,
    pub groups: Vec<String>,
}

/// How an export's filter is answered, worked out once for all its batches (a search's matches
/// looked up once).
pub struct ExportPlan {
    workspace: WorkspaceId,
    filter: ListFilter,
    plan: Plan,
}

impl ExportPlan {
    pub fn of(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        filter: ListFilter,
    ) -> QueryResult<Self> {
        let plan = Plan::of(conn, workspace, &filter)?;
        Ok(Self {
            workspace,
            filter,
            plan,
        })
    }
}

/// Up to `limit` rows of the export after membership `after` (by id), narrowed like the list.
pub fn export_batch(
    conn: &mut AnyConnection,
    export: &ExportPlan,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ExportRow>> {
    let ExportPlan {
        workspace,
        ref filter,
        ref plan,
    } = *export;
    use crate::db::schema::{group_members, groups};
    let inviters = diesel::alias!(accounts as inviters);
    let query = memberships::table
        .inner_join(accounts::table)
        .inner_join(roles::table)
        .left_join(inviters.on(memberships::invited_by.eq(inviters.field(accounts::id).nullable())))
        .filter(memberships::id.gt(after))
        .select((
            memberships::id,
            accounts::email,
            accounts::first_name,
            accounts::last_name,
            roles::name,
            memberships::status,
            memberships::created_at,
            memberships::last_active_at,
            inviters.field(accounts::email).nullable(),
        ))
        .order(memberships::id)
        .limit(limit)
        .into_boxed();
    let query = apply_filter!(query, workspace, filter, plan);
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Row> = query.load(conn)?;
    let (Some(first), Some(last)) = (rows.first().map(|r| r.0), rows.last().map(|r| r.0)) else {
        return Ok(Vec::new());
    };
    // The batch's groups in one query (the batch is a contiguous id range of this workspace).
    let names: Vec<(i64, String)> = group_members::table
        .inner_join(groups::table)
        .filter(group_members::membership_id.between(first, last))
        .filter(groups::workspace_id.eq(workspace.0))
        .select((group_members::membership_id, groups::name))
        .order((group_members::membership_id, groups::name))
        .load(conn)?;
    let mut names = names.into_iter().peekable();
    rows.into_iter()
        .map(|r| {
            // Groups of members this batch leaves out (removed, not matching) are skipped.
            while names.next_if(|(m, _)| *m < r.0).is_some() {}
            let mut member_groups = Vec::new();
            while let Some((_, name)) = names.next_if(|(m, _)| *m == r.0) {
                member_groups.push(name);
            }
            Ok(ExportRow {
                id: MembershipId(r.0),
                email: r.1,
                first_name: r.2,
                last_name: r.3,
                role: r.4,
                status: parse_key("membership status", &r.5, MembershipStatus::from_key)?,
                created_at: r.6,
                last_active_at: r.7,
                invited_by: r.8,
                groups: member_groups,
            })
        })
        .collect()
}

/// A member as the user console shows them.
#[derive(Debug, Clone)]
pub struct MemberDetail {
    pub id: MembershipId,
    pub account_id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub timezone: String,
    pub account_status: crate::domain::membership::AccountStatus,
    pub account_created_at: NaiveDateTime,
    pub account_updated_at: NaiveDateTime,
    pub role_id: RoleId,
    pub role_name: String,
    pub role_permissions: PermissionSet,
    pub status: MembershipStatus,
    pub invited_by: Option<String>,
    pub joined_at: Option<NaiveDateTime>,
    pub last_active_at: Option<NaiveDateTime>,
    pub avatar_key: Option<String>,
    pub org_role: crate::domain::membership::OrgRole,
    /// Workspaces other than this one where the account holds a membership that is not removed.
    pub other_workspaces: i64,
}

impl MemberDetail {
    /// Their name as the console shows it.
    pub fn name(&self) -> String {
        crate::domain::names::display_name(&self.first_name, &self.last_name, &self.email)
    }

    /// The member as the policy judges them, named `name` (see [`Self::name`]).
    pub fn target<'a>(&'a self, name: &'a str) -> crate::domain::policy::Target<'a> {
        crate::domain::policy::Target {
            account: self.account_id,
            name,
            org_role: self.org_role,
            account_status: self.account_status,
            membership: Some(crate::domain::policy::TargetMembership {
                role_name: &self.role_name,
                role: self.role_permissions,
                status: self.status,
            }),
            other_workspaces: self.other_workspaces,
        }
    }
}

pub fn detail(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: MembershipId,
) -> QueryResult<Option<MemberDetail>> {
    let inviters = diesel::alias!(accounts as inviters);
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<String>,
        String,
    );
    let row: Option<Row> = memberships::table
        .inner_join(accounts::table)
        .inner_join(roles::table)
        .left_join(inviters.on(memberships::invited_by.eq(inviters.field(accounts::id).nullable())))
        .left_join(avatars::table.on(avatars::account_id.eq(memberships::account_id)))
        .filter(memberships::id.eq(id.0))
        .filter(memberships::workspace_id.eq(workspace.0))
        .select((
            memberships::id,
            accounts::id,
            accounts::email,
            accounts::first_name,
            accounts::last_name,
            accounts::timezone,
            accounts::status,
            accounts::created_at,
            accounts::updated_at,
            roles::id,
            roles::name,
            roles::permissions,
            memberships::status,
            inviters.field(accounts::first_name).nullable(),
            inviters.field(accounts::last_name).nullable(),
            inviters.field(accounts::email).nullable(),
            memberships::joined_at,
            memberships::last_active_at,
            avatars::key.nullable(),
            accounts::org_role,
        ))
        .first(conn)
        .optional()?;
    let Some(r) = row else {
        return Ok(None);
    };
    let other_workspaces = memberships::table
        .filter(memberships::account_id.eq(r.1))
        .filter(memberships::workspace_id.ne(workspace.0))
        .filter(memberships::status.ne(MembershipStatus::Removed.key()))
        .count()
        .get_result(conn)?;
    Ok(Some(MemberDetail {
        id: MembershipId(r.0),
        account_id: AccountId(r.1),
        email: r.2,
        first_name: r.3,
        last_name: r.4,
        timezone: r.5,
        account_status: parse_key(
            "account status",
            &r.6,
            crate::domain::membership::AccountStatus::from_key,
        )?,
        account_created_at: r.7,
        account_updated_at: r.8,
        role_id: RoleId(r.9),
        role_name: r.10,
        role_permissions: stored_permissions(&r.11)?,
        status: parse_key("membership status", &r.12, MembershipStatus::from_key)?,
        invited_by: r.15.map(|email| {
            crate::domain::names::display_name(
                r.13.as_deref().unwrap_or(""),
                r.14.as_deref().unwrap_or(""),
                &email,
            )
        }),
        joined_at: r.16,
        last_active_at: r.17,
        avatar_key: r.18,
        org_role: parse_key(
            "org role",
            &r.19,
            crate::domain::membership::OrgRole::from_key,
        )?,
        other_workspaces,
    }))
}

pub fn set_role(
    conn: &mut AnyConnection,
    id: MembershipId,
    role: RoleId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::role_id.eq(role.0),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Active members of the workspace holding this role, other than `except`.
pub fn count_active_with_role(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    role: RoleId,
    except: Option<MembershipId>,
) -> QueryResult<i64> {
    let mut query = memberships::table
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::role_id.eq(role.0))
        .filter(memberships::status.eq(MembershipStatus::Active.key()))
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(memberships::id.ne(except.0));
    }
    query.count().get_result(conn)
}

/// Active members of the workspace whose role is the Owner role (custom roles never hold `owner`).
pub fn count_active_owners(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<i64> {
    memberships::table
        .inner_join(roles::table)
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::status.eq(MembershipStatus::Active.key()))
        .filter(roles::workspace_id.is_null())
        .filter(roles::key.eq(BuiltInRole::Owner.key()))
        .count()
        .get_result(conn)
}

/// The groups a membership belongs to: (id, name).
pub fn groups_of(
    conn: &mut AnyConnection,
    membership: MembershipId,
) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::{group_members, groups};
    group_members::table
        .inner_join(groups::table)
        .filter(group_members::membership_id.eq(membership.0))
        .select((groups::id, groups::name))
        .order(groups::name)
        .load(conn)
}

/// A row's group names, separated by [`GROUP_SEPARATOR`]: a subquery of the list's own statement
/// (one cached statement per page instead of a second query with a variable `IN` list). They come
/// unordered and are put in order by [`sorted_group_names`]: an `ORDER BY` here cost a temporary
/// sort per row, and a search sorting its matches evaluates this for every match.
fn group_names_sql(conn: &AnyConnection) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => {
            "(SELECT group_concat(g.name, char(31)) FROM group_members gm \
             JOIN groups g ON g.id = gm.group_id WHERE gm.membership_id = memberships.id)"
        }
        AnyConnection::Postgresql(_) => {
            "(SELECT string_agg(g.name, chr(31)) FROM group_members gm \
             JOIN groups g ON g.id = gm.group_id WHERE gm.membership_id = memberships.id)"
        }
    }
}

/// The unit separator (U+001F) between the names [`group_names_sql`] gathers.
const GROUP_SEPARATOR: char = '\u{1f}';

/// "Finance, Sales" from the names [`group_names_sql`] gathered, in any order.
fn sorted_group_names(gathered: Option<String>) -> String {
    let Some(gathered) = gathered else {
        return String::new();
    };
    let mut names: Vec<&str> = gathered.split(GROUP_SEPARATOR).collect();
    names.sort_unstable();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_costs_follow_the_workspace_size() {
        let million = SearchCosts::of(1_000_000);
        assert_eq!(million.sparse, 3_535);
        // A page of evenly spread matches at the sparse limit lies within the window.
        assert_eq!(million.window, 14_428);
        assert_eq!(million.clustered, 24_745);
        // Small workspaces start from the matches up to 100 of them; nothing divides by zero.
        assert_eq!(SearchCosts::of(10).sparse, 100);
        assert_eq!(SearchCosts::of(0).window, 1);
        let (small, large) = (SearchCosts::of(20_000), SearchCosts::of(4_000_000));
        assert!(small.sparse < million.sparse && million.sparse < large.sparse);
        assert!(small.window < million.window && million.window < large.window);
    }

    #[test]
    fn group_names_come_out_sorted_and_comma_separated() {
        assert_eq!(sorted_group_names(None), "");
        assert_eq!(sorted_group_names(Some("Sales".into())), "Sales");
        assert_eq!(
            sorted_group_names(Some("Sales\u{1f}Finance, EMEA\u{1f}Admins".into())),
            "Admins, Finance, EMEA, Sales"
        );
    }
}
