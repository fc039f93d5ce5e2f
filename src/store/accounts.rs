use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult, lower, parse_key};
use crate::db::schema::{accounts, memberships};
use crate::domain::Email;
use crate::domain::ids::AccountId;
use crate::domain::membership::{AccountStatus, OrgRole};

/// A person's account as the console uses it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub timezone: String,
    pub status: AccountStatus,
    pub org_role: OrgRole,
    pub session_epoch: i64,
    pub created_at: NaiveDateTime,
    /// When two-factor sign-in was turned on, if it is on.
    pub two_factor_since: Option<NaiveDateTime>,
}

impl Account {
    pub fn display_name(&self) -> String {
        crate::domain::names::display_name(&self.first_name, &self.last_name, &self.email)
    }
}

columns!(
    pub(super) COLUMNS = (
        accounts::id,
        accounts::email,
        accounts::first_name,
        accounts::last_name,
        accounts::password_hash,
        accounts::timezone,
        accounts::status,
        accounts::org_role,
        accounts::session_epoch,
        accounts::created_at,
        accounts::totp_enabled_at,
    )
);

pub(super) type AccountTuple = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

pub(super) fn from_tuple(t: AccountTuple) -> QueryResult<Account> {
    Ok(Account {
        id: AccountId(t.0),
        email: t.1,
        first_name: t.2,
        last_name: t.3,
        password_hash: t.4,
        timezone: t.5,
        status: parse_key("account status", &t.6, AccountStatus::from_key)?,
        org_role: parse_key("org role", &t.7, OrgRole::from_key)?,
        session_epoch: t.8,
        created_at: t.9,
        two_factor_since: t.10,
    })
}

pub fn find(conn: &mut AnyConnection, id: AccountId) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id.0)
        .select(COLUMNS)
        .first::<AccountTuple>(conn)
        .optional()?
        .map(from_tuple)
        .transpose()
}

/// Looks an address up case-insensitively (through the `lower(email)` unique index).
pub fn find_by_email(conn: &mut AnyConnection, email: &Email) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(lower(accounts::email).eq(email.as_str()))
        .select(COLUMNS)
        .first::<AccountTuple>(conn)
        .optional()?
        .map(from_tuple)
        .transpose()
}

/// What a new account starts with.
pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub org_role: OrgRole,
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewAccount<'_>,
    now: NaiveDateTime,
) -> QueryResult<AccountId> {
    diesel::insert_into(accounts::table)
        .values((
            accounts::email.eq(new.email.as_str()),
            accounts::first_name.eq(new.first_name),
            accounts::last_name.eq(new.last_name),
            accounts::password_hash.eq(new.password_hash),
            accounts::org_role.eq(new.org_role.key()),
            accounts::created_at.eq(now),
            accounts::updated_at.eq(now),
        ))
        .returning(accounts::id)
        .get_result::<i64>(conn)
        .map(AccountId)
}

