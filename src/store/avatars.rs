//! Profile pictures (256×256 PNGs), addressed by a random key that changes with every upload.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{accounts, avatars};
use crate::domain::avatar::AvatarPng;
use crate::domain::ids::AccountId;

/// Stores (or replaces) the account's picture under a new key (also kept on the account, where
/// lists read it).
pub fn put(
    conn: &mut AnyConnection,
    account: AccountId,
    key: &str,
    png: &AvatarPng,
    now: NaiveDateTime,
) -> QueryResult<()> {
    remove(conn, account)?;
    diesel::insert_into(avatars::table)
        .values((
            avatars::account_id.eq(account.0),
            avatars::key.eq(key),
            avatars::png.eq(png.bytes()),
            avatars::updated_at.eq(now),
        ))
        .execute(conn)?;
    set_on_account(conn, account, Some(key))
}

/// Deletes the account's picture; false when it had none.
pub fn remove(conn: &mut AnyConnection, account: AccountId) -> QueryResult<bool> {
    let removed = diesel::delete(avatars::table.find(account.0)).execute(conn)? > 0;
    if removed {
        set_on_account(conn, account, None)?;
    }
    Ok(removed)
}

fn set_on_account(
    conn: &mut AnyConnection,
    account: AccountId,
    key: Option<&str>,
) -> QueryResult<()> {
    diesel::update(accounts::table.find(account.0))
        .set(accounts::avatar_key.eq(key))
        .execute(conn)
        .map(|_| ())
}

/// The key of the account's picture, if it has one.
pub fn key_of(conn: &mut AnyConnection, account: AccountId) -> QueryResult<Option<String>> {
    avatars::table
        .find(account.0)
        .select(avatars::key)
        .first(conn)
        .optional()
}

/// The PNG stored under a key.
pub fn png(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<Vec<u8>>> {
    avatars::table
        .filter(avatars::key.eq(key))
        .select(avatars::png)
        .first(conn)
        .optional()
}
