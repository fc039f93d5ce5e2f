//! Changing a person's email address: the new address gets a single-use link, and only opening
//! it (and confirming) makes the change; the old address is told afterwards.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::db::{self, AnyConnection};
use crate::domain::Email;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::domain::policy::{self, MemberAction, Viewer};
use crate::domain::throttle::{self, Subject};
use crate::mail::templates::{EmailChangeEmail, EmailChangedNotice};
use crate::services::invitations::{self, InviteError, InviteSettings};
use crate::services::password_reset::{self, ResetError};
use crate::services::{emails, held};
use crate::store::account_tokens::{self, AskedBy, PendingEmailChange};
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Actor};
use crate::store::{is_unique_violation, memberships, outbox, throttles};
use crate::tokens;

/// How long a confirmation link works.
const LINK_HOURS: i64 = 24;

#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    #[error("Another account already uses this address.")]
    Taken,
    #[error(
        "Another member of this account's workspaces answers to this address as their identity \
         provider's userName."
    )]
    UserNameTaken,
    #[error(
        "This link does not work (any more): it was used, replaced by a newer one, or is over {LINK_HOURS} hours old."
    )]
    DeadLink,
    #[error(
        "This change was asked for by someone who may no longer make it: their access, or this \
         account's role or workspaces, changed since. Nothing changed; it can be asked for again \
         by someone who may make it, or by the account's owner on their profile."
    )]
    NoLongerAllowed,
    #[error(
        "This account is blocked: its address stays as it is. Nothing changed; once the account \
         is unblocked, the change can be asked for again."
    )]
    Blocked,
    /// One's own address asked to change too often in a short while (each asked counts, sent or
    /// refused as taken): whoever holds a session cannot probe which addresses have accounts, nor
    /// make the console mail outside addresses, without limit.
    #[error(
        "You asked to change your address several times in a short while: try again {}.",
        crate::services::sign_in::in_words(*wait)
    )]
    TooOften { wait: Duration },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Render(#[from] askama::Error),
}

impl From<ResetError> for EmailChangeError {
    fn from(e: ResetError) -> Self {
        match e {
            ResetError::Database(e) => Self::Database(e),
            ResetError::Render(e) => Self::Render(e),
            // A welcome link is only written and queued: no link or code is checked.
            _ => Self::NoLongerAllowed,
        }
    }
}

impl From<InviteError> for EmailChangeError {
    fn from(e: InviteError) -> Self {
        match e {
            InviteError::Database(e) => Self::Database(e),
            InviteError::Render(e) => Self::Render(e),
            // Sending an invitation again to a new address refuses nothing.
            InviteError::Invalid(_) => Self::NoLongerAllowed,
        }
    }
}

/// The counter of one's own address changes asked for (`domain::throttle`'s account pause: five
/// free, then a wait that doubles up to 15 minutes, forgotten after 12 quiet hours).
fn own_requests_key(account: AccountId) -> String {
    format!("email-change:{}", account.0)
}

/// One asked change of one's own address, counted (in a transaction of its own, holding the
/// counter's lock): `TooOften`, and not counted, while the account must wait.
pub fn take_own_turn(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> Result<(), EmailChangeError> {
    let key = own_requests_key(account);
    db::write_first(conn, |conn| {
        let counter = throttles::lock(conn, &key, now)?;
        if let Some(wait) = counter.and_then(|c| throttle::waiting(Subject::Account, &c, now)) {
            return Err(EmailChangeError::TooOften { wait });
        }
        let after = throttle::after_failure(Subject::Account, counter, now);
        throttles::save(conn, &key, &after.counter)?;
        Ok(())
    })
}

/// Where a request comes from, for the email and the audit event.
pub struct Requested<'a> {
    pub actor: &'a Actor,
    /// The workspace whose console asked (none for one's own profile).
    pub workspace: Option<WorkspaceId>,
    pub base_url: &'a str,
}

