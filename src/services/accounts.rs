//! Organization-wide actions on accounts: block and unblock (PRODUCT §4 rule 9, §5).

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::Reason;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::membership::{AccountStatus, OrgRole};
use crate::domain::policy::{self, Facts, MemberAction, Target, Viewer};
use crate::domain::role::PermissionSet;
use crate::store::accounts::{self, Account};
use crate::store::audit::{self, Actor};
use crate::store::memberships;
use crate::store::{account_tokens, sessions};

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("That account does not exist.")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    /// The account's state does not allow it (blocked already…).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The account `target` names.
fn existing(conn: &mut AnyConnection, target: AccountId) -> Result<Account, BlockError> {
    accounts::find(conn, target)?.ok_or(BlockError::NotFound)
}

/// The asker's org role as it is now, under the organization lock: a request under way when they
/// were demoted or blocked is judged as they are by then.
fn org_role_now(
    conn: &mut AnyConnection,
    actor: &Actor,
    as_found: OrgRole,
) -> Result<OrgRole, BlockError> {
    match actor.account_id {
        None => Ok(as_found),
        Some(id) => match accounts::find(conn, id)? {
            Some(asker) if asker.status != AccountStatus::Blocked => Ok(asker.org_role),
            _ => Err(BlockError::Refused(
                "Your account is blocked: it can no longer act.".to_owned(),
            )),
        },
    }
}

/// Why `account` may not use its org role now, if so: while a workspace requires two-factor
/// sign-in for its Owners and Admins, an org owner or admin (who acts as one everywhere) uses what
/// only the org role allows — from the organization's pages or a workspace's console — with it on.
pub fn org_role_refusal(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Option<String>, diesel::result::Error> {
    if accounts::find(conn, account)?.is_none_or(|a| a.two_factor_since.is_some()) {
        return Ok(None);
    }
    Ok(crate::store::workspaces::one_requiring_two_factor(conn)?
        .map(|(name, _)| two_factor_first(&name)))
}

/// The refusal of an org power while the workspace `name` requires two-factor sign-in.
pub fn two_factor_first(name: &str) -> String {
    format!(
        "{name} requires two-factor sign-in for Owners and Admins, as whoever changes the \
         organization acts as one there: turn it on from your profile (/me/two-factor) first."
    )
}

/// The one decision of `domain::policy` for blocking, unblocking or clearing the sign-in pause of
/// `target` (an account: these are the organization's, whichever page they are done from), made
/// by someone whose org role may be used now ([`org_role_refusal`]).
fn judge(
    conn: &mut AnyConnection,
    actor: &Actor,
    actor_org: OrgRole,
    target: &Account,
    action: MemberAction,
) -> Result<(), BlockError> {
    if let Some(account) = actor.account_id
        && let Some(why) = org_role_refusal(conn, account)?
    {
        return Err(BlockError::Refused(why));
    }
    let actor_org = org_role_now(conn, actor, actor_org)?;
    let active_org_owners = accounts::count_active_org_owners(conn)?;
    let sole_owner_of = memberships::sole_owners(conn, &[target.id])?
        .pop()
        .map(|(_, workspace)| workspace);
    let asker = (actor.account_id, actor_org);
    let on = (target, sole_owner_of.as_deref());
    decide_on_account(asker, on, active_org_owners, action).map_err(|refused| {
        if refused.is_conflict() {
            BlockError::Conflict(refused.to_string())
        } else {
            BlockError::Refused(refused.to_string())
        }
    })
}

/// The policy's decision on an account as the organization's (no membership in view): `target`
/// with the workspace it is the last active Owner of, if any.
fn decide_on_account(
    (account, org_role): (Option<AccountId>, OrgRole),
    (target, sole_owner_of): (&Account, Option<&str>),
    active_org_owners: i64,
    action: MemberAction,
) -> policy::Decision {
    let name = target.display_name();
    let facts = Facts {
        active_owners: 0,
        active_org_owners,
    };
    let viewer = Viewer {
        account,
        org_role,
        permissions: PermissionSet::empty(),
    };
    let target = Target {
        account: target.id,
        name: &name,
        org_role: target.org_role,
        account_status: target.status,
        has_password: target.password_hash.is_some(),
        membership: None,
        other_workspaces: 0,
        sole_owner_of,
    };
    policy::decide(&viewer, &target, &facts, action)
}

/// The active org owners besides `target`.
fn other_org_owners(target: &Account, active_org_owners: i64) -> i64 {
    active_org_owners
        - i64::from(target.org_role == OrgRole::Owner && target.status == AccountStatus::Active)
}

/// What the organization's accounts page offers an org owner or admin on one account: the very
/// decisions its POSTs take (block, unblock, clearing a sign-in pause; the org roles it may be
/// given, the one it holds first).
pub struct Offered {
    pub block: bool,
    pub unblock: bool,
    pub clear_pause: bool,
    pub org_roles: Vec<OrgRole>,
}

pub fn offered(
    actor: AccountId,
    actor_org: OrgRole,
    (target, sole_owner_of): (&Account, Option<&str>),
    active_org_owners: i64,
) -> Offered {
    let may = |action| {
        let on = (target, sole_owner_of);
        decide_on_account((Some(actor), actor_org), on, active_org_owners, action).is_ok()
    };
    let others = other_org_owners(target, active_org_owners);
    let mut org_roles = vec![target.org_role];
    org_roles.extend(
        [OrgRole::Member, OrgRole::Admin, OrgRole::Owner]
            .into_iter()
            .filter(|new| *new != target.org_role)
            .filter(|new| {
                policy::may_change_org_role(
                    actor == target.id,
                    actor_org,
                    target.org_role,
                    *new,
                    others,
                    target.password_hash.is_some(),
                )
                .is_ok()
            }),
    );
    Offered {
        block: may(MemberAction::Block),
        unblock: may(MemberAction::Unblock),
        clear_pause: may(MemberAction::ClearSignInPause),
        org_roles,
    }
}

/// The account, if the actor may block or unblock it now.
pub fn preview(
    conn: &mut AnyConnection,
    actor: &Actor,
    actor_org: OrgRole,
    target: AccountId,
    block: bool,
) -> Result<Account, BlockError> {
    let account = existing(conn, target)?;
    let action = if block {
        MemberAction::Block
    } else {
        MemberAction::Unblock
    };
    judge(conn, actor, actor_org, &account, action)?;
    Ok(account)
}

/// Lifts the sign-in pause of `target` (from `/org/accounts`); false when it was not paused.
pub fn clear_sign_in_pause(
    conn: &mut AnyConnection,
    actor: &Actor,
    actor_org: OrgRole,
    target: AccountId,
    now: NaiveDateTime,
) -> Result<bool, BlockError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        let account = existing(conn, target)?;
        judge(
            conn,
            actor,
            actor_org,
            &account,
            MemberAction::ClearSignInPause,
        )?;
        Ok(crate::services::sign_in::clear_pause(
            conn, actor, &account, None, now,
        )?)
    })
}

