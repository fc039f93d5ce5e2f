//! Memberships: writes and short reads here; the users list, its filters, the export and a
//! member's detail in modules of their own.

mod detail;
mod export;
mod filter;
mod list;
mod scim;

pub use detail::{MemberDetail, detail};
pub(in crate::store) use detail::{Row as DetailRow, from_row as detail_from_row, member_detail};
pub use export::{ExportPlan, ExportRow, export_batch, matching_ids};
pub use filter::{GroupFilter, ListFilter};
pub use list::{
    Cursor, Known, MemberPage, MemberRow, PageOf, list_page, picker_label, search_in_range,
};
pub use scim::{
    ScimUser, current_of_account, scim_user, scim_user_name, scim_users, set_email_label,
    set_scim_user_name, user_name_taken, user_names,
};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::sql::sql;
use super::{AnyConnection, QueryResult, in_chunks, parse_key, stored_permissions};
use crate::db::schema::{accounts, memberships, roles};
use crate::domain::ids::{AccountId, MembershipId, RoleId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::policy::Facts;
use crate::domain::role::{BuiltInRole, PermissionSet};

columns!(
    pub(in crate::store) PERSON = (
        memberships::id,
        accounts::id,
        accounts::email,
        accounts::first_name,
        accounts::last_name,
    )
);

/// Who a membership is, as [`PERSON`] reads it: the first columns of a row of the users list, of
/// a member's detail and of a SCIM user.
#[derive(Queryable)]
pub(in crate::store) struct Person {
    id: i64,
    account_id: i64,
    email: String,
    first_name: String,
    last_name: String,
}

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

/// `account` joins `workspace` at once, active with `role` (made an Owner from the command line,
/// or added by an identity provider): ordered in the list by its names.
pub fn insert_active(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    account: &crate::store::accounts::Account,
    role: RoleId,
    now: NaiveDateTime,
) -> QueryResult<MembershipId> {
    let sort_name =
        crate::domain::names::sort_key(&account.first_name, &account.last_name, &account.email);
    insert(
        conn,
        &NewMembership {
            workspace_id: workspace,
            account_id: account.id,
            role_id: role,
            status: MembershipStatus::Active,
            sort_name: &sort_name,
            invited_by: None,
            joined_at: Some(now),
        },
        now,
    )
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
        .first::<AccessRow>(conn)
        .optional()?;
    row.map(access_from).transpose()
}

/// A membership's access as read: id, status, role id, role name, stored permissions.
pub(crate) type AccessRow = (i64, String, i64, String, String);

pub(crate) fn access_from(
    (id, status, role_id, role_name, permissions): AccessRow,
) -> QueryResult<Access> {
    Ok(Access {
        membership_id: MembershipId(id),
        status: parse_key("membership status", &status, MembershipStatus::from_key)?,
        role_id: RoleId(role_id),
        role_name,
        permissions: stored_permissions(&permissions)?,
    })
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

/// Marks a membership removed, keeping what the removal ended (JSON) for a restore, and its
/// suspension (`suspended_at`) if it had one: a restore does not lift it.
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

/// Brings a removed membership back as it was when removed: active, or suspended (a restore is
/// not an unsuspension, which takes `users.suspend`). Returns which.
pub fn set_restored(
    conn: &mut AnyConnection,
    id: MembershipId,
    now: NaiveDateTime,
) -> QueryResult<MembershipStatus> {
    let suspended: Option<NaiveDateTime> = memberships::table
        .find(id.0)
        .select(memberships::suspended_at)
        .first(conn)?;
    let status = match suspended {
        Some(_) => MembershipStatus::Suspended,
        None => MembershipStatus::Active,
    };
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::status.eq(status.key()),
            memberships::removed_at.eq(None::<NaiveDateTime>),
            memberships::removal_snapshot.eq(None::<String>),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(status)
}

/// A removed membership due for purging.
pub struct DuePurge {
    pub id: MembershipId,
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    pub email: String,
    pub removed_at: NaiveDateTime,
}

/// Memberships removed before `cutoff` (at most `limit`, oldest first), of one workspace or all.
pub fn removed_before(
    conn: &mut AnyConnection,
    workspace: Option<WorkspaceId>,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<DuePurge>> {
    // The status is written out (not bound) so the partial index `memberships_removed` applies.
    let mut query = memberships::table
        .inner_join(accounts::table)
        .filter(sql::<Bool>("memberships.status = 'removed'"))
        .filter(memberships::removed_at.lt(cutoff))
        .into_boxed();
    if let Some(workspace) = workspace {
        query = query.filter(memberships::workspace_id.eq(workspace.0));
    }
    let rows: Vec<(i64, i64, i64, String, Option<NaiveDateTime>)> = query
        .select((
            memberships::id,
            memberships::workspace_id,
            accounts::id,
            accounts::email,
            memberships::removed_at,
        ))
        .order(memberships::removed_at)
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, workspace, account, email, removed_at)| DuePurge {
            id: MembershipId(id),
            workspace_id: WorkspaceId(workspace),
            account_id: AccountId(account),
            email,
            removed_at: removed_at.unwrap_or(cutoff),
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

/// The workspace's current (not removed) memberships among `ids`, with their emails.
pub fn current_among(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[MembershipId],
) -> QueryResult<Vec<(MembershipId, String)>> {
    emails_among(conn, workspace, ids, true)
}

/// (membership id, email) rows as read, with their ids typed.
fn with_membership_ids(rows: Vec<(i64, String)>) -> Vec<(MembershipId, String)> {
    rows.into_iter()
        .map(|(id, email)| (MembershipId(id), email))
        .collect()
}

/// The workspace's current (not removed) memberships of these addresses, with the emails as stored.
pub fn current_by_emails(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    emails: &[crate::domain::Email],
) -> QueryResult<Vec<(MembershipId, String)>> {
    in_chunks(emails, |chunk| {
        let keys: Vec<&str> = chunk.iter().map(crate::domain::Email::as_str).collect();
        memberships::table
            .inner_join(accounts::table)
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(super::lower(accounts::email).eq_any(keys))
            .filter(memberships::status.ne(MembershipStatus::Removed.key()))
            .select((memberships::id, accounts::email))
            .load(conn)
            .map(with_membership_ids)
    })
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
    in_chunks(accounts_, |chunk| {
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
        rows.into_iter()
            .map(|(account, status, removed_at)| {
                Ok((
                    AccountId(account),
                    parse_key("membership status", &status, MembershipStatus::from_key)?,
                    removed_at,
                ))
            })
            .collect()
    })
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

/// The identity provider's id of a member (SCIM `externalId`).
pub fn external_id(conn: &mut AnyConnection, id: MembershipId) -> QueryResult<Option<String>> {
    memberships::table
        .find(id.0)
        .select(memberships::external_id)
        .first(conn)
}

pub fn set_external_id(
    conn: &mut AnyConnection,
    id: MembershipId,
    external_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(memberships::table.find(id.0))
        .set((
            memberships::external_id.eq(external_id),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
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

/// Active members of the workspace holding one of `roles` whose two-factor sign-in is off.
pub fn count_active_without_two_factor(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    roles: &[RoleId],
) -> QueryResult<i64> {
    let roles: Vec<i64> = roles.iter().map(|r| r.0).collect();
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::role_id.eq_any(roles))
        .filter(memberships::status.eq(MembershipStatus::Active.key()))
        .filter(accounts::totp_enabled_at.is_null())
        .count()
        .get_result(conn)
}

/// Members of the workspace holding `role` in any of `statuses`.
pub fn count_with_role(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    role: RoleId,
    statuses: &[MembershipStatus],
) -> QueryResult<i64> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.key()).collect();
    memberships::table
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::role_id.eq(role.0))
        .filter(memberships::status.eq_any(statuses))
        .count()
        .get_result(conn)
}

/// Members holding a seat (all but removed) not active since `cutoff`, never-active ones included,
/// counted up to `cap` (a range of `memberships_dormant`, keyed as the last-active order is: a
/// count of the whole range read ~700,000 entries at a million members).
pub fn dormant_count(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    cutoff: NaiveDateTime,
    cap: i64,
) -> QueryResult<i64> {
    let (key, _, bound) =
        super::dialect::time_sort_key(conn, crate::domain::sort::SortKey::LastActive)
            .expect("last active is a time");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // Counted inside the database, the range stopping at the cap. The status is written out, as
    // the partial index states it.
    let text = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM memberships WHERE workspace_id = ? \
         AND status <> 'removed' AND {key} < {bound} LIMIT ?) AS dormant"
    );
    let count: Count = diesel::sql_query(super::dialect::placeholders(conn, &text))
        .bind::<diesel::sql_types::BigInt, _>(workspace.0)
        .bind::<diesel::sql_types::Text, _>(cutoff.format("%Y-%m-%d %H:%M:%S").to_string())
        .bind::<diesel::sql_types::BigInt, _>(cap)
        .get_result(conn)?;
    Ok(count.n)
}

/// The members of the workspace active since `since` (newest first, at most `cap`), with when:
/// those the presence stream shows online. A range of `memberships_list_active`.
pub fn active_since(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    since: NaiveDateTime,
    cap: i64,
) -> QueryResult<Vec<(MembershipId, NaiveDateTime)>> {
    let (key, _, bound) =
        super::dialect::time_sort_key(conn, crate::domain::sort::SortKey::LastActive)
            .expect("last active is a time");
    #[derive(diesel::QueryableByName)]
    struct Active {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        last_active_at: NaiveDateTime,
    }
    let text = format!(
        "SELECT id, last_active_at FROM memberships WHERE workspace_id = ? AND {key} >= {bound} \
         AND status <> 'removed' ORDER BY {key} DESC LIMIT ?"
    );
    let rows: Vec<Active> = diesel::sql_query(super::dialect::placeholders(conn, &text))
        .bind::<diesel::sql_types::BigInt, _>(workspace.0)
        .bind::<diesel::sql_types::Text, _>(since.format("%Y-%m-%d %H:%M:%S").to_string())
        .bind::<diesel::sql_types::BigInt, _>(cap)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (MembershipId(r.id), r.last_active_at))
        .collect())
}

