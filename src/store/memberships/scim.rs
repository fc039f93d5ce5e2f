//! Members as SCIM Users read them: a filter resolved by `domain::scim_filter` turned into SQL
//! (fixed texts with bound values, so every statement stays in the prepared-statement cache),
//! offset pages by id (`startIndex`/`count`), and one member by id.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::super::dialect::IdColumn;
use super::super::sql::sql;
use super::super::{AnyConnection, QueryResult, parse_key};
use super::filter::one_of;
use super::{PERSON, Person};
use crate::db::schema::{accounts, memberships};
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::scim_filter::Cond;
use crate::domain::scim_patch::EmailLabel;
use crate::store::scim::{USERS, condition};

/// A member as SCIM shows them (removed members are not listed).
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub id: MembershipId,
    pub account_id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub timezone: String,
    pub status: MembershipStatus,
    /// Blocked organization-wide: no access anywhere, whatever the membership's status.
    pub account_blocked: bool,
    pub external_id: Option<String>,
    /// The identity provider's userName when it is not the email address.
    pub user_name: Option<String>,
    /// The label the identity provider gave the address.
    pub email_label: EmailLabel,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns a SCIM user is read from, in the order [`columns!`] selects them.
#[derive(Queryable)]
struct Row {
    person: Person,
    timezone: String,
    status: String,
    account_status: String,
    external_id: Option<String>,
    user_name: Option<String>,
    email_type: Option<String>,
    email_primary: Option<bool>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn user(row: Row) -> QueryResult<ScimUser> {
    Ok(ScimUser {
        id: MembershipId(row.person.id),
        account_id: AccountId(row.person.account_id),
        email: row.person.email,
        first_name: row.person.first_name,
        last_name: row.person.last_name,
        timezone: row.timezone,
        status: parse_key("membership status", &row.status, MembershipStatus::from_key)?,
        account_blocked: parse_key(
            "account status",
            &row.account_status,
            AccountStatus::from_key,
        )? == AccountStatus::Blocked,
        external_id: row.external_id,
        user_name: row.user_name,
        email_label: EmailLabel {
            kind: row.email_type,
            primary: row.email_primary,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

macro_rules! columns {
    () => {
        (
            PERSON,
            accounts::timezone,
            memberships::status,
            accounts::status,
            memberships::external_id,
            memberships::scim_user_name,
            memberships::scim_email_type,
            memberships::scim_email_primary,
            memberships::created_at,
            memberships::updated_at,
        )
    };
}

/// Not removed, as the partial index `memberships_scim` states it (written out, not bound, so
/// the planner can use that index).
fn not_removed() -> super::super::sql::Sql<Bool> {
    sql::<Bool>("memberships.status <> 'removed'")
}

/// `count` members matching `cond` from the `offset`-th (by id), and how many match in all.
pub fn scim_users(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    cond: Option<&Cond>,
    offset: i64,
    count: i64,
) -> QueryResult<(i64, Vec<ScimUser>)> {
    let joined = || {
        memberships::table
            .inner_join(accounts::table)
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(not_removed())
            .into_boxed()
    };
    let Some(cond) = cond else {
        // A full sync: the total from the workspace's counters, the page's ids from the index
        // alone, then only those rows joined with their accounts.
        let total =
            crate::store::workspaces::find(conn, workspace)?.map_or(0, |w| w.counts.seats_used());
        if count == 0 {
            return Ok((total, Vec::new()));
        }
        let ids: Vec<i64> = memberships::table
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(not_removed())
            .select(memberships::id)
            .order(memberships::id)
            .offset(offset)
            .limit(count)
            .load(conn)?;
        let rows: Vec<Row> = joined()
            .filter(one_of(conn, IdColumn::Membership, &ids))
            .select(columns!())
            .order(memberships::id)
            .load(conn)?;
        return Ok((
            total,
            rows.into_iter().map(user).collect::<QueryResult<_>>()?,
        ));
    };
    let total: i64 = joined()
        .filter(condition(cond, &USERS))
        .count()
        .get_result(conn)?;
    let rows: Vec<Row> = if count == 0 {
        Vec::new()
    } else {
        joined()
            .filter(condition(cond, &USERS))
            .select(columns!())
            .order(memberships::id)
            .offset(offset)
            .limit(count)
            .load(conn)?
    };
    Ok((
        total,
        rows.into_iter().map(user).collect::<QueryResult<_>>()?,
    ))
}

/// One member (not removed) of the workspace.
pub fn scim_user(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: MembershipId,
) -> QueryResult<Option<ScimUser>> {
    let row: Option<Row> = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::id.eq(id.0))
        .filter(not_removed())
        .select(columns!())
        .first(conn)
        .optional()?;
    row.map(user).transpose()
}

/// Whether a current member of the workspace other than `except` holds `user_name`, whatever its
/// case: as their SCIM userName, or as their address. A userName stands for one member (identity
/// providers find people by it), and nobody may take another's address as theirs.
pub fn user_name_taken(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    user_name: &str,
    except: Option<MembershipId>,
) -> QueryResult<bool> {
    let name = user_name.to_lowercase();
    let found: i64 = memberships::table
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(not_removed())
        // Ids start at 1: 0 excepts nobody.
        .filter(memberships::id.ne(except.map_or(0, |m| m.0)))
        .filter(
            sql::<Bool>("(lower(memberships.scim_user_name) = ")
                .bind::<Text, _>(name.clone())
                .sql(" OR memberships.sort_email = ")
                .bind::<Text, _>(name)
                .sql(")"),
        )
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// The SCIM userNames (lower-cased) that current members of the workspace answer to other than
/// their address: an address among them may not be given to someone else here.
pub fn user_names(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
) -> QueryResult<std::collections::HashSet<String>> {
    let names: Vec<Option<String>> = memberships::table
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(not_removed())
        .filter(memberships::scim_user_name.is_not_null())
        .select(memberships::scim_user_name)
        .load(conn)?;
    Ok(names
        .into_iter()
        .flatten()
        .map(|n| n.to_lowercase())
        .collect())
}

/// The account's current (not removed) memberships: the workspaces where its address must be
/// nobody else's userName.
pub fn current_of_account(
    conn: &mut AnyConnection,
    account: AccountId,
) -> QueryResult<Vec<(WorkspaceId, MembershipId)>> {
    let rows: Vec<(i64, i64)> = memberships::table
        .filter(memberships::account_id.eq(account.0))
        .filter(not_removed())
        .select((memberships::workspace_id, memberships::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(w, m)| (WorkspaceId(w), MembershipId(m)))
        .collect())
}

pub fn set_email_label(
    conn: &mut AnyConnection,
    id: MembershipId,
    label: &EmailLabel,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::scim_email_type.eq(label.kind.as_deref()),
            memberships::scim_email_primary.eq(label.primary),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The identity provider's userName of a member, where it is not their address.
pub fn scim_user_name(conn: &mut AnyConnection, id: MembershipId) -> QueryResult<Option<String>> {
    memberships::table
        .find(id.0)
        .select(memberships::scim_user_name)
        .first(conn)
}

pub fn set_scim_user_name(
    conn: &mut AnyConnection,
    id: MembershipId,
    user_name: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::scim_user_name.eq(user_name),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
