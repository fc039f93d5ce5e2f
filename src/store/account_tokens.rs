//! Single-use links sent to a person (only their SHA-256 is stored): confirming a new email
//! address before it replaces the old one, and choosing a new password.

use chrono::NaiveDateTime;
use diesel::dsl::AsExprOf;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, SingleValue, SqlType, Timestamp};

use super::sql::{Bind, Sql, sql};
use super::{AnyConnection, QueryResult};
use crate::db::schema::account_tokens;
use crate::domain::Email;
use crate::domain::ids::{AccountId, WorkspaceId};

const EMAIL_CHANGE: &str = "email_change";
const PASSWORD_RESET: &str = "password_reset";

/// A requested, unconfirmed change of address.
#[derive(Debug, Clone)]
pub struct PendingEmailChange {
    pub id: i64,
    pub account_id: AccountId,
    pub new_email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// Who asked: anyone but the account's owner is judged again at confirmation.
    pub asked_by: AskedBy,
}

/// Who asked for a change of address, and where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AskedBy {
    /// The asker's account.
    pub account: Option<AccountId>,
    /// The workspace whose console asked (none on one's own profile).
    pub workspace: Option<WorkspaceId>,
}

type Row = (
    i64,
    i64,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
    Option<i64>,
    Option<i64>,
);

fn pending(row: Row) -> PendingEmailChange {
    PendingEmailChange {
        id: row.0,
        account_id: AccountId(row.1),
        new_email: row.2.unwrap_or_default(),
        created_at: row.3,
        expires_at: row.4,
        asked_by: AskedBy {
            account: row.5.map(AccountId),
            workspace: row.6.map(WorkspaceId),
        },
    }
}

columns!(
    COLUMNS = (
        account_tokens::id,
        account_tokens::account_id,
        account_tokens::new_email,
        account_tokens::created_at,
        account_tokens::expires_at,
        account_tokens::requested_by,
        account_tokens::requested_in,
    )
);

/// Links for `purpose` that are neither used nor expired at `now`.
#[diesel::dsl::auto_type(no_type_alias)]
fn live(purpose: &'static str, now: NaiveDateTime) -> _ {
    account_tokens::purpose
        .eq(purpose)
        .and(account_tokens::used_at.is_null())
        .and(account_tokens::expires_at.gt(now))
}

/// `column` of the address change pending at `now` for the account of the `memberships` row a
/// statement reads (a subquery: the member's console reads it with the member). The same rule as
/// [`live`], in SQL text; an account has one live request at most (a new one ends the others).
pub fn pending_for_member<ST: SqlType + SingleValue>(
    column: &'static str,
    now: NaiveDateTime,
) -> PendingColumn<ST> {
    sql::<Nullable<ST>>(format!(
        "(SELECT t.{column} FROM account_tokens t WHERE t.account_id = memberships.account_id \
         AND t.purpose = '{EMAIL_CHANGE}' AND t.used_at IS NULL AND t.expires_at > "
    ))
    .bind::<Timestamp, _>(now)
    .sql(" ORDER BY t.id DESC LIMIT 1)")
}

pub type PendingColumn<ST> =
    Sql<Nullable<ST>, Bind<Nullable<ST>, Sql<Nullable<ST>>, AsExprOf<NaiveDateTime, Timestamp>>>;

/// Uses up every unused link of the account for `purpose`; returns how many there were.
fn use_up_unused(
    conn: &mut AnyConnection,
    account: AccountId,
    purpose: &'static str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::account_id.eq(account.0))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)
}

/// Records a request (earlier unconfirmed requests of the account stop working).
pub fn insert_email_change(
    conn: &mut AnyConnection,
    account: AccountId,
    asked_by: AskedBy,
    new_email: &Email,
    token_hash: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    cancel_email_changes(conn, account, now)?;
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::account_id.eq(account.0),
            account_tokens::purpose.eq(EMAIL_CHANGE),
            account_tokens::token_hash.eq(token_hash),
            account_tokens::new_email.eq(new_email.as_str()),
            account_tokens::expires_at.eq(expires_at),
            account_tokens::created_at.eq(now),
            account_tokens::requested_by.eq(asked_by.account.map(|a| a.0)),
            account_tokens::requested_in.eq(asked_by.workspace.map(|w| w.0)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends every unconfirmed request of the account; returns how many there were.
pub fn cancel_email_changes(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use_up_unused(conn, account, EMAIL_CHANGE, now)
}

/// Ends every unused password reset (or welcome) link of the account; returns how many.
pub fn cancel_password_resets(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use_up_unused(conn, account, PASSWORD_RESET, now)
}

/// Ends every unused link of the account (password resets and changes of address): what a new
/// password does, so that a link sent before it — to a mailbox or by someone it was meant to
/// shut out — no longer works. Returns how many there were.
pub fn cancel_all(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    Ok(use_up_unused(conn, account, PASSWORD_RESET, now)?
        + use_up_unused(conn, account, EMAIL_CHANGE, now)?)
}

/// The live request a link names.
pub fn find_email_change(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingEmailChange>> {
    Ok(account_tokens::table
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(live(EMAIL_CHANGE, now))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(pending))
}

/// The account's live request, if any (the console shows it).
pub fn pending_email_change(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingEmailChange>> {
    Ok(account_tokens::table
        .filter(account_tokens::account_id.eq(account.0))
        .filter(live(EMAIL_CHANGE, now))
        .select(COLUMNS)
        .order(account_tokens::id.desc())
        .first::<Row>(conn)
        .optional()?
        .map(pending))
}

/// Uses the link up; false when it was used (or cancelled) meanwhile.
pub fn use_up(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    Ok(diesel::update(
        account_tokens::table
            .find(id)
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)?
        == 1)
}

/// Records a password reset link; with `ends_earlier`, the account's earlier live links stop
/// working (otherwise they work on until one of them is used).
pub fn insert_password_reset(
    conn: &mut AnyConnection,
    account: AccountId,
    requested_by: Option<AccountId>,
    token_hash: &str,
    (expires_at, ends_earlier): (NaiveDateTime, bool),
    now: NaiveDateTime,
) -> QueryResult<()> {
    if ends_earlier {
        use_up_unused(conn, account, PASSWORD_RESET, now)?;
    }
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::account_id.eq(account.0),
            account_tokens::purpose.eq(PASSWORD_RESET),
            account_tokens::token_hash.eq(token_hash),
            account_tokens::expires_at.eq(expires_at),
            account_tokens::created_at.eq(now),
            account_tokens::requested_by.eq(requested_by.map(|a| a.0)),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many live password reset links the account asked for itself (on `/password/forgot`).
pub fn live_own_password_resets(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    account_tokens::table
        .filter(account_tokens::account_id.eq(account.0))
        .filter(account_tokens::requested_by.eq(account.0))
        .filter(live(PASSWORD_RESET, now))
        .count()
        .get_result(conn)
}

/// The live password reset link with this hash: (its id, the account).
pub fn find_password_reset(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, AccountId)>> {
    Ok(account_tokens::table
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(live(PASSWORD_RESET, now))
        .select((account_tokens::id, account_tokens::account_id))
        .first::<(i64, i64)>(conn)
        .optional()?
        .map(|(id, account)| (id, AccountId(account))))
}