/// The addresses of those of `ids` who are memberships of `workspace` (any status).
pub fn emails_of(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[MembershipId],
) -> QueryResult<Vec<(MembershipId, String)>> {
    emails_among(conn, workspace, ids, false)
}

/// Those of `ids` who are memberships of `workspace` (only current ones if `current`), with
/// their addresses.
fn emails_among(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[MembershipId],
    current: bool,
) -> QueryResult<Vec<(MembershipId, String)>> {
    in_chunks(ids, |chunk| {
        let chunk: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        let mut query = memberships::table
            .inner_join(accounts::table)
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(memberships::id.eq_any(chunk))
            .select((memberships::id, accounts::email))
            .into_boxed();
        if current {
            query = query.filter(memberships::status.ne(MembershipStatus::Removed.key()));
        }
        query.load(conn).map(with_membership_ids)
    })
}

/// How many of `ids` are active memberships of `workspace` (those an Admin count counts).
pub fn active_among(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[MembershipId],
) -> QueryResult<i64> {
    let counts = in_chunks(ids, |chunk| {
        let chunk: Vec<i64> = chunk.iter().map(|m| m.0).collect();
        memberships::table
            .filter(memberships::workspace_id.eq(workspace.0))
            .filter(memberships::id.eq_any(chunk))
            .filter(memberships::status.eq(MembershipStatus::Active.key()))
            .count()
            .get_results::<i64>(conn)
    })?;
    Ok(counts.into_iter().sum())
}

