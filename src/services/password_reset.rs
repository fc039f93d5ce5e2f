//! Password reset by email: a single-use link (only its SHA-256 stored) valid for an hour, sent
//! on request from `/password/forgot` (only to an existing, non-blocked account that has a
//! password: the page answers the same either way) or from a member's console. Using it sets the
//! password and ends every session of the account.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::db::{self, AnyConnection};
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::{Email, NewPassword};
use crate::mail::templates::PasswordResetEmail;
use crate::services::sign_in::SignInError;
use crate::services::two_factor::{self, Passed, TwoFactorError};
use crate::services::{emails, passwords};
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Actor};
use crate::store::{account_tokens, memberships, outbox, sessions, throttles};
use crate::tokens;

/// How long a reset link works.
pub const LINK_MINUTES: i64 = 60;

/// Live links `/password/forgot` lets one account hold (each lives an hour): more requests send
/// nothing, so that whoever knows an address cannot flood its mailbox.
pub const REQUESTS_PER_LINK_LIFETIME: i64 = 3;

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error(
        "This link no longer works: it was used, replaced by a newer one, or is over an hour old. \
         Ask for a new one."
    )]
    DeadLink,
    /// Two-factor is on: a code (or a recovery code) must come with the new password.
    #[error("Enter a code from your authenticator app, or one of your recovery codes.")]
    CodeNeeded,
    /// The code typed is wrong (counted toward the account's pause); nothing changed.
    #[error("{}", TwoFactorError::WrongCodeOrRecoveryCode)]
    WrongCode,
    /// The account's sign-in is paused: no code is tried.
    #[error(transparent)]
    Paused(SignInError),
    #[error(transparent)]
    TwoFactor(TwoFactorError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Render(#[from] askama::Error),
    #[error(transparent)]
    Hash(#[from] anyhow::Error),
}

/// Who may ask for a link: an account that can sign in with a password.
fn may_reset(account: &Account) -> bool {
    account.status != AccountStatus::Blocked && account.password_hash.is_some()
}

/// The account a link names, when its link works: any account not blocked; one without a password
/// yet (provisioned by SCIM, added from Slack: only a welcome link reaches it) only while a
/// workspace still holds it — removed from it, its welcome link is dead.
fn usable(conn: &mut AnyConnection, account: AccountId) -> Result<Account, ResetError> {
    let account = accounts::find(conn, account)?
        .filter(|a| a.status != AccountStatus::Blocked)
        .ok_or(ResetError::DeadLink)?;
    if account.password_hash.is_none()
        && memberships::list_for_account(conn, account.id)?
            .iter()
            .all(|m| m.status == MembershipStatus::Removed)
    {
        return Err(ResetError::DeadLink);
    }
    Ok(account)
}

/// `/password/forgot`: emails a link when `email` names an account that may reset and does not
/// hold [`REQUESTS_PER_LINK_LIFETIME`] live links it asked for already; nothing (and no audit
/// event) otherwise. The caller answers the same either way. The account's earlier links keep working
/// (until one is used): a stranger asking for links cannot end the one its owner is about to open.
pub fn request(
    conn: &mut AnyConnection,
    email: &Email,
    ip: Option<&str>,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<(), ResetError> {
    let Some(found) = accounts::find_by_email(conn, email)?.filter(may_reset) else {
        return Ok(());
    };
    // Requests for one account at once wait for each other: each counts the ones before it.
    db::write_transaction(conn, db::Lock::Account(found.id), |conn| {
        let Some(account) = accounts::find(conn, found.id)?.filter(may_reset) else {
            return Ok(());
        };
        if account_tokens::live_own_password_resets(conn, account.id, now)?
            >= REQUESTS_PER_LINK_LIFETIME
        {
            return Ok(());
        }
        let lifetime = Duration::minutes(LINK_MINUTES);
        let link = Link {
            expires_at: now + lifetime,
            welcome: None,
            ends_earlier: false,
            asked_by_address: true,
        };
        let actor = Actor::account(&account, ip);
        send_link(conn, &actor, None, &account, base_url, &link, now)
    })
}

/// Emails `account` a new link (in the caller's transaction; their earlier links stop working)
/// and records who asked. From a console, `workspace` is the console's.
pub fn send(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    account: &Account,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<(), ResetError> {
    let link = Link {
        expires_at: now + Duration::minutes(LINK_MINUTES),
        welcome: None,
        ends_earlier: true,
        asked_by_address: false,
    };
    send_link(conn, actor, workspace, account, base_url, &link, now)
}

/// A link's lifetime, for a welcome the workspace's name, and whether it ends the account's
/// earlier links.
pub struct Link<'a> {
    pub expires_at: NaiveDateTime,
    pub welcome: Option<&'a str>,
    pub ends_earlier: bool,
    /// Asked for by typing the address at "Forgot your password?" (by anyone).
    pub asked_by_address: bool,
}

/// Welcomes someone just added to `workspace` (named `workspace_name`) by its identity provider or
/// from Slack: a link to choose their password, valid as long as an invitation's, sent by email
/// only (it is never handed back: nothing else may carry it).
pub fn send_welcome(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: (WorkspaceId, &str),
    account: &Account,
    base_url: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), ResetError> {
    let link = Link {
        expires_at,
        welcome: Some(workspace.1),
        ends_earlier: true,
        asked_by_address: false,
    };
    send_link(
        conn,
        actor,
        Some(workspace.0),
        account,
        base_url,
        &link,
        now,
    )
}

/// [`send_welcome`] for a member of `workspace` who has no password yet (just added, joining one
/// more workspace before choosing it, or at a new address), valid as long as an invitation.
pub fn welcome_member(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    account: &Account,
    settings: &crate::services::invitations::InviteSettings,
    now: NaiveDateTime,
) -> Result<(), ResetError> {
    let name = crate::store::workspaces::find(conn, workspace)?
        .map(|w| w.name)
        .unwrap_or_default();
    send_welcome(
        conn,
        actor,
        (workspace, &name),
        account,
        &settings.base_url,
        now + chrono::Duration::days(settings.ttl_days),
        now,
    )
}

fn send_link(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    account: &Account,
    base_url: &str,
    link: &Link<'_>,
    now: NaiveDateTime,
) -> Result<(), ResetError> {
    let token = tokens::new_token();
    let expires_at = link.expires_at;
    account_tokens::insert_password_reset(
        conn,
        account.id,
        actor.account_id,
        &tokens::hash_token(&token),
        (expires_at, link.ends_earlier),
        now,
    )?;
    let url = format!("{base_url}/password/reset/{token}");
    let mail = PasswordResetEmail {
        name: account.display_name(),
        requested_by: emails::requested_by(actor, account),
        link: url,
        expires: emails::link_expiry(expires_at),
        welcome: link.welcome.map(str::to_owned),
    };
    outbox::enqueue(conn, &account.email, mail.render()?, now)?;
    // Asked at "Forgot your password?", the link is the account's own (its email says "You
    // asked"), but whoever typed the address is not known to be its holder: the log does not
    // name them.
    let someone = Actor {
        account_id: None,
        label: "Someone at “Forgot your password?”".to_owned(),
        address: None,
        ip: actor.ip.clone(),
    };
    audit::record_on_account(
        conn,
        if link.asked_by_address {
            &someone
        } else {
            actor
        },
        workspace,
        account,
        // A welcome (someone added without an invitation) is not a reset anyone asked for.
        match link.welcome {
            Some(_) => "account.welcome_link_sent",
            None => "account.password_reset_requested",
        },
        json!({}),
        now,
    )?;
    Ok(())
}

/// The account a live link names (opening the link changes nothing).
pub fn find(
    conn: &mut AnyConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Account, ResetError> {
    let (_, account) = account_tokens::find_password_reset(conn, &tokens::hash_token(token), now)?
        .ok_or(ResetError::DeadLink)?;
    usable(conn, account)
}

/// Sets the password of the link's account (argon2: call on a blocking thread): the link is used
/// up, its sessions and pending links end, its event is written. An account with two-factor on
/// gives a code too (`second`: the encryption key and the code typed), checked in the same
/// transaction: a wrong one changes nothing, spends nothing, and is counted afterwards. Returns
/// the account as it now is (its new session epoch signs this browser in) and how its second
/// factor was passed.
pub fn reset(
    conn: &mut AnyConnection,
    token: &str,
    password: &NewPassword,
    second: Option<(&[u8], &str)>,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(Account, Option<Passed>), ResetError> {
    let hash = passwords::hash_password(password)?;
    let mut wrong_code_of = None;
    let done = db::write_first(conn, |conn| {
        let (id, account) =
            account_tokens::find_password_reset(conn, &tokens::hash_token(token), now)?
                .ok_or(ResetError::DeadLink)?;
        let account = usable(conn, account)?;
        let passed = match (account.two_factor_since, second) {
            (None, _) => None,
            (Some(_), None) => return Err(ResetError::CodeNeeded),
            (Some(_), Some((key, typed))) => {
                match two_factor::typed_code(conn, key, &account, typed, ip, now) {
                    Ok(Ok(Some(passed))) => Some(passed),
                    Ok(Ok(None)) => {
                        wrong_code_of = Some(account.clone());
                        return Err(ResetError::WrongCode);
                    }
                    Ok(Err(paused)) => return Err(ResetError::Paused(paused)),
                    // Turned off meanwhile (an administrator's reset): the link decides alone.
                    Err(TwoFactorError::NotOn) => None,
                    Err(TwoFactorError::Database(e)) => return Err(e.into()),
                    Err(e) => return Err(ResetError::TwoFactor(e)),
                }
            }
        };
        if !account_tokens::use_up(conn, id, now)? {
            return Err(ResetError::DeadLink);
        }
        accounts::set_password_hash(conn, account.id, &hash, now)?;
        let ended = sessions::delete_for_account(conn, account.id)?;
        let links = account_tokens::cancel_all(conn, account.id, now)?;
        // The pause also counts wrong two-factor codes, which a mailbox must not lift.
        if account.two_factor_since.is_none() {
            throttles::clear(conn, &throttles::account_key(account.id))?;
        }
        audit::record_on_account(
            conn,
            &Actor::account(&account, ip),
            None,
            &account,
            "account.password_reset",
            json!({ "sessions_ended": ended, "links_ended": links }),
            now,
        )?;
        let account = accounts::find(conn, account.id)?.ok_or(ResetError::DeadLink)?;
        Ok((account, passed))
    });
    if let Some(account) = wrong_code_of {
        two_factor::count_wrong_code(conn, &account, ip, now)?;
    }
    done
}