/// Asks the new address to confirm (in the caller's transaction); `Ok(false)` when it is the
/// current address already. An earlier unconfirmed request of the account stops working.
pub fn request(
    conn: &mut AnyConnection,
    by: &Requested<'_>,
    account: &Account,
    new_email: &Email,
    now: NaiveDateTime,
) -> Result<bool, EmailChangeError> {
    if account.email.eq_ignore_ascii_case(new_email.as_str()) {
        return Ok(false);
    }
    if accounts::find_by_email(conn, new_email)?.is_some() {
        return Err(EmailChangeError::Taken);
    }
    no_user_name_is(conn, account, new_email)?;
    let token = tokens::new_token();
    let expires_at = now + Duration::hours(LINK_HOURS);
    account_tokens::insert_email_change(
        conn,
        account.id,
        AskedBy {
            account: by.actor.account_id,
            workspace: by.workspace,
        },
        new_email,
        &tokens::hash_token(&token),
        expires_at,
        now,
    )?;
    let mail = EmailChangeEmail {
        name: account.display_name(),
        requested_by: emails::requested_by(by.actor, account),
        new_email: new_email.as_str().to_owned(),
        link: format!("{}/email-change/{token}", by.base_url),
        expires: emails::link_expiry(expires_at),
    };
    outbox::enqueue(conn, new_email.as_str(), mail.render()?, now)?;
    audit::record(
        conn,
        by.actor,
        &audit::NewEvent {
            workspace_id: by.workspace,
            action: "account.email_change_requested",
            target_type: "account",
            target_id: Some(account.id.0),
            target_label: &account.email,
            changes: json!({ "email": { "before": account.email, "after": new_email.as_str() } }),
        },
        now,
    )?;
    Ok(true)
}

/// The live request a link names, for the confirmation page.
pub fn find(
    conn: &mut AnyConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<(PendingEmailChange, Account), EmailChangeError> {
    let pending = account_tokens::find_email_change(conn, &tokens::hash_token(token), now)?
        .ok_or(EmailChangeError::DeadLink)?;
    let account = accounts::find(conn, pending.account_id)?.ok_or(EmailChangeError::DeadLink)?;
    Ok((pending, account))
}

/// A change someone else asked for is judged again as the asker stands now: the policy's
/// decision to change the member's address, in the workspace that asked, with the asker's
/// permissions there now. Whatever changed since — the member promoted or removed, the account
/// shared with other workspaces, the asker suspended, removed or demoted — the link works only if
/// the change would still be allowed.
fn still_allowed(
    conn: &mut AnyConnection,
    pending: &PendingEmailChange,
    account: &Account,
    now: NaiveDateTime,
) -> Result<(), EmailChangeError> {
    if account.status == AccountStatus::Blocked {
        return Err(EmailChangeError::Blocked);
    }
    let asked = pending.asked_by;
    if asked.account == Some(account.id) {
        return Ok(());
    }
    let refused = || EmailChangeError::NoLongerAllowed;
    // Not judged blind: a request recorded before its workspace was, or by no account (the API
    // and SCIM never ask, they change or leave the address).
    let (workspace, asker) = asked.workspace.zip(asked.account).ok_or_else(refused)?;
    let held = held::now(conn, asker, workspace)?.map_err(|_| refused())?;
    let viewer = Viewer {
        account: Some(asker),
        org_role: held.org_role,
        permissions: held.permissions,
    };
    let target = memberships::access(conn, workspace, account.id)?.ok_or_else(refused)?;
    let member =
        memberships::detail(conn, workspace, target.membership_id, now)?.ok_or_else(refused)?;
    let name = member.name();
    let facts = memberships::facts(conn, workspace)?;
    policy::decide(
        &viewer,
        &member.target(&name),
        &facts,
        MemberAction::ChangeEmail,
    )
    .map_err(|_| refused())
}

/// What someone whose address changed does next, for the page after the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Signs in with the new address and their password.
    SignIn,
    /// Has no password yet: opens the invitation sent again to the new address.
    OpenInvitation,
    /// Has no password yet, as a member: opens the link to choose one, sent to the new address.
    ChoosePassword,
    /// Has no password, and nothing could be sent (the invitation expired): asks an administrator.
    AskAnAdministrator,
}

/// Makes the change a link asks for, uses the link up and tells the old address; returns the
/// account, its new address and what its holder does next. One transaction: a link used twice at
/// once changes the address once.
pub fn confirm(
    conn: &mut AnyConnection,
    token: &str,
    ip: Option<String>,
    invites: &InviteSettings,
    now: NaiveDateTime,
) -> Result<(AccountId, Email, NextStep), EmailChangeError> {
    db::write_first(conn, |conn| {
        let (pending, account) = find(conn, token, now)?;
        still_allowed(conn, &pending, &account, now)?;
        let new_email = Email::parse(&pending.new_email).map_err(|_| EmailChangeError::DeadLink)?;
        if !account_tokens::use_up(conn, pending.id, now)? {
            return Err(EmailChangeError::DeadLink);
        }
        let actor = Actor::account(&account, ip.as_deref());
        // Asked from a workspace's console: its log has the confirmation beside the request.
        let asked = pending.asked_by;
        let workspace = asked
            .workspace
            .filter(|_| asked.account != Some(account.id));
        let to = (&account, &new_email);
        let next = change(conn, &actor, workspace, to, invites, now)?;
        Ok((account.id, new_email, next))
    })
}

