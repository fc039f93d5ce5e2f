//! What narrows the users list and its export, and how each filter is answered: a search with
//! few matches starts from them, a broad one walks the sort index (see [`Plan`]).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::schema::memberships;
use crate::domain::ids::{RoleId, WorkspaceId};
use crate::domain::membership::MembershipStatus;
use crate::store::dialect::{self, IdColumn, id_in};
use crate::store::sql::{Bind, Sql, sql};
use crate::store::{AnyConnection, QueryResult};

use super::list::SortSql;

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
    /// Only people whose account is not blocked (who can sign in: a removal's heir).
    pub not_blocked: bool,
    /// Only people who have not turned on two-factor sign-in.
    pub two_factor_off: bool,
    /// Only people not active since then (never-active ones included).
    pub inactive_before: Option<chrono::NaiveDateTime>,
}

impl ListFilter {
    /// The search's term, if there is one (blank is none).
    pub fn term(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
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
pub(super) const SMALL_GROUP: i64 = 4_000;

/// A role held by at most this many members of the workspace is listed from its holders (through
/// the role's index, sorting them), not by walking the sort index: a role's holders can sort late
/// all together (a role given to people whose names begin with the same letters), when a walk
/// would read most of the workspace before it finds a page of them. Sorting this many keys costs
/// ~10 ms at most.
pub(super) const SMALL_ROLE: i64 = 20_000;

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
        if filter.not_blocked {
            query = query.filter(sql::<Bool>(
                "memberships.account_id NOT IN (SELECT id FROM accounts WHERE status = 'blocked')",
            ));
        }
        if filter.two_factor_off {
            query = query.filter(sql::<Bool>(
                "memberships.account_id IN (SELECT id FROM accounts WHERE totp_enabled_at IS NULL)",
            ));
        }
        if let Some(cutoff) = filter.inactive_before {
            query = query.filter(
                memberships::last_active_at
                    .is_null()
                    .or(memberships::last_active_at.lt(cutoff)),
            );
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
            query.filter(super::filter::workspace_without_index($workspace))
        } else {
            // Walk the workspace's index: the rows are dense enough to fill a page soon.
            query.filter(memberships::workspace_id.eq($workspace.0))
        }
    }};
}

pub(super) use apply_filter;

/// How a filter is answered: its search condition (matches looked up once), and whether the rows
/// are few enough to start from them rather than walk the workspace's sort index.
#[derive(Clone)]
pub(super) struct Plan {
    pub(super) search: Option<SqlFilter>,
    pub(super) selective: bool,
    /// The query reads the group's own rows (`group_members` joined with memberships), so the
    /// filter does not test membership of the group again. Only the list sets it.
    pub(super) group_driven: bool,
    /// A search with many matches, walked: when they cluster late in the order (a first name
    /// sorting last), a bounded window of the walk holds less than a page and the list looks its
    /// matches up after all ([`Plan::from_matches`]).
    pub(super) dense_term: Option<String>,
    /// Every match's key starts with the search: the walk stays within that range of the index.
    pub(super) prefix: Option<Prefixed>,
}

