//! First run: the organization, its first workspace and their owner, in one transaction.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::membership::{MembershipStatus, OrgRole};
use crate::domain::names::sort_key;
use crate::domain::plan::Plan;
use crate::domain::role::BuiltInRole;
use crate::domain::{Email, Name, Slug};
use crate::store::{self, accounts, audit, memberships, organization, roles, workspaces};

/// Everything `/setup` asks for, already parsed.
pub struct SetupInput {
    pub organization_name: Name,
    pub workspace_name: Name,
    pub workspace_slug: Slug,
    pub email: Email,
    pub first_name: Name,
    pub last_name: Name,
    /// Hashed before the transaction: argon2 must not hold the write lock.
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("This console is already set up.")]
    AlreadyDone,
    #[error("That URL name is taken.")]
    SlugTaken,
    /// An account has this address already (`seed-demo` ran before the setup).
    #[error("This address has an account already.")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

pub struct SetupDone {
    pub account_id: AccountId,
    pub workspace_id: WorkspaceId,
    pub session_epoch: i64,
}

/// True until the first owner is made (here, or by `create-owner`): the only time `/setup` is
/// served. `seed-demo` before it makes people whose passwords nobody knows, and leaves it open.
pub fn is_open(conn: &mut AnyConnection) -> Result<bool, diesel::result::Error> {
    Ok(!organization::get(conn)?.setup_completed)
}

pub fn complete_setup(
    conn: &mut AnyConnection,
    input: &SetupInput,
    now: NaiveDateTime,
) -> Result<SetupDone, SetupError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        // Re-checked under the lock: two first visitors cannot both become the owner.
        if !is_open(conn)? {
            return Err(SetupError::AlreadyDone);
        }
        if accounts::find_by_email(conn, &input.email)?.is_some() {
            return Err(SetupError::EmailTaken);
        }
        if workspaces::slug_taken(conn, &input.workspace_slug, None)? {
            return Err(SetupError::SlugTaken);
        }
        organization::complete_setup(conn, input.organization_name.as_str(), now)?;
        let workspace_id = workspaces::insert(
            conn,
            input.workspace_name.as_str(),
            &input.workspace_slug,
            Plan::Free,
            now,
        )
        .map_err(|e| {
            if store::is_unique_violation(&e) {
                SetupError::SlugTaken
            } else {
                e.into()
            }
        })?;
        let account_id = accounts::insert(
            conn,
            &accounts::NewAccount {
                email: &input.email,
                first_name: input.first_name.as_str(),
                last_name: input.last_name.as_str(),
                password_hash: Some(&input.password_hash),
                org_role: OrgRole::Owner,
            },
            now,
        )?;
        let owner_role = roles::built_in_id(conn, BuiltInRole::Owner)?;
        memberships::insert(
            conn,
            &memberships::NewMembership {
                workspace_id,
                account_id,
                role_id: owner_role,
                status: MembershipStatus::Active,
                sort_name: &sort_key(
                    input.first_name.as_str(),
                    input.last_name.as_str(),
                    input.email.as_str(),
                ),
                invited_by: None,
                joined_at: Some(now),
            },
            now,
        )?;
        let owner = format!("{} {}", input.first_name, input.last_name);
        audit::record(
            conn,
            &audit::Actor {
                account_id: Some(account_id),
                label: owner.clone(),
                address: Some(input.email.to_string()),
                ip: None,
            },
            &audit::NewEvent {
                workspace_id: Some(workspace_id),
                action: "organization.set_up",
                target_type: "organization",
                target_id: None,
                target_label: input.organization_name.as_str(),
                changes: json!({
                    "organization": input.organization_name.as_str(),
                    "workspace": input.workspace_name.as_str(),
                    "slug": input.workspace_slug.as_str(),
                    "owner": input.email.as_str(),
                }),
            },
            now,
        )?;
        Ok(SetupDone {
            account_id,
            workspace_id,
            session_epoch: 0,
        })
    })
}
