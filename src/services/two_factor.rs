//! Two-factor sign-in (TOTP, RFC 6238): enrolling (a key shown once as a QR code and a URI,
//! confirmed by a first code), ten single-use recovery codes, checking a code at sign-in (each
//! code works once), turning it off, and an administrator's reset. Keys are stored sealed
//! (`crypto`), recovery codes as SHA-256.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::crypto;
use crate::db::{self, AnyConnection};
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::{Email, totp};
use crate::services::sign_in::{self, SignInError};
use crate::store::accounts::Account;
use crate::store::audit::{self, Actor};
use crate::store::two_factor::{self as store, TwoFactor};
use crate::tokens;

#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error(
        "That code is not right (or was used already). Enter the 6-digit code your app shows now."
    )]
    WrongCode,
    /// Where a recovery code is taken too (signing in, turning it off, a reset link).
    #[error(
        "That code is not right (or was used already). Enter the 6-digit code your app shows now, \
         or one of your unused recovery codes."
    )]
    WrongCodeOrRecoveryCode,
    #[error("Two-factor sign-in is on already.")]
    AlreadyOn,
    #[error("Two-factor sign-in is not on.")]
    NotOn,
    #[error(
        "The stored two-factor key cannot be read with this server's encryption key (ENCRYPTION_KEY)."
    )]
    Unreadable,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// How a sign-in's second step was passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passed {
    Code,
    /// With a recovery code (this many are left).
    RecoveryCode {
        left: i64,
    },
}

pub fn unix(now: NaiveDateTime) -> i64 {
    now.and_utc().timestamp()
}

pub fn is_on(conn: &mut AnyConnection, account: AccountId) -> Result<bool, diesel::result::Error> {
    Ok(store::enabled_at(conn, account)?.is_some())
}

pub fn state(conn: &mut AnyConnection, account: AccountId) -> Result<TwoFactor, TwoFactorError> {
    Ok(store::get(conn, account)?)
}

/// A new key to enrol, sealed: it is kept by the enrolling session (not the account) until a
/// first code confirms it, so showing it changes nothing stored.
pub fn new_enrolment_key(key: &[u8]) -> String {
    crypto::seal(key, &tokens::random_bytes(totp::SECRET_BYTES))
}

fn new_recovery_codes(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<String>, TwoFactorError> {
    let codes: Vec<String> = (0..totp::RECOVERY_CODES)
        .map(|_| totp::recovery_code(&tokens::random_bytes(10)))
        .collect();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| tokens::hash_token(&totp::normalize_recovery_code(c)))
        .collect();
    store::replace_recovery_codes(conn, account, &hashes)?;
    Ok(codes)
}

/// Records `action` on the account, in no workspace: two-factor sign-in is the account's own.
fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: &Account,
    action: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    audit::record_on_account(conn, actor, None, account, action, json!({}), now)
}

