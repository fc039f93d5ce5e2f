//! A person's own profile (`/me`): names, time zone, password, own sessions.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::json;

use crate::db::{self, AnyConnection};
use crate::domain::NewPassword;
use crate::domain::avatar::AvatarPng;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::timezone::Timezone;
use crate::domain::{Email, Name};
use crate::services::audit::Changes;
use crate::services::email_change::{self, EmailChangeError};
use crate::services::passwords;
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Actor};
use crate::store::{account_tokens, avatars, sessions};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("The current password is not correct.")]
    WrongPassword,
    #[error(transparent)]
    EmailChange(#[from] EmailChangeError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the overview form may change.
pub struct ProfileChange {
    pub first_name: Name,
    pub last_name: Name,
    pub timezone: Timezone,
    /// A new address takes effect once confirmed from that address.
    pub email: Email,
}

/// The account `id` names (callers name one that exists: its absence is an error).
fn existing(conn: &mut AnyConnection, id: AccountId) -> QueryResult<Account> {
    accounts::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

/// Saves one's own names and time zone, and asks a new address to confirm itself; returns that
/// address when a link was sent. One transaction with its audit events.
pub fn update_own_profile(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: AccountId,
    change: &ProfileChange,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, ProfileError> {
    // A new address takes a turn first, counted under the counter's lock (asked at once, they
    // wait for each other): refused as taken afterwards, it was counted all the same.
    let current = existing(conn, account)?;
    if !current.email.eq_ignore_ascii_case(change.email.as_str()) {
        email_change::take_own_turn(conn, account, now)?;
    }
    db::write_first(conn, |conn| {
        let account = existing(conn, account)?;
        let by = email_change::Requested {
            actor,
            workspace: None,
            base_url,
        };
        save_profile(conn, &by, &account, change, now)
    })
}

/// The profile change itself, in the caller's transaction (one's own page, or a user's console
/// when `by.workspace` is set): the names and time zone that differ, with an audit event of
/// before → after, and a confirmation link for a new address (returned).
pub fn save_profile(
    conn: &mut AnyConnection,
    by: &email_change::Requested<'_>,
    account: &Account,
    change: &ProfileChange,
    now: NaiveDateTime,
) -> Result<Option<String>, ProfileError> {
    let confirming = email_change::request(conn, by, account, &change.email, now)?
        .then(|| change.email.as_str().to_owned());
    let mut changes = Changes::default();
    changes.field(
        "first_name",
        &account.first_name,
        change.first_name.as_str(),
    );
    changes.field("last_name", &account.last_name, change.last_name.as_str());
    changes.field("timezone", &account.timezone, change.timezone.name());
    if changes.is_empty() {
        return Ok(confirming);
    }
    accounts::update_profile(
        conn,
        account.id,
        change.first_name.as_str(),
        change.last_name.as_str(),
        change.timezone.name(),
        now,
    )?;
    let action = if by.workspace.is_some() {
        "member.profile_changed"
    } else {
        "account.profile_changed"
    };
    audit::record_on_account(
        conn,
        by.actor,
        by.workspace,
        account,
        action,
        changes.into_json(),
        now,
    )?;
    Ok(confirming)
}

/// A password change whose argon2 work is done (without a database connection): the stored hash
/// the current password was checked against, and the new one's hash.
pub struct PasswordChange {
    pub checked_hash: String,
    pub new_hash: String,
}

impl PasswordChange {
    /// Checks `current` against `stored` and hashes `new`: `None` when `current` is wrong.
    pub fn prepare(
        stored: Option<&str>,
        current: &str,
        new: &NewPassword,
    ) -> anyhow::Result<Option<Self>> {
        let Some(stored) = stored.filter(|hash| passwords::verify_password(hash, current)) else {
            return Ok(None);
        };
        Ok(Some(Self {
            checked_hash: stored.to_owned(),
            new_hash: passwords::hash_password(new)?,
        }))
    }
}

/// Sets the new password of a [`PasswordChange`] (refused when the checked one is no longer
/// theirs), and ends every session of the account; returns the new session epoch for the session
/// that stays.
pub fn change_password(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: AccountId,
    change: &PasswordChange,
    now: NaiveDateTime,
) -> Result<i64, ProfileError> {
    // The account's row held first: a reset finishing meanwhile is seen, not overwritten.
    db::write_transaction(conn, db::Lock::Account(account), |conn| {
        let found = existing(conn, account)?;
        // The password checked is still theirs (not changed meanwhile by a reset).
        if found.password_hash.as_deref() != Some(change.checked_hash.as_str()) {
            return Err(ProfileError::WrongPassword);
        }
        accounts::set_password_hash(conn, account, &change.new_hash, now)?;
        let ended = sessions::delete_for_account(conn, account)?;
        let links = account_tokens::cancel_all(conn, account, now)?;
        audit::record_on_account(
            conn,
            actor,
            None,
            &found,
            "account.password_changed",
            json!({ "sessions_ended": ended, "links_ended": links }),
            now,
        )?;
        Ok(found.session_epoch + 1)
    })
}

/// Ends one of the person's own sessions.
pub fn end_own_session(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: AccountId,
    session: i64,
    now: NaiveDateTime,
) -> Result<bool, ProfileError> {
    db::write_first(conn, |conn| {
        let found = existing(conn, account)?;
        let ended = sessions::delete_one(conn, account, session)?;
        if ended {
            audit::record_on_account(
                conn,
                actor,
                None,
                &found,
                "account.session_ended",
                json!({}),
                now,
            )?;
        }
        Ok(ended)
    })
}

/// Sets (or replaces) a profile picture under a new address (`workspace`: the console it was
/// changed from, if not one's own page).
pub fn set_avatar(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    account: AccountId,
    png: &AvatarPng,
    now: NaiveDateTime,
) -> Result<(), ProfileError> {
    db::write_first(conn, |conn| {
        let found = existing(conn, account)?;
        avatars::put(conn, account, &crate::tokens::new_token(), png, now)?;
        audit::record_on_account(
            conn,
            actor,
            workspace,
            &found,
            "account.avatar_changed",
            json!({ "bytes": png.bytes().len() }),
            now,
        )?;
        Ok(())
    })
}

/// Removes a profile picture (initials show again); false when there was none.
pub fn remove_avatar(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    account: AccountId,
    now: NaiveDateTime,
) -> Result<bool, ProfileError> {
    db::write_first(conn, |conn| {
        let found = existing(conn, account)?;
        let removed = avatars::remove(conn, account)?;
        if removed {
            audit::record_on_account(
                conn,
                actor,
                workspace,
                &found,
                "account.avatar_removed",
                json!({}),
                now,
            )?;
        }
        Ok(removed)
    })
}