/// Changes the address at once — for an identity provider, which vouches for the addresses it
/// sends (SCIM) — in the caller's transaction: an unconfirmed request of the account stops
/// working, the old address is told, and the event is recorded. `Ok(false)`: the same address.
pub fn change_now(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    (account, new_email): (&Account, &Email),
    invites: &InviteSettings,
    now: NaiveDateTime,
) -> Result<bool, EmailChangeError> {
    if account.email == new_email.as_str() {
        return Ok(false);
    }
    account_tokens::cancel_email_changes(conn, account.id, now)?;
    change(
        conn,
        actor,
        Some(workspace),
        (account, new_email),
        invites,
        now,
    )?;
    Ok(true)
}

/// Refuses a new address that another member of one of the account's workspaces holds as their
/// SCIM userName: a provider looking for either would find two people.
fn no_user_name_is(
    conn: &mut AnyConnection,
    account: &Account,
    new_email: &Email,
) -> Result<(), EmailChangeError> {
    for (workspace, membership) in memberships::current_of_account(conn, account.id)? {
        if memberships::user_name_taken(conn, workspace, new_email.as_str(), Some(membership))? {
            return Err(EmailChangeError::UserNameTaken);
        }
    }
    Ok(())
}

/// Sets the new address (refused when another account holds it), ends the password links sent
/// to the old one, sends its pending invitations to the new one — and, to an active member of
/// `workspace` who has no password yet, a new link to choose one there — tells the old one and
/// records the event. Returns what the account's holder does next.
fn change(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    (account, new_email): (&Account, &Email),
    invites: &InviteSettings,
    now: NaiveDateTime,
) -> Result<NextStep, EmailChangeError> {
    // A savepoint: the unique index refuses an address another account holds.
    let changed = diesel::Connection::transaction(conn, |conn| {
        accounts::set_email(conn, account.id, new_email, now)
    });
    match changed {
        Err(e) if is_unique_violation(&e) => return Err(EmailChangeError::Taken),
        other => other?,
    }
    // Then no other member may answer to it (the caller's transaction undoes the change).
    no_user_name_is(conn, account, new_email)?;
    // Whoever still reads the old mailbox no longer sets this account's password: neither with a
    // reset link nor with an invitation's.
    account_tokens::cancel_password_resets(conn, account.id, now)?;
    let invited_again =
        invitations::readdress(conn, actor, account.id, new_email.as_str(), invites, now)?;
    let next = match workspace {
        _ if account.password_hash.is_some() => NextStep::SignIn,
        _ if invited_again > 0 => NextStep::OpenInvitation,
        Some(workspace)
            if memberships::access(conn, workspace, account.id)?
                .is_some_and(|m| m.status == MembershipStatus::Active) =>
        {
            let readdressed =
                accounts::find(conn, account.id)?.ok_or(diesel::result::Error::NotFound)?;
            password_reset::welcome_member(conn, actor, workspace, &readdressed, invites, now)?;
            NextStep::ChoosePassword
        }
        _ => NextStep::AskAnAdministrator,
    };
    let notice = EmailChangedNotice {
        name: account.display_name(),
        new_email: new_email.as_str().to_owned(),
    };
    outbox::enqueue(conn, &account.email, notice.render()?, now)?;
    audit::record(
        conn,
        actor,
        &audit::NewEvent {
            workspace_id: workspace,
            action: "account.email_changed",
            target_type: "account",
            target_id: Some(account.id.0),
            target_label: new_email.as_str(),
            changes: json!({ "email": { "before": account.email, "after": new_email.as_str() } }),
        },
        now,
    )?;
    Ok(next)
}

/// Withdraws the account's unconfirmed request, if any.
pub fn cancel(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    account: AccountId,
    now: NaiveDateTime,
) -> Result<bool, EmailChangeError> {
    db::write_first(conn, |conn| {
        let Some(found) = accounts::find(conn, account)? else {
            return Ok(false);
        };
        if account_tokens::cancel_email_changes(conn, account, now)? == 0 {
            return Ok(false);
        }
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: workspace,
                action: "account.email_change_cancelled",
                target_type: "account",
                target_id: Some(account.0),
                target_label: &found.email,
                changes: json!({}),
            },
            now,
        )?;
        Ok(true)
    })
}