/// Blocks or unblocks an account under the organization lock (the last org owner stays): a block
/// ends every session of the account at once. `workspace`: the console it was done from.
#[allow(clippy::too_many_arguments)]
pub fn set_blocked(
    conn: &mut AnyConnection,
    actor: &Actor,
    actor_org: OrgRole,
    workspace: Option<WorkspaceId>,
    target: AccountId,
    block: bool,
    reason: Option<&Reason>,
    now: NaiveDateTime,
) -> Result<Account, BlockError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        // A block: the workspaces it owns too, whose last-owner rule is judged here.
        if block {
            memberships::lock_owned_workspaces(conn, target)?;
        }
        let account = preview(conn, actor, actor_org, target, block)?;
        let status = if block {
            AccountStatus::Blocked
        } else {
            AccountStatus::Active
        };
        accounts::set_status(conn, target, status, now)?;
        // A block ends the sessions and the links still out (password resets, changes of
        // address), which would otherwise work again once the account is unblocked.
        let (ended, links) = if block {
            (
                sessions::delete_for_account(conn, target)?,
                account_tokens::cancel_all(conn, target, now)?,
            )
        } else {
            (0, 0)
        };
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: workspace,
                action: if block {
                    "account.blocked"
                } else {
                    "account.unblocked"
                },
                target_type: "account",
                target_id: Some(target.0),
                target_label: &account.email,
                changes: audit::with_reason(
                    json!({
                        "status": { "before": account.status.key(), "after": status.key() },
                        "sessions_ended": ended,
                        "links_ended": links,
                    }),
                    reason,
                ),
            },
            now,
        )?;
        Ok(account)
    })
}

/// Changes an account's org role under the organization lock (the last org owner keeps it), with
/// its audit event; returns the account as it was.
pub fn change_org_role(
    conn: &mut AnyConnection,
    actor: &Actor,
    actor_org: OrgRole,
    target: AccountId,
    new: OrgRole,
    now: NaiveDateTime,
) -> Result<Account, BlockError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        let account = existing(conn, target)?;
        let actor_org = org_role_now(conn, actor, actor_org)?;
        let others = other_org_owners(&account, accounts::count_active_org_owners(conn)?);
        // Judged even when it would change nothing: a refusal is a refusal either way.
        policy::may_change_org_role(
            actor.account_id == Some(target),
            actor_org,
            account.org_role,
            new,
            others,
            account.password_hash.is_some(),
        )
        .map_err(|why| BlockError::Refused(why.to_owned()))?;
        if account.org_role == new {
            return Ok(account);
        }
        accounts::set_org_role(conn, target, new, now)?;
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: None,
                action: "account.org_role_changed",
                target_type: "account",
                target_id: Some(target.0),
                target_label: &account.email,
                changes: json!({ "org_role": { "before": account.org_role.label(), "after": new.label() } }),
            },
            now,
        )?;
        Ok(account)
    })
}