/// What the last-owner rules count, read where the decision is made (inside the change's
/// transaction, under the workspace lock, for a write).
pub fn facts(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Facts> {
    Ok(Facts {
        active_owners: count_active_owners(conn, workspace)?,
        active_org_owners: super::accounts::count_active_org_owners(conn)?,
    })
}

/// The Owners who keep a workspace administered (§4 rule 3): active members holding the Owner
/// role whose account is not blocked.
pub fn count_active_owners(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<i64> {
    memberships::table
        .inner_join(roles::table)
        .inner_join(accounts::table)
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::status.eq(MembershipStatus::Active.key()))
        .filter(accounts::status.eq(AccountStatus::Active.key()))
        .filter(roles::workspace_id.is_null())
        .filter(roles::key.eq(BuiltInRole::Owner.key()))
        .count()
        .get_result(conn)
}

/// SQL, in a query over `accounts`: the name of a workspace (the first by name) of which the
/// account is the only active Owner counted by [`count_active_owners`], or NULL. Blocking the
/// account would leave that workspace with none.
pub(in crate::store) const SOLE_OWNED_WORKSPACE: &str = "(SELECT MIN(w.name) FROM memberships m \
     JOIN roles r ON r.id = m.role_id JOIN workspaces w ON w.id = m.workspace_id \
     WHERE m.account_id = accounts.id AND m.status = 'active' \
     AND r.workspace_id IS NULL AND r.key = 'owner' \
     AND NOT EXISTS (SELECT 1 FROM memberships o \
       JOIN roles o_role ON o_role.id = o.role_id \
       JOIN accounts o_account ON o_account.id = o.account_id \
       WHERE o.workspace_id = m.workspace_id AND o.id <> m.id AND o.status = 'active' \
       AND o_account.status = 'active' AND o_role.workspace_id IS NULL AND o_role.key = 'owner'))";

/// Of these accounts, those that are the last active Owner of a workspace: (account, the
/// workspace's name). See [`SOLE_OWNED_WORKSPACE`].
pub fn sole_owners(
    conn: &mut AnyConnection,
    ids: &[AccountId],
) -> QueryResult<Vec<(AccountId, String)>> {
    use diesel::sql_types::{Nullable, Text};
    in_chunks(ids, |chunk| {
        let chunk: Vec<i64> = chunk.iter().map(|a| a.0).collect();
        let rows: Vec<(i64, Option<String>)> = accounts::table
            .filter(accounts::id.eq_any(chunk))
            .select((accounts::id, sql::<Nullable<Text>>(SOLE_OWNED_WORKSPACE)))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, name)| Some((AccountId(id), name?)))
            .collect())
    })
}