/// Confirms the enrolment of `sealed` (the key the page showed) with a first code: two-factor is
/// on; the recovery codes, shown once.
pub fn enable(
    conn: &mut AnyConnection,
    key: &[u8],
    actor: &Actor,
    account: &Account,
    sealed: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<Vec<String>, TwoFactorError> {
    db::write_first(conn, |conn| {
        if store::enabled_at(conn, account.id)?.is_some() {
            return Err(TwoFactorError::AlreadyOn);
        }
        let secret = crypto::open(key, sealed).ok_or(TwoFactorError::WrongCode)?;
        let step = totp::verify(&secret, code, unix(now), None).ok_or(TwoFactorError::WrongCode)?;
        store::enable(conn, account.id, sealed, step, now)?;
        let codes = new_recovery_codes(conn, account.id)?;
        record(conn, actor, account, "account.two_factor_enabled", now)?;
        Ok(codes)
    })
}

/// A current code from the app, used up (the same code cannot pass twice).
fn use_code(
    conn: &mut AnyConnection,
    key: &[u8],
    account: AccountId,
    code: &str,
    now: NaiveDateTime,
) -> Result<bool, TwoFactorError> {
    let current = store::get(conn, account)?;
    let sealed = current.secret.ok_or(TwoFactorError::NotOn)?;
    let secret = crypto::open(key, &sealed).ok_or(TwoFactorError::Unreadable)?;
    match totp::verify(&secret, code, unix(now), current.last_step) {
        Some(step) => Ok(store::use_step(conn, account, step)?),
        None => Ok(false),
    }
}

/// A 6-digit code, or a recovery code (used up, audited): see [`typed_code`].
fn check(
    conn: &mut AnyConnection,
    key: &[u8],
    account: &Account,
    typed: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Option<Passed>, TwoFactorError> {
    db::write_first(conn, |conn| {
        if use_code(conn, key, account.id, typed, now)? {
            return Ok(Some(Passed::Code));
        }
        let normalized = totp::normalize_recovery_code(typed);
        if normalized.len() == 10
            && store::use_recovery_code(conn, account.id, &tokens::hash_token(&normalized), now)?
        {
            let left = store::get(conn, account.id)?.recovery_codes_left;
            audit::record_on_account(
                conn,
                &Actor::account(account, ip),
                None,
                account,
                "session.recovery_code_used",
                json!({ "left": left }),
                now,
            )?;
            return Ok(Some(Passed::RecoveryCode { left }));
        }
        Ok(None)
    })
}

/// A code (or a recovery code) typed by someone proving who they are (signing in, or on a reset
/// link's page): refused while the account's sign-in is paused (the inner `Err`); `Ok(None)` when
/// wrong, which the caller counts ([`count_wrong_code`]) outside any transaction it undoes.
pub fn typed_code(
    conn: &mut AnyConnection,
    key: &[u8],
    account: &Account,
    typed: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Result<Option<Passed>, SignInError>, TwoFactorError> {
    let Ok(email) = Email::parse(&account.email) else {
        return Ok(Err(SignInError::InvalidCredentials));
    };
    if let Err(refused) = sign_in::before_check(conn, &email, ip, now) {
        return Ok(Err(refused));
    }
    check(conn, key, account, typed, ip, now).map(Ok)
}

/// A wrong code, counted toward the account's sign-in pause as a wrong password is.
pub fn count_wrong_code(
    conn: &mut AnyConnection,
    account: &Account,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let Ok(email) = Email::parse(&account.email) else {
        return Ok(());
    };
    sign_in::record_failure(
        conn,
        &email,
        Some(account),
        ip,
        now,
        sign_in::Tried::SigningIn,
    )
}

/// The second step of signing in: [`typed_code`], a wrong code counted (`InvalidCredentials`).
/// Two-factor off by now (an administrator's reset) is `NotOn`: the password decides again.
pub fn second_step(
    conn: &mut AnyConnection,
    key: &[u8],
    account: &Account,
    typed: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Result<Passed, SignInError>, TwoFactorError> {
    match typed_code(conn, key, account, typed, ip, now)? {
        Ok(Some(passed)) => Ok(Ok(passed)),
        Ok(None) => {
            count_wrong_code(conn, account, ip, now)?;
            Ok(Err(SignInError::InvalidCredentials))
        }
        Err(refused) => Ok(Err(refused)),
    }
}

/// New recovery codes (the old ones stop working), with a current code.
pub fn regenerate_recovery_codes(
    conn: &mut AnyConnection,
    key: &[u8],
    actor: &Actor,
    account: &Account,
    code: &str,
    now: NaiveDateTime,
) -> Result<Vec<String>, TwoFactorError> {
    db::write_first(conn, |conn| {
        if !use_code(conn, key, account.id, code, now)? {
            return Err(TwoFactorError::WrongCode);
        }
        let codes = new_recovery_codes(conn, account.id)?;
        record(
            conn,
            actor,
            account,
            "account.recovery_codes_regenerated",
            now,
        )?;
        Ok(codes)
    })
}

/// Turns two-factor off with a current code (the caller checked the password).
pub fn disable(
    conn: &mut AnyConnection,
    key: &[u8],
    actor: &Actor,
    account: &Account,
    code: &str,
    now: NaiveDateTime,
) -> Result<(), TwoFactorError> {
    db::write_first(conn, |conn| {
        let passed = use_code(conn, key, account.id, code, now)?
            || store::use_recovery_code(
                conn,
                account.id,
                &tokens::hash_token(&totp::normalize_recovery_code(code)),
                now,
            )?;
        if !passed {
            return Err(TwoFactorError::WrongCodeOrRecoveryCode);
        }
        store::disable(conn, account.id)?;
        record(conn, actor, account, "account.two_factor_disabled", now)?;
        Ok(())
    })
}

/// An administrator's reset (the caller decided it, in its transaction): two-factor is off; the
/// person enrols again (and must, where a workspace requires it). False when it was not on.
pub fn reset(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: &Account,
    workspace: Option<WorkspaceId>,
    now: NaiveDateTime,
) -> Result<bool, diesel::result::Error> {
    if store::enabled_at(conn, account.id)?.is_none() {
        return Ok(false);
    }
    store::disable(conn, account.id)?;
    audit::record_on_account(
        conn,
        actor,
        workspace,
        account,
        "account.two_factor_reset",
        json!({}),
        now,
    )?;
    Ok(true)
}
