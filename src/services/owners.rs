//! `create-owner`: make sure a person can administer a workspace, from the command line.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::plan::Plan;
use crate::domain::policy;
use crate::domain::role::BuiltInRole;
use crate::domain::{Email, Slug};
use crate::store::{accounts, audit, invitations, memberships, organization, roles, workspaces};

pub struct OwnerInput {
    pub email: Email,
    pub workspace: Slug,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: String,
    /// The organization's name, if this sets it up (else the workspace's URL name).
    pub organization: Option<crate::domain::Name>,
    /// Turn an existing account's two-factor sign-in off (its authenticator is lost).
    pub reset_two_factor: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct OwnerOutcome {
    pub created_account: bool,
    pub created_workspace: bool,
    /// This set the install up (and so named the organization).
    pub set_up: bool,
    /// The account was blocked organization-wide, and is no more.
    pub unblocked: bool,
    pub two_factor_reset: bool,
    /// Two-factor sign-in is still on for the account.
    pub two_factor_on: bool,
}

/// What regaining access changed on an existing account.
#[derive(Debug, Default, PartialEq, Eq)]
struct Recovered {
    created: bool,
    unblocked: bool,
    two_factor_reset: bool,
    two_factor_on: bool,
    sessions_ended: usize,
}

/// What became of the account's membership in the workspace.
struct Promoted {
    /// Its role and state before (`None`: it had none there).
    before: Option<(String, MembershipStatus)>,
    /// A pending invitation ended by it (what it would have given on accepting is not given).
    invitation_withdrawn: bool,
}

/// Creates (or promotes) the account as org owner and Owner of the workspace, creating the
/// workspace when it does not exist. An existing account's password is replaced: this is also how
/// an operator recovers access.
pub fn create_owner(
    conn: &mut AnyConnection,
    input: &OwnerInput,
    now: NaiveDateTime,
) -> anyhow::Result<OwnerOutcome> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        let org = organization::get(conn)?;
        let slug = input.workspace.as_str();
        let (workspace, created_workspace) = match workspaces::find_by_slug(conn, slug)? {
            Some(w) => (w.id, false),
            None => {
                // An old URL name leads to the renamed workspace for good; a new one there would
                // take its links.
                if let Some(current) = workspaces::redirect_for(conn, slug)? {
                    anyhow::bail!(
                        "/w/{slug} was renamed to /w/{current}: run this again with --workspace {current}"
                    );
                }
                let id = workspaces::insert(conn, slug, &input.workspace, Plan::Free, now)?;
                (id, true)
            }
        };
        // Its seats are judged below, as an invitation's are.
        db::take_lock(conn, Lock::Workspace(workspace))?;
        if !org.setup_completed {
            let name = match &input.organization {
                Some(name) => name.as_str(),
                None if org.name.is_empty() => input.workspace.as_str(),
                None => org.name.as_str(),
            };
            organization::complete_setup(conn, name, now)?;
        }
        let (account_id, recovered) = org_owner_account(conn, input, now)?;
        let promoted = make_active_owner(conn, workspace, account_id, now)?;
        let membership_before = promoted
            .before
            .map(|(role, status)| json!({ "role": role, "status": status.key() }));
        audit::record(
            conn,
            &audit::Actor::command_line(),
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "member.owner_created",
                target_type: "account",
                target_id: Some(account_id.0),
                target_label: input.email.as_str(),
                changes: json!({
                    "created_account": recovered.created,
                    "created_workspace": created_workspace,
                    "membership_before": membership_before,
                    "invitation_withdrawn": promoted.invitation_withdrawn,
                    "password_replaced": !recovered.created,
                    "sessions_ended": recovered.sessions_ended,
                    "unblocked": recovered.unblocked,
                    "two_factor_reset": recovered.two_factor_reset,
                }),
            },
            now,
        )?;
        Ok(OwnerOutcome {
            created_account: recovered.created,
            created_workspace,
            set_up: !org.setup_completed,
            unblocked: recovered.unblocked,
            two_factor_reset: recovered.two_factor_reset,
            two_factor_on: recovered.two_factor_on,
        })
    })
}

