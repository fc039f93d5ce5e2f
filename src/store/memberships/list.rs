//! The users list: keyset pages in any order, through the plan of its filter.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::schema::{accounts, memberships, roles};
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::role::PermissionSet;
use crate::domain::sort::{MemberSort, SortKey, TimeAnchor};
use crate::store::sql::{Sql, sql};
use crate::store::{AnyConnection, QueryResult, parse_key, stored_permissions};

use crate::store::dialect::{self, IdColumn};

use super::filter::{
    Beyond, GroupFilter, ListFilter, Plan, SearchCosts, SqlFilter, apply_filter, one_of,
};
use super::{PERSON, Person};

/// Where a page of the list starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// The page after this membership (the last row of the page before); in a time order, where
    /// it stood then (else its place is read from the row as it is now).
    After(MembershipId, Option<TimeAnchor>),
    /// The page before this membership (the first row of the page after).
    Before(MembershipId, Option<TimeAnchor>),
}

/// Which page of the list: the members `filter` keeps, in `sort` order, from `cursor`, at most
/// `size` of them.
#[derive(Debug, Clone, Copy)]
pub struct PageOf<'a> {
    pub filter: &'a ListFilter,
    pub sort: MemberSort,
    pub cursor: Cursor,
    pub size: i64,
}

impl<'a> PageOf<'a> {
    /// The first `size` members `filter` keeps, by name.
    pub fn first(filter: &'a ListFilter, size: i64) -> Self {
        Self {
            filter,
            sort: MemberSort::default(),
            cursor: Cursor::First,
            size,
        }
    }
}

/// What the caller already knows, so that the list need not read or prove it again.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// The workspace's groups, to name the rows' groups (any group not among them is read).
    pub groups: &'a [(i64, String)],
    /// The search's every match lies among the members whose sort key starts with it, as an
    /// earlier page proved ([`MemberPage::in_range`]) while nothing has changed since.
    pub in_range: bool,
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
    /// When they were removed (removed members only).
    pub removed_at: Option<NaiveDateTime>,
}

impl MemberRow {
    /// Where this row stands in a time order (`None` for the others), for a page's links.
    pub fn time_anchor(&self, key: SortKey) -> Option<TimeAnchor> {
        match key {
            SortKey::LastActive => Some(TimeAnchor(self.last_active_at)),
            SortKey::Joined => Some(TimeAnchor(self.joined_at)),
            SortKey::Name | SortKey::Email => None,
        }
    }

    /// Their name as the console shows it.
    pub fn name(&self) -> String {
        crate::domain::names::display_name(&self.first_name, &self.last_name, &self.email)
    }

    /// How pickers offer them ([`picker_label`]).
    pub fn label(&self) -> String {
        picker_label(self.name(), &self.email)
    }
}

/// "Name (address)": how pickers offer someone (the address alone for someone without a name,
/// whose `name` is their address).
pub fn picker_label(name: String, email: &str) -> String {
    if name == email {
        name
    } else {
        format!("{name} ({email})")
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    pub has_previous: bool,
    pub has_next: bool,
    /// The search was answered as a walk of the keys starting with it: every match lies there
    /// (counted this time, or [`Known::in_range`]). Holds until a member or account changes.
    pub in_range: bool,
    /// The cursor named a member who is not here (any more): the page is the first one.
    pub cursor_lost: bool,
}

/// A keyset page of a workspace's members and pending invitations (removed members only when
/// the filter asks for them), using what the caller already `known`s.
pub fn list_page(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    wanted: PageOf<'_>,
    known: Known<'_>,
) -> QueryResult<MemberPage> {
    let PageOf {
        filter,
        sort,
        cursor,
        size: page_size,
    } = wanted;
    let key = SortSql::of(conn, sort.key);
    let anchor = match cursor {
        Cursor::First => None,
        Cursor::After(id, Some(at)) | Cursor::Before(id, Some(at))
            if dialect::time_sort_key(conn, sort.key).is_some() =>
        {
            Some((dialect::time_anchor_text(conn, at.0), id.0))
        }
        Cursor::After(id, _) | Cursor::Before(id, _) => memberships::table
            .filter(memberships::id.eq(id.0))
            .filter(memberships::workspace_id.eq(workspace.0))
            .select((sql::<Text>(key.as_text), memberships::id))
            .first::<(String, i64)>(conn)
            .optional()?,
    };
    let backwards = matches!(cursor, Cursor::Before(..)) && anchor.is_some();
    // Walking backwards flips the order; the page is turned round afterwards.
    let descending = sort.descending != backwards;

    let started = anchor.is_some();
    let plan = match filter.term() {
        Some(term) if known.in_range && key.prefixable => Plan::within_range(conn, term, &key),
        _ => Plan::of(conn, workspace, filter)?,
    };
    let page = PageQuery {
        workspace,
        filter,
        key: &key,
        sort: sort.key,
        anchor,
        descending,
        page_size,
    };
    let mut in_range = plan.prefix.is_some();
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
                in_range = plan.prefix.is_some();
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
    let names = GroupNames::for_rows(conn, &rows, known.groups)?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let groups = names.of(row.group_ids.as_deref());
            row.into_member(groups)
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
        in_range,
        cursor_lost: cursor != Cursor::First && !started,
    })
}

