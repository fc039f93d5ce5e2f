use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::{AnyConnection, QueryResult, parse_key};
use crate::db::schema::{accounts, memberships, roles};
use crate::domain::ids::{AccountId, MembershipId, RoleId, WorkspaceId};
use crate::domain::membership::MembershipStatus;
use crate::domain::role::PermissionSet;

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
    diesel::insert_into(memberships::table)
        .values((
            memberships::workspace_id.eq(new.workspace_id.0),
            memberships::account_id.eq(new.account_id.0),
            memberships::role_id.eq(new.role_id.0),
            memberships::status.eq(new.status.key()),
            memberships::sort_name.eq(new.sort_name),
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
            permissions: PermissionSet::parse(&permissions)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
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
            memberships::joined_at.eq(diesel::dsl::sql::<
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
}

#[derive(Debug, Clone, Default)]
pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// A keyset page of a workspace's members and pending invitations (removed members are left out),
/// ordered by name, optionally narrowed to those whose email or name contains `search`.
pub fn list_page(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    search: Option<&str>,
    cursor: Cursor,
    page_size: i64,
) -> QueryResult<MemberPage> {
    let anchor = match cursor {
        Cursor::First => None,
        Cursor::After(id) | Cursor::Before(id) => memberships::table
            .filter(memberships::id.eq(id.0))
            .filter(memberships::workspace_id.eq(workspace.0))
            .select((memberships::sort_name, memberships::id))
            .first::<(String, i64)>(conn)
            .optional()?,
    };
    let backwards = matches!(cursor, Cursor::Before(_)) && anchor.is_some();

    let term = search.map(str::trim).filter(|t| !t.is_empty());
    // Trigram indexes need three characters; shorter searches are broad anyway.
    let selective = match term {
        Some(term) if term.chars().count() >= 3 => {
            count_matches(conn, term, SELECTIVE_SEARCH)? <= SELECTIVE_SEARCH
        }
        _ => false,
    };
    let mut query = memberships::table
        .inner_join(accounts::table)
        .inner_join(roles::table)
        .filter(memberships::status.ne(MembershipStatus::Removed.key()))
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
        ))
        .into_boxed();

    query = if selective {
        // Few matches: start from them (through the account index) and sort those. `+ 0` keeps the
        // planner from walking the workspace's name index instead, which scans every member when
        // the matches are few or sort late.
        query.filter(
            diesel::dsl::sql::<Bool>("memberships.workspace_id + 0 = ")
                .bind::<BigInt, _>(workspace.0),
        )
    } else {
        // No search, or a broad one: walk the name index; matches are dense enough to fill a page.
        query.filter(memberships::workspace_id.eq(workspace.0))
    };
    if let Some(term) = term {
        let filter = if selective {
            let (select, value) = matching_accounts(conn, term);
            diesel::dsl::sql::<Bool>(&format!("memberships.account_id IN ({select}"))
                .bind::<Text, _>(value)
                .sql(")")
        } else {
            let (before, value, after) = account_contains(conn, term);
            diesel::dsl::sql::<Bool>(before)
                .bind::<Text, _>(value)
                .sql(after)
        };
        query = query.filter(filter);
    }
    if let Some((sort_name, id)) = anchor.clone() {
        // (sort_name, id) > anchor, written so both planners seek the (workspace_id, sort_name, id) index.
        query = if backwards {
            query
                .filter(memberships::sort_name.le(sort_name.clone()))
                .filter(
                    memberships::sort_name
                        .lt(sort_name)
                        .or(memberships::id.lt(id)),
                )
        } else {
            query
                .filter(memberships::sort_name.ge(sort_name.clone()))
                .filter(
                    memberships::sort_name
                        .gt(sort_name)
                        .or(memberships::id.gt(id)),
                )
        };
    }
    query = if backwards {
        query.order((memberships::sort_name.desc(), memberships::id.desc()))
    } else {
        query.order((memberships::sort_name.asc(), memberships::id.asc()))
    };

    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let mut rows: Vec<Row> = query.limit(page_size + 1).load(conn)?;
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
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    let (has_previous, has_next) = match (anchor.is_some(), backwards) {
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

/// Searches with at most this many matching accounts are answered from the matches.
const SELECTIVE_SEARCH: i64 = 20_000;

/// `SELECT <account ids> … ?`: accounts whose email, first or last name contain the term (the bound
/// value), case-insensitively, through each backend's index: SQLite's FTS5 trigram table (a quoted
/// phrase is a substring match), PostgreSQL's pg_trgm GIN index. For terms of three characters or more.
fn matching_accounts(conn: &AnyConnection, term: &str) -> (&'static str, String) {
    match conn {
        AnyConnection::Sqlite(_) => (
            "SELECT rowid FROM account_search WHERE account_search MATCH ",
            format!("\"{}\"", term.replace('"', "\"\"")),
        ),
        AnyConnection::Postgresql(_) => (
            "SELECT id FROM accounts WHERE lower(email || ' ' || first_name || ' ' || last_name) LIKE ",
            format!(
                "%{}%",
                term.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            ),
        ),
    }
}

/// The same match tested on each joined account row, while walking the list in name order:
/// `<before> ? <after>`.
fn account_contains(conn: &AnyConnection, term: &str) -> (&'static str, String, &'static str) {
    let before = match conn {
        AnyConnection::Sqlite(_) => {
            "instr(lower(accounts.email || ' ' || accounts.first_name || ' ' || accounts.last_name), "
        }
        AnyConnection::Postgresql(_) => {
            "strpos(lower(accounts.email || ' ' || accounts.first_name || ' ' || accounts.last_name), "
        }
    };
    (before, term.to_lowercase(), ") > 0")
}

/// How many accounts match, counting no further than `cap + 1`.
fn count_matches(conn: &mut AnyConnection, term: &str, cap: i64) -> QueryResult<i64> {
    let (select, value) = matching_accounts(conn, term);
    diesel::select(
        diesel::dsl::sql::<BigInt>(&format!("COUNT(*) FROM ({select}"))
            .bind::<Text, _>(value)
            .sql(" LIMIT ")
            .bind::<BigInt, _>(cap + 1)
            .sql(") AS matches"),
    )
    .get_result(conn)
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
                permissions: PermissionSet::parse(&permissions)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
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
