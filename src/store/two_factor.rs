//! An account's two-factor state (columns of `accounts`) and its recovery codes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{accounts, recovery_codes};
use crate::domain::ids::AccountId;

#[derive(Debug, Clone, Default)]
pub struct TwoFactor {
    /// Sealed key in use (`crypto::seal`).
    pub secret: Option<String>,
    pub enabled_at: Option<NaiveDateTime>,
    pub last_step: Option<i64>,
    pub recovery_codes_left: i64,
}

pub fn get(conn: &mut AnyConnection, account: AccountId) -> QueryResult<TwoFactor> {
    let (secret, enabled_at, last_step) = accounts::table
        .find(account.0)
        .select((
            accounts::totp_secret,
            accounts::totp_enabled_at,
            accounts::totp_last_step,
        ))
        .first::<(Option<String>, Option<NaiveDateTime>, Option<i64>)>(conn)?;
    let left = recovery_codes::table
        .filter(recovery_codes::account_id.eq(account.0))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(TwoFactor {
        secret,
        enabled_at,
        last_step,
        recovery_codes_left: left,
    })
}

/// Turns two-factor on with the enrolled key; `step` was just used to confirm it.
pub fn enable(
    conn: &mut AnyConnection,
    account: AccountId,
    sealed: &str,
    step: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(accounts::table.find(account.0))
        .set((
            accounts::totp_secret.eq(sealed),
            accounts::totp_enabled_at.eq(now),
            accounts::totp_last_step.eq(step),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records `step` as used; false when it (or a later one) was used already — by a concurrent
/// sign-in too, as the check is the update's.
pub fn use_step(conn: &mut AnyConnection, account: AccountId, step: i64) -> QueryResult<bool> {
    Ok(diesel::update(
        accounts::table.find(account.0).filter(
            accounts::totp_last_step
                .is_null()
                .or(accounts::totp_last_step.lt(step)),
        ),
    )
    .set(accounts::totp_last_step.eq(step))
    .execute(conn)?
        == 1)
}

/// Turns two-factor off: the key and the recovery codes go.
pub fn disable(conn: &mut AnyConnection, account: AccountId) -> QueryResult<()> {
    diesel::update(accounts::table.find(account.0))
        .set((
            accounts::totp_secret.eq(None::<String>),
            accounts::totp_enabled_at.eq(None::<NaiveDateTime>),
            accounts::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::account_id.eq(account.0)))
        .execute(conn)
        .map(|_| ())
}

pub fn replace_recovery_codes(
    conn: &mut AnyConnection,
    account: AccountId,
    hashes: &[String],
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::account_id.eq(account.0)))
        .execute(conn)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::account_id.eq(account.0),
                recovery_codes::code_hash.eq(hash),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses up an unused recovery code with this hash; false when there is none.
pub fn use_recovery_code(
    conn: &mut AnyConnection,
    account: AccountId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    Ok(diesel::update(
        recovery_codes::table
            .filter(recovery_codes::account_id.eq(account.0))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?
        > 0)
}

/// When the account turned two-factor on, if it has.
pub fn enabled_at(
    conn: &mut AnyConnection,
    account: AccountId,
) -> QueryResult<Option<NaiveDateTime>> {
    accounts::table
        .find(account.0)
        .select(accounts::totp_enabled_at)
        .first(conn)
}