/// The account of `input` as an unblocked org owner with `input`'s password: found (its
/// two-factor sign-in turned off if asked), or created.
fn org_owner_account(
    conn: &mut AnyConnection,
    input: &OwnerInput,
    now: NaiveDateTime,
) -> QueryResult<(AccountId, Recovered)> {
    match accounts::find_by_email(conn, &input.email)? {
        Some(account) => {
            accounts::set_password_hash(conn, account.id, &input.password_hash, now)?;
            // A new password ends the sessions and the links still out, as everywhere (an
            // operator regaining access shuts out whoever held or asked for them).
            let sessions_ended = crate::store::sessions::delete_for_account(conn, account.id)?;
            crate::store::account_tokens::cancel_all(conn, account.id, now)?;
            // And lifts a sign-in pause, as a reset does (an operator regains access at once).
            crate::store::throttles::clear(
                conn,
                &crate::store::throttles::account_key(account.id),
            )?;
            accounts::set_org_role(conn, account.id, OrgRole::Owner, now)?;
            // Regaining access: a block would refuse the password just set. The org role and the
            // block are the organization's events, as when an org admin changes them.
            let actor = audit::Actor::command_line();
            if account.org_role != OrgRole::Owner {
                let role = json!({ "org_role": {
                    "before": account.org_role.key(), "after": OrgRole::Owner.key() } });
                audit::record_on_account(
                    conn,
                    &actor,
                    None,
                    &account,
                    "account.org_role_changed",
                    role,
                    now,
                )?;
            }
            let unblocked = account.status == AccountStatus::Blocked;
            if unblocked {
                accounts::set_status(conn, account.id, AccountStatus::Active, now)?;
                let status = json!({ "status": { "before": "blocked", "after": "active" } });
                audit::record_on_account(
                    conn,
                    &actor,
                    None,
                    &account,
                    "account.unblocked",
                    status,
                    now,
                )?;
            }
            let has_two_factor = account.two_factor_since.is_some();
            let two_factor_reset = input.reset_two_factor
                && crate::services::two_factor::reset(conn, &actor, &account, None, now)?;
            Ok((
                account.id,
                Recovered {
                    created: false,
                    unblocked,
                    two_factor_reset,
                    two_factor_on: has_two_factor && !two_factor_reset,
                    sessions_ended,
                },
            ))
        }
        None => {
            let id = accounts::insert(
                conn,
                &accounts::NewAccount {
                    email: &input.email,
                    first_name: &input.first_name,
                    last_name: &input.last_name,
                    password_hash: Some(&input.password_hash),
                    org_role: OrgRole::Owner,
                },
                now,
            )?;
            Ok((
                id,
                Recovered {
                    created: true,
                    ..Recovered::default()
                },
            ))
        }
    }
}

/// Makes the account an active Owner of `workspace`: its membership there changed (a pending
/// invitation to it withdrawn), or a new one, in the list's order by the account's own names. One
/// that takes a seat (a new or a removed membership) must find one free (PRODUCT §4.4).
fn make_active_owner(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    account_id: AccountId,
    now: NaiveDateTime,
) -> anyhow::Result<Promoted> {
    let owner_role = roles::built_in_id(conn, BuiltInRole::Owner)?;
    let access = memberships::access(conn, workspace, account_id)?;
    if access
        .as_ref()
        .is_none_or(|a| a.status == MembershipStatus::Removed)
    {
        let space = workspaces::find(conn, workspace)?.ok_or(diesel::result::Error::NotFound)?;
        let used = space.counts.seats_used();
        if policy::check_seats(space.plan.name(), space.seat_limit, used, 1).is_err() {
            anyhow::bail!(
                "/w/{} has no free seat ({} plan: {} of {} used): free one, raise the limit, or \
                 run this with the address of someone in it already (they become its Owner)",
                space.slug,
                space.plan.name(),
                used,
                space.seat_limit.unwrap_or(used),
            );
        }
    }
    let mut invitation_withdrawn = false;
    match &access {
        Some(access) => {
            // Its pending invitation first, while it reads as one.
            for pending in invitations::pending_for(conn, &[access.membership_id])? {
                let invitation =
                    invitations::find_in_workspace(conn, workspace, pending.invitation_id)?;
                // Its email, if not sent yet, is not sent: its link no longer works.
                if let Some(email) = invitation.and_then(|i| i.outbox_email_id) {
                    crate::store::outbox::cancel(
                        conn,
                        email,
                        "cancelled: the invitation was withdrawn",
                    )?;
                }
                invitations::delete(conn, pending.invitation_id)?;
                invitation_withdrawn = true;
            }
            memberships::set_role_and_status(
                conn,
                access.membership_id,
                owner_role,
                MembershipStatus::Active,
                now,
            )?;
        }
        None => {
            let account =
                accounts::find(conn, account_id)?.ok_or(diesel::result::Error::NotFound)?;
            memberships::insert_active(conn, workspace, &account, owner_role, now)?;
        }
    }
    Ok(Promoted {
        before: access.map(|a| (a.role_name, a.status)),
        invitation_withdrawn,
    })
}