/// Whether every member of `workspace` that `filter`'s search matches has a `sort` key starting
/// with its term, as the first page proves it ([`MemberPage::in_range`], counting the matches)
/// but without reading a page: what a proof made again in the background asks.
pub fn search_in_range(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    filter: &ListFilter,
    sort: SortKey,
) -> QueryResult<bool> {
    let key = SortSql::of(conn, sort);
    if !key.prefixable || filter.term().is_none() {
        return Ok(false);
    }
    match Plan::of(conn, workspace, filter)?.dense_term {
        Some(term) => {
            let costs = SearchCosts::of_workspace(conn, workspace)?;
            let plan = Plan::from_matches(conn, workspace, &term, costs, &key)?;
            Ok(plan.prefix.is_some())
        }
        None => Ok(false),
    }
}

/// One of the list's rows as read, in the order [`PageQuery::load`] selects the columns.
#[derive(Queryable)]
struct ListRow {
    person: Person,
    role_name: String,
    status: String,
    joined_at: Option<NaiveDateTime>,
    last_active_at: Option<NaiveDateTime>,
    avatar_key: Option<String>,
    account_status: String,
    role_permissions: String,
    /// The ids of their groups, comma-separated ([`dialect::group_ids`]).
    group_ids: Option<String>,
    org_role: String,
    removed_at: Option<NaiveDateTime>,
}

