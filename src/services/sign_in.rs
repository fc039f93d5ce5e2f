//! Signing in with email and password.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::AnyConnection;
use crate::domain::Email;
use crate::domain::membership::AccountStatus;
use crate::services::passwords;
use crate::store::accounts::{self, Account};
use crate::store::audit;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// One message for an unknown email and a wrong password: the form must not tell them apart.
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("This account is blocked. Ask your organization's administrator to unblock it.")]
    Blocked,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Checks the password (argon2: call on a blocking thread) and records the sign-in.
pub fn authenticate(
    conn: &mut AnyConnection,
    email: &Email,
    password: &str,
    ip: Option<String>,
    now: NaiveDateTime,
) -> Result<Account, SignInError> {
    let account = accounts::find_by_email(conn, email)?;
    let Some(account) = account.filter(|a| a.password_hash.is_some()) else {
        passwords::verify_decoy(password);
        return Err(SignInError::InvalidCredentials);
    };
    let hash = account.password_hash.as_deref().unwrap_or_default();
    if !passwords::verify_password(hash, password) {
        return Err(SignInError::InvalidCredentials);
    }
    // Only someone who knows the password learns that the account is blocked.
    if account.status == AccountStatus::Blocked {
        return Err(SignInError::Blocked);
    }
    audit::record(
        conn,
        &audit::Actor {
            account_id: Some(account.id),
            label: account.display_name(),
            ip,
        },
        &audit::NewEvent {
            workspace_id: None,
            action: "session.signed_in",
            target_type: "account",
            target_id: Some(account.id.0),
            target_label: &account.email,
            changes: json!({}),
        },
        now,
    )?;
    Ok(account)
}

/// Records a sign-out (the session row itself is deleted by the session store).
pub fn record_sign_out(
    conn: &mut AnyConnection,
    account: &Account,
    ip: Option<String>,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    audit::record(
        conn,
        &audit::Actor {
            account_id: Some(account.id),
            label: account.display_name(),
            ip,
        },
        &audit::NewEvent {
            workspace_id: None,
            action: "session.signed_out",
            target_type: "account",
            target_id: Some(account.id.0),
            target_label: &account.email,
            changes: json!({}),
        },
        now,
    )?;
    Ok(())
}