/// Sets a new password hash and ends every other session through the epoch.
pub fn set_password_hash(
    conn: &mut AnyConnection,
    id: AccountId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(accounts::table.find(id.0))
        .set((
            accounts::password_hash.eq(Some(hash)),
            accounts::session_epoch.eq(accounts::session_epoch + 1),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves the account's session epoch on: every session holding the old one ends, including one
/// that has passed the password step of sign-in and waits for its two-factor code.
pub fn end_epoch(conn: &mut AnyConnection, id: AccountId) -> QueryResult<()> {
    diesel::update(accounts::table.find(id.0))
        .set(accounts::session_epoch.eq(accounts::session_epoch + 1))
        .execute(conn)?;
    Ok(())
}

pub fn set_org_role(
    conn: &mut AnyConnection,
    id: AccountId,
    role: OrgRole,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(accounts::table.find(id.0))
        .set((
            accounts::org_role.eq(role.key()),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The accounts of these addresses that exist (compared case-insensitively).
pub fn find_by_emails(conn: &mut AnyConnection, emails: &[Email]) -> QueryResult<Vec<Account>> {
    let mut found = Vec::with_capacity(emails.len());
    for chunk in emails.chunks(500) {
        let keys: Vec<&str> = chunk.iter().map(Email::as_str).collect();
        let rows: Vec<AccountTuple> = accounts::table
            .filter(lower(accounts::email).eq_any(keys))
            .select(COLUMNS)
            .load(conn)?;
        for row in rows {
            found.push(from_tuple(row)?);
        }
    }
    Ok(found)
}

/// Names and a first password for someone accepting an invitation. Returns false (and changes
/// nothing) when the account has a password already: registering never replaces one.
pub fn register(
    conn: &mut AnyConnection,
    id: AccountId,
    first_name: &str,
    last_name: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let registered = diesel::update(
        accounts::table
            .find(id.0)
            .filter(accounts::password_hash.is_null()),
    )
    .set((
        accounts::first_name.eq(first_name),
        accounts::last_name.eq(last_name),
        accounts::password_hash.eq(Some(hash)),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?;
    if registered == 0 {
        return Ok(false);
    }
    // The list's order follows the new name.
    let key = crate::domain::names::sort_key(first_name, last_name, "");
    diesel::update(
        crate::db::schema::memberships::table
            .filter(crate::db::schema::memberships::account_id.eq(id.0)),
    )
    .set(crate::db::schema::memberships::sort_name.eq(key))
    .execute(conn)?;
    Ok(true)
}

/// Creates the account, or finds it when a concurrent transaction created it first (on PostgreSQL
/// two workspaces can invite one new address at the same moment; the unique index decides). True
/// when it was made here.
pub fn insert_or_find(
    conn: &mut AnyConnection,
    new: &NewAccount<'_>,
    now: NaiveDateTime,
) -> QueryResult<(AccountId, bool)> {
    use diesel::Connection;
    // A savepoint, so the failed insert does not abort the surrounding transaction.
    match conn.transaction(|conn| insert(conn, new, now)) {
        Ok(id) => Ok((id, true)),
        Err(e) if super::is_unique_violation(&e) => find_by_email(conn, new.email)?
            .map(|a| (a.id, false))
            .ok_or(e),
        Err(e) => Err(e),
    }
}

/// Names and time zone, with the list's order following the name.
pub fn update_profile(
    conn: &mut AnyConnection,
    id: AccountId,
    first_name: &str,
    last_name: &str,
    timezone: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let account = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    diesel::update(accounts::table.find(id.0))
        .set((
            accounts::first_name.eq(first_name),
            accounts::last_name.eq(last_name),
            accounts::timezone.eq(timezone),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    let key = crate::domain::names::sort_key(first_name, last_name, &account.email);
    diesel::update(
        crate::db::schema::memberships::table
            .filter(crate::db::schema::memberships::account_id.eq(id.0)),
    )
    .set((
        crate::db::schema::memberships::sort_name.eq(key),
        crate::db::schema::memberships::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// A confirmed new address, with the list's orders following it (the email is the sort name of
/// a person without a name). The unique index refuses an address another account took meanwhile.
pub fn set_email(
    conn: &mut AnyConnection,
    id: AccountId,
    email: &Email,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let account = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    diesel::update(accounts::table.find(id.0))
        .set((
            accounts::email.eq(email.as_str()),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    let key =
        crate::domain::names::sort_key(&account.first_name, &account.last_name, email.as_str());
    diesel::update(
        crate::db::schema::memberships::table
            .filter(crate::db::schema::memberships::account_id.eq(id.0)),
    )
    .set((
        crate::db::schema::memberships::sort_name.eq(key),
        crate::db::schema::memberships::sort_email.eq(email.as_str()),
        crate::db::schema::memberships::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Blocks or unblocks an account; a block also moves the session epoch, so no old session lives on.
pub fn set_status(
    conn: &mut AnyConnection,
    id: AccountId,
    status: AccountStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(accounts::table.find(id.0))
        .set((
            accounts::status.eq(status.key()),
            accounts::session_epoch.eq(accounts::session_epoch + 1),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    // A member's SCIM `active` follows the block: a new version and `lastModified` for each of
    // their memberships, so a provider syncing by `meta.lastModified` sees it.
    diesel::update(memberships::table.filter(memberships::account_id.eq(id.0)))
        .set(memberships::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Active org owners who can sign in. The condition of the partial index `accounts_org_role` is
/// written out (not bound) so that both planners read that index — a handful of rows — instead
/// of every account.
pub fn count_active_org_owners(conn: &mut AnyConnection) -> QueryResult<i64> {
    accounts::table
        .filter(super::sql::sql::<diesel::sql_types::Bool>(
            "accounts.org_role <> 'member'",
        ))
        .filter(accounts::org_role.eq(OrgRole::Owner.key()))
        .filter(accounts::status.eq(AccountStatus::Active.key()))
        // One who cannot sign in (invited, no password chosen yet) administers nothing.
        .filter(accounts::password_hash.is_not_null())
        .count()
        .get_result(conn)
}

/// Searches of the organization's accounts with at most this many matches start from them.
const ORG_SEARCH_MATCHES: i64 = 20_000;

/// A page of the organization's accounts by email, from where `from` says, narrowed to those whose
/// email or names contain `search` (case-insensitive).
pub fn page(
    conn: &mut AnyConnection,
    search: Option<&str>,
    from: PageFrom<'_>,
    limit: i64,
) -> QueryResult<Vec<Account>> {
    // The email index's order (emails are kept lower-cased), walked back for the page before.
    let mut query = accounts::table.select(COLUMNS).limit(limit).into_boxed();
    query = match from {
        PageFrom::Start => query.order(lower(accounts::email)),
        PageFrom::After(email) => query
            .filter(lower(accounts::email).gt(email.to_lowercase()))
            .order(lower(accounts::email)),
        PageFrom::Before(email) => query
            .filter(lower(accounts::email).lt(email.to_lowercase()))
            .order(lower(accounts::email).desc()),
    };
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let matches = match search {
        // Few enough matches are found through the search index and sorted; more are met soon
        // walking the email index.
        Some(term) if term.chars().count() >= 3 => {
            super::dialect::matching_account_ids(conn, term, ORG_SEARCH_MATCHES)?
        }
        _ => None,
    };
    if let Some(ids) = matches {
        query = query.filter(accounts::id.eq_any(ids));
    } else if let Some(search) = search {
        let pattern = format!(
            "%{}%",
            search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        query = query.filter(
            lower(accounts::email)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(accounts::first_name)
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(accounts::last_name).like(pattern).escape('\\')),
        );
    }
    let mut found = query
        .load::<AccountTuple>(conn)?
        .into_iter()
        .map(from_tuple)
        .collect::<QueryResult<Vec<Account>>>()?;
    if matches!(from, PageFrom::Before(_)) {
        found.reverse();
    }
    Ok(found)
}

/// Where a page of the org's accounts starts, in the email order.
#[derive(Debug, Clone, Copy)]
pub enum PageFrom<'a> {
    Start,
    /// The page after this address (the last one of the page before).
    After(&'a str),
    /// The page before this address (the first one of the page after), nearest rows first
    /// when limited.
    Before(&'a str),
}

/// A membership of an account, as the org's account list names it (with the member's page).
#[derive(Debug, Queryable)]
pub struct Held {
    pub account_id: i64,
    pub membership_id: i64,
    pub slug: String,
    pub workspace: String,
    pub role: String,
    pub status: String,
}

/// (account, workspace name, role name, membership status key) for these accounts' memberships.
pub fn memberships_of(conn: &mut AnyConnection, ids: &[AccountId]) -> QueryResult<Vec<Held>> {
    use crate::db::schema::{memberships, roles, workspaces};
    let ids: Vec<i64> = ids.iter().map(|a| a.0).collect();
    memberships::table
        .inner_join(workspaces::table)
        .inner_join(roles::table)
        .filter(memberships::account_id.eq_any(ids))
        .select((
            memberships::account_id,
            memberships::id,
            workspaces::slug,
            workspaces::name,
            roles::name,
            memberships::status,
        ))
        .order(workspaces::name)
        .load(conn)
}