impl ListRow {
    /// The row, in `groups` (their names, by name).
    fn into_member(self, groups: String) -> QueryResult<MemberRow> {
        let status = parse_key(
            "membership status",
            &self.status,
            MembershipStatus::from_key,
        )?;
        Ok(MemberRow {
            id: MembershipId(self.person.id),
            account_id: AccountId(self.person.account_id),
            email: self.person.email,
            first_name: self.person.first_name,
            last_name: self.person.last_name,
            role_name: self.role_name,
            status,
            joined_at: self.joined_at,
            last_active_at: self.last_active_at,
            avatar_key: self.avatar_key,
            account_status: parse_key(
                "account status",
                &self.account_status,
                AccountStatus::from_key,
            )?,
            role_permissions: stored_permissions(&self.role_permissions)?,
            groups,
            org_role: parse_key("org role", &self.org_role, OrgRole::from_key)?,
            removed_at: self.removed_at,
        })
    }
}

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
    /// Walking the last-active order, dormant members all lie before the cutoff: the walk seeks
    /// there instead of passing every recently active member (most recently active first).
    fn dormant_range(&self) -> Option<SqlFilter> {
        let cutoff = self.filter.inactive_before?;
        (self.sort == SortKey::LastActive).then(|| self.key.before(cutoff))
    }

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
        let mut plan = plan.clone();
        // A group listed by name or email (no search): its own sort index gives the page's ids.
        let group_walk = self
            .filter
            .group
            .filter(|_| plan.search.is_none() && plan.prefix.is_none())
            .and_then(|group| SortSql::of_group(self.sort).map(|key| (group, key)));
        plan.group_driven = group_walk.is_some();
        let query = memberships::table
            .inner_join(accounts::table)
            .inner_join(roles::table)
            .select((
                PERSON,
                roles::name,
                memberships::status,
                memberships::joined_at,
                memberships::last_active_at,
                accounts::avatar_key,
                accounts::status,
                roles::permissions,
                sql::<diesel::sql_types::Nullable<Text>>(dialect::group_ids(conn)),
                accounts::org_role,
                memberships::removed_at,
            ))
            .into_boxed();
        let query = if let Some((group, group_key)) = group_walk {
            let ids = self.group_page_ids(conn, &plan, group, &group_key)?;
            query.filter(one_of(conn, IdColumn::Membership, &ids))
        } else if plan.selective || plan.search.is_some() || plan.prefix.is_some() {
            // Two steps: the page's ids are chosen among the rows by the sort key alone, then only
            // those ~50 rows are joined with their role, picture and groups (which otherwise would be
            // read for every row sorted, or, walking a search, tested).
            let ids = self.keyed_page_ids(conn, &plan, window_end)?;
            query.filter(one_of(conn, IdColumn::Membership, &ids))
        } else {
            let mut query = apply_filter!(query, self.workspace, self.filter, &plan);
            if let Some(anchor) = self.anchor.clone() {
                query = query.filter(self.key.beyond(anchor, self.descending));
            }
            if let Some(range) = self.dormant_range() {
                query = query.filter(range);
            }
            query
        };
        query
            .order(self.key.order_limit(self.descending, self.page_size + 1))
            .load(conn)
    }

    /// The ids of the page of a group walked through the group's own rows, in `group_key` order.
    fn group_page_ids(
        &self,
        conn: &mut AnyConnection,
        plan: &Plan,
        group: GroupFilter,
        group_key: &SortSql,
    ) -> QueryResult<Vec<i64>> {
        use crate::db::schema::group_members;
        let mut keyed = group_members::table
            .inner_join(memberships::table)
            .filter(group_members::group_id.eq(group.id))
            .select(group_members::membership_id)
            .into_boxed();
        keyed = apply_filter!(keyed, self.workspace, self.filter, plan);
        if let Some(anchor) = self.anchor.clone() {
            keyed = keyed.filter(group_key.beyond(anchor, self.descending));
        }
        keyed
            .order(group_key.order_limit(self.descending, self.page_size + 1))
            .load(conn)
    }

    /// The ids of the page chosen by the sort key alone, before `window_end` if given.
    ///
    /// Memberships alone: a search's condition names account ids or the membership's own
    /// columns, which a walk reads from the index (PostgreSQL: an index-only scan).
    fn keyed_page_ids(
        &self,
        conn: &mut AnyConnection,
        plan: &Plan,
        window_end: Option<(String, i64)>,
    ) -> QueryResult<Vec<i64>> {
        let (key, descending) = (self.key, self.descending);
        let mut keyed = memberships::table
            .select((sql::<Text>(key.as_text), memberships::id))
            .into_boxed();
        keyed = apply_filter!(keyed, self.workspace, self.filter, plan);
        if let Some(anchor) = self.anchor.clone() {
            keyed = keyed.filter(key.beyond(anchor, descending));
        }
        if let Some(range) = self.dormant_range() {
            keyed = keyed.filter(range);
        }
        if let Some(end) = window_end {
            // The rows before the window's end in the walk's order.
            keyed = keyed.filter(key.beyond(end, !descending));
        }
        Ok(keyed
            .order(key.order_limit(descending, self.page_size + 1))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .map(|(_, id)| id)
            .collect())
    }
}

/// A sort key as SQL: the expression (the same text as its index, so both planners walk it), the
/// same value as text (to carry the anchor), and how a bound text compares with it.
pub(super) struct SortSql {
    pub(super) column: &'static str,
    pub(super) as_text: &'static str,
    pub(super) bound: &'static str,
    /// The id that breaks ties, in the same index.
    pub(super) id: &'static str,
    /// A search's term can be a prefix of the key (the lower-cased name or email).
    pub(super) prefixable: bool,
}

