//! An identity provider adds a person to a workspace (SCIM `POST /Users`): as an **active** member
//! with the Member role, within seats, under the workspace lock and the rules that bind the
//! acting key (an Admin's). An existing account joins as it is; a new one is made without a
//! password and gets a welcome email with a single-use link to choose one (valid as long as an
//! invitation). A member removed before is restored, active, as a Member.

use chrono::NaiveDateTime;
use serde_json::json;

use super::console::{self, Acting, ConsoleError};
use super::invitations::InviteSettings;
use super::password_reset::{self, ResetError};
use crate::clock;
use crate::db::{self, AnyConnection, Lock};
use crate::domain::ids::{AccountId, MembershipId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::policy;
use crate::domain::role::{BuiltInRole, Permission};
use crate::domain::scim_patch::EmailLabel;
use crate::domain::timezone::Timezone;
use crate::domain::{Email, Name};
use crate::store::{accounts, audit, memberships, roles, workspaces};

/// A person as the identity provider sends them, each value parsed.
pub struct NewUser {
    pub email: Email,
    pub first_name: Name,
    pub last_name: Name,
    pub timezone: Option<Timezone>,
    pub external_id: Option<String>,
    /// The provider's userName when it is not the email address.
    pub user_name: Option<String>,
    /// The provider's label of the address.
    pub email_label: EmailLabel,
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{0} is already in this workspace (invited, active or suspended).")]
    Exists(String),
    #[error("{0} is blocked in this organization: an org admin unblocks it first.")]
    Blocked(String),
    /// Blocked, without a membership here: not said to this workspace (as invitations).
    #[error("{0} cannot be added: an org admin can say why.")]
    NotAddable(String),
    #[error("{0}")]
    Seats(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Console(#[from] ConsoleError),
    #[error(transparent)]
    Mail(#[from] ResetError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Adds `user` to `workspace`; returns their membership.
pub fn provision(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    workspace: WorkspaceId,
    user: &NewUser,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<MembershipId, ProvisionError> {
    if !acting.permissions.contains(Permission::UsersInvite) {
        return Err(ProvisionError::Refused(
            "This key may not add people to the workspace.".to_owned(),
        ));
    }
    policy::may_grant_role(acting.permissions, BuiltInRole::Member.permissions())
        .map_err(|why| ProvisionError::Refused(why.to_owned()))?;
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        let space = workspaces::find(conn, workspace)?.ok_or(diesel::result::Error::NotFound)?;
        // The userName it will answer to: its own, else its address.
        let name = user.user_name.as_deref().unwrap_or(user.email.as_str());
        if memberships::user_name_taken(conn, workspace, name, None)? {
            return Err(ProvisionError::Exists(name.to_owned()));
        }
        let existing = accounts::find_by_email(conn, &user.email)?;
        if let Some(account) = &existing {
            let access = memberships::access(conn, workspace, account.id)?;
            if account.status == AccountStatus::Blocked {
                // A member's row here shows the block anyway; elsewhere it is not this
                // workspace's to know.
                let email = account.email.clone();
                return Err(match access {
                    Some(_) => ProvisionError::Blocked(email),
                    None => ProvisionError::NotAddable(email),
                });
            }
            if let Some(access) = access {
                if access.status != MembershipStatus::Removed {
                    return Err(ProvisionError::Exists(account.email.clone()));
                }
                return rejoin(
                    conn,
                    acting,
                    (workspace, access.membership_id),
                    user,
                    settings,
                    now,
                );
            }
        }
        policy::check_seats(
            space.plan.name(),
            space.seat_limit,
            space.counts.seats_used(),
            1,
        )
        .map_err(ProvisionError::Seats)?;
        let (account_id, new_account) = account_for(conn, existing.as_ref(), user, now)?;
        let account = accounts::find(conn, account_id)?.ok_or(diesel::result::Error::NotFound)?;
        let role_id = roles::built_in_id(conn, BuiltInRole::Member)?;
        let member = memberships::insert_active(conn, workspace, &account, role_id, now)?;
        keep_provider_names(conn, member, user, now)?;
        record_provisioned(
            conn,
            acting,
            (workspace, account_id, &account.email),
            user,
            json!({ "role": "Member", "new_account": new_account }),
            now,
        )?;
        // A new account, or one that has not chosen its password yet (made by another
        // workspace, whose welcome may be long gone): a link to choose it, naming this one.
        if account.password_hash.is_none() {
            password_reset::welcome_member(conn, acting.actor, workspace, &account, settings, now)?;
        }
        Ok(member)
    })
}

/// A member removed before, back: restored (groups and grants as they were), active, a
/// Member (a role above it is the console's to give again, not the provider's: an Owner may have
/// removed an Admin for cause), with what the provider sends now.
fn rejoin(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    (workspace, id): (WorkspaceId, MembershipId),
    user: &NewUser,
    settings: &InviteSettings,
    now: NaiveDateTime,
) -> Result<MembershipId, ProvisionError> {
    console::restore(conn, acting, workspace, id, now)?;
    let member = memberships::detail(conn, workspace, id, clock::now())?
        .ok_or(diesel::result::Error::NotFound)?;
    if member.status == MembershipStatus::Suspended {
        console::suspend(conn, acting, workspace, id, false, None, now)?;
    }
    let role_before = member.role_name.clone();
    console::change_role(conn, acting, workspace, id, BuiltInRole::Member.key(), now)?;
    keep_provider_names(conn, id, user, now)?;
    record_provisioned(
        conn,
        acting,
        (workspace, member.account_id, &member.email),
        user,
        json!({ "role": { "before": role_before, "after": "Member" }, "restored": true }),
        now,
    )?;
    let account =
        accounts::find(conn, member.account_id)?.ok_or(diesel::result::Error::NotFound)?;
    if account.password_hash.is_none() {
        password_reset::welcome_member(conn, acting.actor, workspace, &account, settings, now)?;
    }
    Ok(id)
}

/// What the provider sends of a member it adds, kept on the membership as sent (a new member's,
/// or one removed before: neither is a change to someone in the workspace).
fn keep_provider_names(
    conn: &mut AnyConnection,
    member: MembershipId,
    user: &NewUser,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    memberships::set_external_id(conn, member, user.external_id.as_deref(), now)?;
    memberships::set_scim_user_name(conn, member, user.user_name.as_deref(), now)?;
    memberships::set_email_label(conn, member, &user.email_label, now)
}

/// `member.provisioned` on `(workspace, account, address)`: `changes` with the provider's names.
fn record_provisioned(
    conn: &mut AnyConnection,
    acting: &Acting<'_>,
    (workspace, account, email): (WorkspaceId, AccountId, &str),
    user: &NewUser,
    mut changes: serde_json::Value,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    changes["external_id"] = json!(user.external_id);
    changes["user_name"] = json!(user.user_name);
    if let Some(kind) = &user.email_label.kind {
        changes["email_type"] = json!(kind);
    }
    audit::record(
        conn,
        acting.actor,
        &audit::NewEvent {
            workspace_id: Some(workspace),
            action: "member.provisioned",
            target_type: "account",
            target_id: Some(account.0),
            target_label: email,
            changes,
        },
        now,
    )
    .map(drop)
}

/// The account joining: the existing one, or a new one without a password (with the provider's
/// names and time zone). The flag says it is new.
fn account_for(
    conn: &mut AnyConnection,
    existing: Option<&accounts::Account>,
    user: &NewUser,
    now: NaiveDateTime,
) -> diesel::QueryResult<(AccountId, bool)> {
    if let Some(account) = existing {
        return Ok((account.id, false));
    }
    let (first, last) = (user.first_name.as_str(), user.last_name.as_str());
    // Another workspace may add (or invite) the same new address at the same moment (on
    // PostgreSQL the workspaces' locks do not order them): the one made first is joined.
    let (id, made) = accounts::insert_or_find(
        conn,
        &accounts::NewAccount {
            email: &user.email,
            first_name: first,
            last_name: last,
            password_hash: None,
            org_role: OrgRole::Member,
        },
        now,
    )?;
    if !made {
        return Ok((id, false));
    }
    if let Some(timezone) = &user.timezone {
        accounts::update_profile(conn, id, first, last, timezone.name(), now)?;
    }
    Ok((id, true))
}