/// Takes the lock of every workspace the account is an active Owner of (the row lock
/// `db::Lock::Workspace` takes), so that blocking it and a change of Owners in one of them are
/// judged one after the other. Inside a write transaction only.
pub fn lock_owned_workspaces(conn: &mut AnyConnection, account: AccountId) -> QueryResult<()> {
    use crate::db::schema::workspaces;
    let mut locked: Vec<i64> = Vec::new();
    // Read again until nothing new: an Owner role given meanwhile (committed before that
    // workspace's lock was taken here) shows in the next read and is locked in turn. Each round
    // locks at least one more workspace, so it ends.
    loop {
        let owned: Vec<i64> = memberships::table
            .inner_join(roles::table)
            .filter(memberships::account_id.eq(account.0))
            .filter(memberships::status.eq(MembershipStatus::Active.key()))
            .filter(roles::workspace_id.is_null())
            .filter(roles::key.eq(BuiltInRole::Owner.key()))
            .select(memberships::workspace_id)
            .load(conn)?;
        let new: Vec<i64> = owned.into_iter().filter(|w| !locked.contains(w)).collect();
        if new.is_empty() {
            return Ok(());
        }
        diesel::update(workspaces::table.filter(workspaces::id.eq_any(&new)))
            .set(workspaces::lock_version.eq(workspaces::lock_version + 1))
            .execute(conn)?;
        locked.extend(new);
    }
}

/// What goes with a membership's row when it is deleted (a withdrawn invitation): the groups it
/// is in, the apps it owns (they are left without an owner) and how many app grants it holds.
pub struct Ties {
    pub groups: Vec<(i64, String)>,
    pub owned_apps: Vec<String>,
    pub grants: i64,
}

pub fn ties(conn: &mut AnyConnection, membership: MembershipId) -> QueryResult<Ties> {
    use crate::db::schema::{apps, grants};
    Ok(Ties {
        groups: groups_of(conn, membership)?,
        owned_apps: apps::table
            .filter(apps::owner_membership_id.eq(membership.0))
            .select(apps::name)
            .order(apps::name)
            .load(conn)?,
        grants: grants::table
            .filter(grants::membership_id.eq(membership.0))
            .count()
            .get_result(conn)?,
    })
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
