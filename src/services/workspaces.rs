//! Creating a workspace from the organization's pages: Free plan, the creator its first Owner.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::membership::MembershipStatus;
use crate::domain::names::sort_key;
use crate::domain::plan::Plan;
use crate::domain::role::BuiltInRole;
use crate::domain::{Name, Slug};
use crate::store::accounts::Account;
use crate::store::audit::{self, Actor};
use crate::store::{is_unique_violation, memberships, roles, workspaces};

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("This URL name is taken: choose another.")]
    SlugTaken,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Creates the workspace with `creator` as its active Owner, with its audit event.
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    creator: &Account,
    name: &Name,
    slug: &Slug,
    now: NaiveDateTime,
) -> Result<(), CreateError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        if workspaces::slug_taken(conn, slug)? {
            return Err(CreateError::SlugTaken);
        }
        let workspace =
            workspaces::insert(conn, name.as_str(), slug, Plan::Free, now).map_err(|e| {
                if is_unique_violation(&e) {
                    CreateError::SlugTaken
                } else {
                    e.into()
                }
            })?;
        let owner = roles::built_in_id(conn, BuiltInRole::Owner)?;
        memberships::insert(
            conn,
            &memberships::NewMembership {
                workspace_id: workspace,
                account_id: creator.id,
                role_id: owner,
                status: MembershipStatus::Active,
                sort_name: &sort_key(&creator.first_name, &creator.last_name, &creator.email),
                invited_by: None,
                joined_at: Some(now),
            },
            now,
        )?;
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "workspace.created",
                target_type: "workspace",
                target_id: Some(workspace.0),
                target_label: slug.as_str(),
                changes: json!({ "name": name.as_str(), "slug": slug.as_str(), "plan": Plan::Free.key() }),
            },
            now,
        )?;
        Ok(())
    })
}