impl SortSql {
    fn of(conn: &AnyConnection, key: SortKey) -> Self {
        let text = |column| Self {
            column,
            as_text: column,
            bound: "?",
            id: "memberships.id",
            prefixable: false,
        };
        match (key, dialect::time_sort_key(conn, key)) {
            (_, Some((column, as_text, bound))) => Self {
                column,
                as_text,
                bound,
                ..text(column)
            },
            (SortKey::Email, None) => Self {
                prefixable: true,
                ..text("memberships.sort_email")
            },
            (_, None) => Self {
                prefixable: true,
                ..text("memberships.sort_name")
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

    /// The rows whose key is before `at` (a time key): dormant members, as a range of the index.
    fn before(&self, at: NaiveDateTime) -> SqlFilter {
        let (open, close) = self.bound.split_once('?').unwrap_or(("", ""));
        sql::<Bool>(format!("{} < {open}", self.column))
            .bind::<Text, _>(at.format("%Y-%m-%d %H:%M:%S").to_string())
            .sql(close.to_owned())
    }

    fn order(&self, descending: bool) -> Sql<Text> {
        let dir = if descending { "DESC" } else { "ASC" };
        sql(format!("{} {dir}, {} {dir}", self.column, self.id))
    }

    /// The order, then `LIMIT limit` written into the text, not bound: PostgreSQL plans a
    /// prepared statement once (a generic plan) only when that plan is as cheap as one made for
    /// the values, and a generic plan cannot know how few rows a bound limit asks for — so with
    /// `LIMIT $n` it planned the page afresh on every execution, more than half of its cost. The
    /// limits are page sizes (a small fixed set), so the statement cache stays small.
    fn order_limit(&self, descending: bool, limit: i64) -> Sql<Text> {
        let dir = if descending { "DESC" } else { "ASC" };
        sql(format!(
            "{} {dir}, {} {dir} LIMIT {limit}",
            self.column, self.id
        ))
    }

    /// The rows past the anchor `(value, id)` in this direction: `key >= v AND (key, id) > (v,
    /// anchor)`. The row comparison seeks the index (key, id) straight to the anchor, past every
    /// earlier member of the same name (`key > v OR id > anchor` read each of them: ~230 rows
    /// for a common name at a million members); the range before it is for planners that do not
    /// seek on a row comparison.
    fn beyond(&self, (value, id): (String, i64), descending: bool) -> Beyond {
        let (wide, strict) = if descending { ("<=", "<") } else { (">=", ">") };
        let (column, id_column) = (self.column, self.id);
        let (open, close) = self.bound.split_once('?').unwrap_or(("", ""));
        sql::<Bool>(format!("{column} {wide} {open}"))
            .bind::<Text, _>(value.clone())
            .sql(format!(
                "{close} AND ({column}, {id_column}) {strict} ({open}"
            ))
            .bind::<Text, _>(value)
            .sql(format!("{close}, "))
            .bind::<BigInt, _>(id)
            .sql(")")
    }
}

/// The names of the groups a page's rows are in.
struct GroupNames<'a>(HashMap<i64, Cow<'a, str>>);

impl<'a> GroupNames<'a> {
    /// From `known`, and in one statement those that are not.
    fn for_rows(
        conn: &mut AnyConnection,
        rows: &[ListRow],
        known: &'a [(i64, String)],
    ) -> QueryResult<Self> {
        use crate::db::schema::groups;
        let mut names: HashMap<i64, Cow<'a, str>> = known
            .iter()
            .map(|(id, name)| (*id, Cow::Borrowed(name.as_str())))
            .collect();
        let mut missing: Vec<i64> = rows
            .iter()
            .flat_map(|row| ids_in(row.group_ids.as_deref()))
            .filter(|id| !names.contains_key(id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let read: Vec<(i64, String)> = crate::store::in_chunks(&missing, |chunk| {
                groups::table
                    .filter(groups::id.eq_any(chunk))
                    .select((groups::id, groups::name))
                    .load(conn)
            })?;
            names.extend(read.into_iter().map(|(id, name)| (id, Cow::Owned(name))));
        }
        Ok(Self(names))
    }

    /// "Finance, Sales": the names of the groups in `ids` (comma-separated), by name.
    fn of(&self, ids: Option<&str>) -> String {
        let mut names: Vec<&str> = ids_in(ids)
            .filter_map(|id| self.0.get(&id).map(|name| name.as_ref()))
            .collect();
        names.sort_unstable();
        names.join(", ")
    }
}

fn ids_in(ids: Option<&str>) -> impl Iterator<Item = i64> + '_ {
    ids.unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_come_out_sorted_and_comma_separated() {
        let names = GroupNames(
            [(1, "Sales"), (2, "Finance, EMEA"), (3, "Admins")]
                .map(|(id, name)| (id, Cow::Borrowed(name)))
                .into(),
        );
        assert_eq!(names.of(Some("1,2,3")), "Admins, Finance, EMEA, Sales");
        assert_eq!(names.of(Some("1")), "Sales");
        assert_eq!(names.of(None), "");
        // A group deleted since the page was read is left out.
        assert_eq!(names.of(Some("9,3")), "Admins");
    }
}
