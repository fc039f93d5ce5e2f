//! Signing in with email and password, throttled (`domain::throttle`): the address and the
//! account are checked before the password is, every failure is counted in the database, and a
//! success clears the account's count.
//!
//! The password check itself (argon2) is the caller's, between [`before_check`] and
//! [`record_failure`] / [`record_success`], so that no database connection is held meanwhile.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::db::{self, AnyConnection};
use crate::domain::Email;
use crate::domain::membership::AccountStatus;
use crate::domain::throttle::{self, Subject};
use crate::metrics::METRICS;
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Actor};
use crate::store::throttles;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// One message for an unknown email and a wrong password: the form must not tell them apart.
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("This account is blocked. Ask your organization's administrator to unblock it.")]
    Blocked,
    /// Too many failures for this account (an unknown address is counted the same way, so the
    /// pause tells nothing about whether an account exists).
    #[error(
        "Too many failed attempts: signing in to this account is paused. Try again {}.",
        in_words(*wait)
    )]
    Paused { wait: Duration },
    #[error(
        "Too many failed attempts from your network address. Try again {}.",
        in_words(*wait)
    )]
    TooManyFromAddress { wait: Duration },
    /// A step begun before the account was signed out everywhere (or given a new password):
    /// signing in starts again.
    #[error("Sign in again.")]
    Expired,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl SignInError {
    /// The wait behind a 429, if this is one.
    pub fn wait(&self) -> Option<Duration> {
        match self {
            SignInError::Paused { wait } | SignInError::TooManyFromAddress { wait } => Some(*wait),
            _ => None,
        }
    }
}

/// "in 1 second", "in 4 minutes".
pub fn in_words(wait: Duration) -> String {
    let seconds = throttle::retry_after_seconds(wait);
    match seconds {
        1 => "in 1 second".to_owned(),
        s if s < 90 => format!("in {s} seconds"),
        s => format!("in {} minutes", (s + 59) / 60),
    }
}

/// The counter key of an address typed into the form: the account's, or, for an address no
/// account has, one made from its hash.
fn key_of(email: &Email, account: Option<&Account>) -> String {
    match account {
        Some(account) => throttles::account_key(account.id),
        None => format!("email:{}", crate::tokens::hash_token(email.as_str())),
    }
}