impl Plan {
    /// The plan for `filter`: a search with few matches starts from them, a broad one walks.
    pub(super) fn of(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        filter: &ListFilter,
    ) -> QueryResult<Self> {
        let few_in_role = match filter.role {
            Some(role) => role_holders(conn, workspace, role, SMALL_ROLE + 1)? <= SMALL_ROLE,
            None => false,
        };
        let small_group = filter.group.is_some_and(|g| g.members <= SMALL_GROUP) || few_in_role;
        let Some(term) = filter.term() else {
            return Ok(Self::walk(None, small_group, None));
        };
        // Trigram indexes need three characters; shorter searches are broad anyway.
        let matches = if term.chars().count() >= 3 {
            few_matches(conn, workspace, term)?
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
    pub(super) fn from_matches(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        term: &str,
        costs: SearchCosts,
        key: &SortSql,
    ) -> QueryResult<Self> {
        Ok(
            match dialect::matching_account_ids(conn, term, costs.clustered)? {
                Some(ids) => {
                    let prefixed = key
                        .prefixable
                        .then(|| starting_with(conn, key.column, &term.to_lowercase()));
                    match prefixed {
                        Some(prefix) => {
                            // Each member in the range matches, and each matching account has at
                            // most one membership here: as many in the range as matching
                            // accounts with a membership here means there are no others.
                            let in_range: i64 = memberships::table
                                .filter(memberships::workspace_id.eq(workspace.0))
                                .filter(prefix.clone())
                                .count()
                                .get_result(conn)?;
                            // Counted only when some matching account may be another
                            // workspace's alone (an organization of several workspaces).
                            let members = if in_range == ids.len() as i64 {
                                in_range
                            } else {
                                memberships::table
                                    .filter(memberships::workspace_id.eq(workspace.0))
                                    .filter(one_of(conn, IdColumn::Account, &ids))
                                    .count()
                                    .get_result(conn)?
                            };
                            if in_range == members {
                                Self::ranged(prefix)
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

    /// A walk of the members whose `key` starts with `term`, known to hold its every match.
    pub(super) fn within_range(conn: &AnyConnection, term: &str, key: &SortSql) -> Self {
        Self::ranged(starting_with(conn, key.column, &term.to_lowercase()))
    }

    fn ranged(prefix: Prefixed) -> Self {
        Self {
            prefix: Some(prefix),
            ..Self::walk(None, false, None)
        }
    }

    /// Starting from the memberships of these matching accounts (sorted by the list).
    fn matches(conn: &AnyConnection, ids: &[i64]) -> Self {
        // The matches are looked up once and passed as a list, rather than counted and then
        // looked up again by the page's query.
        Self {
            search: Some(one_of(conn, IdColumn::Account, ids)),
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

/// A first look at a search's matches, before anything is counted.
const PROBE: i64 = 200;

/// The accounts matching `term` when they are few enough to start from them ([`SearchCosts`]),
/// else `None` (walk).
///
/// The first [`PROBE`] matches come in about the order the accounts were made; how far into
/// the accounts they reach estimates how many match in all. A term that evidently matches far
/// more than the sparse limit is walked without counting its matches up to that limit (2 ms on
/// SQLite, a scan of tens of thousands of accounts on PostgreSQL): the walk is answered either way,
/// the estimate only saves the count.
fn few_matches(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    term: &str,
) -> QueryResult<Option<Vec<i64>>> {
    use crate::db::schema::accounts;
    let probe = dialect::first_matching_account_ids(conn, term, PROBE + 1)?;
    if probe.len() as i64 <= PROBE {
        return Ok(Some(probe));
    }
    let costs = SearchCosts::of_workspace(conn, workspace)?;
    let reached = probe.iter().copied().max().unwrap_or(1);
    let last: Option<i64> = accounts::table
        .select(diesel::dsl::max(accounts::id))
        .first(conn)?;
    if estimated_matches(probe.len() as i64, reached, last.unwrap_or(reached)) > 2 * costs.sparse {
        return Ok(None);
    }
    dialect::matching_account_ids(conn, term, costs.sparse)
}

/// `found` matches among the accounts up to id `reached`, spread like them over all `last`.
fn estimated_matches(found: i64, reached: i64, last: i64) -> i64 {
    let reached = reached.max(1);
    found.saturating_mul(last.max(reached)) / reached
}

/// How many members of `workspace` hold `role`, counted up to `cap` from the role's index.
fn role_holders(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    role: RoleId,
    cap: i64,
) -> QueryResult<i64> {
    let ids: Vec<i64> = memberships::table
        .filter(memberships::role_id.eq(role.0))
        .filter(memberships::workspace_id.eq(workspace.0))
        .select(memberships::id)
        .limit(cap)
        .load(conn)?;
    Ok(ids.len() as i64)
}

/// `<sql> ? <sql> ? <sql> ? <sql>`: two texts, then a `V`.
pub(super) type ThreeBound<V> = Sql<
    Bool,
    Bind<Bool, Sql<Bool, Bind<Bool, Sql<Bool, Bind<Bool, Sql<Bool>, TextValue>>, TextValue>>, V>,
>;
pub(super) type Beyond = ThreeBound<IdValue>;
pub(super) type TextValue = diesel::dsl::AsExprOf<String, Text>;
pub(super) type IdValue = diesel::dsl::AsExprOf<i64, BigInt>;

/// How a search among a workspace's members is answered, by its number of matching accounts m.
///
/// Starting from the matches costs a lookup of each one's membership (~1.2 µs); walking the name
/// index, testing each member's own columns, costs ~0.3 µs a row and finds a page of m evenly
/// spread matches among N in ~50·N/m rows. The two cross near m = √(50·N / 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SearchCosts {
    /// At most this many matches: start from them (about 3,500 at a million members).
    pub(super) sparse: i64,
    /// More: walk this many rows first (the distance to a page of `sparse` evenly spread
    /// matches); when they hold less than a page, the matches cluster further on (a first name
    /// that sorts late) and are looked up after all...
    pub(super) window: i64,
    /// ...when there are at most this many; more are walked to the end, as they soon fill a page.
    pub(super) clustered: i64,
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
    pub(super) fn of_workspace(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
    ) -> QueryResult<Self> {
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
pub(super) type SqlFilter = Sql<Bool, Bind<Bool, Sql<Bool>, TextValue>>;

/// Rows whose `column` starts with `prefix`: the index's range from the prefix to the prefix
/// followed by the last code point, and the test itself, so that whatever a collation does at
/// the range's ends, every row taken starts with it.
pub(super) fn starting_with(conn: &AnyConnection, column: &'static str, prefix: &str) -> Prefixed {
    let position = dialect::position(conn);
    sql::<Bool>(format!("{column} >= "))
        .bind::<Text, _>(prefix.to_owned())
        .sql(format!(" AND {column} < "))
        .bind::<Text, _>(format!("{prefix}\u{10FFFF}"))
        .sql(format!(" AND {position}({column}, "))
        .bind::<Text, _>(prefix.to_owned())
        .sql(") = 1")
}

pub(super) type Prefixed = ThreeBound<TextValue>;

/// `column` is one of `ids`, the list bound as one value (see [`dialect::id_in`]).
pub(super) fn one_of(conn: &AnyConnection, column: IdColumn, ids: &[i64]) -> SqlFilter {
    let (before, list, after) = id_in(conn, column, ids);
    sql::<Bool>(before).bind::<Text, _>(list).sql(after)
}

/// `memberships.workspace_id = ?` that no index can serve, so the planner drives from elsewhere.
pub(super) fn workspace_without_index(workspace: WorkspaceId) -> Bind<Bool, Sql<Bool>, IdValue> {
    sql::<Bool>("memberships.workspace_id + 0 = ").bind::<BigInt, _>(workspace.0)
}

/// The same match tested on each membership walked, on its own copies of the lower-cased email and
/// name (`sort_email`, `sort_name`), which the name and email indexes carry: a walk reads no
/// account and, in those orders, no table row.
pub(super) fn membership_contains(conn: &AnyConnection, term: &str) -> SqlFilter {
    sql::<Bool>(dialect::membership_contains(conn))
        .bind::<Text, _>(term.to_lowercase())
        .sql(") > 0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_estimated_from_how_far_the_first_ones_reach() {
        // 201 matches among the first 12,000 of a million accounts: about 16,750 in all.
        assert_eq!(estimated_matches(201, 12_000, 1_000_000), 16_750);
        // Among all of them: as many as found.
        assert_eq!(estimated_matches(201, 900, 900), 201);
        assert_eq!(estimated_matches(201, 0, 0), 201);
    }

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
}