/// A refusal when `ip` has failed too often lately.
pub fn check_address(
    conn: &mut AnyConnection,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), SignInError> {
    let Some(ip) = ip else { return Ok(()) };
    match throttles::find(conn, &throttles::address_key(ip))? {
        Some(c) => match throttle::waiting(Subject::Address, &c, now) {
            Some(wait) => Err(SignInError::TooManyFromAddress { wait }),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// Counts one failure of `ip` (a wrong code, a dead link, a reset request).
pub fn count_address_failure(
    conn: &mut AnyConnection,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    db::write_first(conn, |conn| count_address_failure_in(conn, ip, now))
}

/// [`count_address_failure`] inside the caller's transaction.
fn count_address_failure_in(
    conn: &mut AnyConnection,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let Some(ip) = ip else { return Ok(()) };
    let key = throttles::address_key(ip);
    let counter = throttles::lock(conn, &key, now)?;
    let after = throttle::after_failure(Subject::Address, counter, now);
    throttles::save(conn, &key, &after.counter)
}

/// Before the password is checked: the address's and the account's waits, then the account (none
/// for an unknown address or an account without a password).
pub fn before_check(
    conn: &mut AnyConnection,
    email: &Email,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Option<Account>, SignInError> {
    check_address(conn, ip, now)?;
    let account = accounts::find_by_email(conn, email)?.filter(|a| a.password_hash.is_some());
    if let Some(counter) = throttles::find(conn, &key_of(email, account.as_ref()))?
        && let Some(wait) = throttle::waiting(Subject::Account, &counter, now)
    {
        return Err(SignInError::Paused { wait });
    }
    Ok(account)
}

fn someone(ip: Option<&str>) -> Actor {
    Actor {
        account_id: None,
        label: "Someone signing in".to_owned(),
        address: None,
        ip: ip.map(str::to_owned),
    }
}

/// Who gave the wrong password or code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tried {
    /// Someone signing in (not known to be anyone).
    SigningIn,
    /// The signed-in person, checking their own password or code (a new password, turning
    /// two-factor off, new recovery codes).
    Oneself,
}

/// A wrong password (or unknown address): counted for the address and the account, with the
/// audit events of an existing account (at most one "failed sign-in" a minute, counting them;
/// each pause), in one transaction.
pub fn record_failure(
    conn: &mut AnyConnection,
    email: &Email,
    account: Option<&Account>,
    ip: Option<&str>,
    now: NaiveDateTime,
    tried: Tried,
) -> Result<(), diesel::result::Error> {
    let key = key_of(email, account);
    let paused = db::write_first(conn, |conn| {
        count_address_failure_in(conn, ip, now)?;
        let counter = throttles::lock(conn, &key, now)?;
        let after = throttle::after_failure(Subject::Account, counter, now);
        throttles::save(conn, &key, &after.counter)?;
        let Some(account) = account else {
            return Ok::<_, diesel::result::Error>(false);
        };
        let (actor, action) = match tried {
            Tried::SigningIn => (someone(ip), "session.sign_in_failed"),
            Tried::Oneself => (Actor::account(account, ip), "account.own_check_failed"),
        };
        if let Some(failures) = after.report {
            audit::record_on_account(
                conn,
                &actor,
                None,
                account,
                action,
                json!({ "failures": failures, "consecutive": after.counter.failures }),
                now,
            )?;
        }
        if let Some(until) = after.paused_until {
            audit::record_on_account(
                conn,
                &actor,
                None,
                account,
                "account.sign_in_paused",
                json!({ "until": until.format("%Y-%m-%d %H:%M:%S UTC").to_string(), "failures": after.counter.failures }),
                now,
            )?;
        }
        Ok(after.paused_until.is_some())
    })?;
    METRICS.sign_in_failures.inc();
    if paused {
        METRICS.sign_in_pauses.inc();
    }
    Ok(())
}

/// The right password: refused when the account is blocked (only someone who knows the password
/// learns that); otherwise the account's count is cleared and the sign-in recorded.
pub fn record_success(
    conn: &mut AnyConnection,
    account: &Account,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), SignInError> {
    if account.status == AccountStatus::Blocked {
        return Err(SignInError::Blocked);
    }
    db::write_first(conn, |conn| {
        throttles::clear(conn, &throttles::account_key(account.id))?;
        let actor = Actor::account(account, ip);
        audit::record_on_account(
            conn,
            &actor,
            None,
            account,
            "session.signed_in",
            json!({}),
            now,
        )
    })?;
    Ok(())
}

/// An administrator's Clear: the account may sign in again at once (audit event); false when it
/// was not paused.
pub fn clear_pause(
    conn: &mut AnyConnection,
    actor: &Actor,
    account: &Account,
    workspace: Option<crate::domain::ids::WorkspaceId>,
    now: NaiveDateTime,
) -> Result<bool, diesel::result::Error> {
    db::write_first(conn, |conn| {
        let key = throttles::account_key(account.id);
        let paused = throttles::lock(conn, &key, now)?
            .and_then(|c| throttle::waiting(Subject::Account, &c, now))
            .is_some();
        throttles::clear(conn, &key)?;
        if paused {
            audit::record_on_account(
                conn,
                actor,
                workspace,
                account,
                "account.sign_in_cleared",
                json!({}),
                now,
            )?;
        }
        Ok(paused)
    })
}

/// Records a sign-out (the session row itself is deleted by the session store).
pub fn record_sign_out(
    conn: &mut AnyConnection,
    account: &Account,
    ip: Option<String>,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let actor = Actor::account(account, ip.as_deref());
    audit::record_on_account(
        conn,
        &actor,
        None,
        account,
        "session.signed_out",
        json!({}),
        now,
    )
}
