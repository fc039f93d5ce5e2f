//! Workspaces: created from the organization's pages (Free plan, the creator its first Owner), and
//! their settings: name, URL slug (old slugs keep redirecting), plan and seat limit, deletion.
//! Each change is one transaction with its audit event.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::ids::WorkspaceId;
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::names::sort_key;
use crate::domain::plan::Plan;
use crate::domain::policy;
use crate::domain::role::{BuiltInRole, Permission};
use crate::domain::slug::confirms_deletion;
use crate::domain::{Name, Slug};
use crate::services::audit::Changes;
use crate::store::accounts::Account;
use crate::store::audit::{self, Actor};
pub use crate::store::workspaces::Workspace;
use crate::store::{memberships, outbox, roles, unique_violation_as, workspaces};

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("This URL name is taken: choose another.")]
    SlugTaken,
    #[error("This workspace no longer exists.")]
    NotFound,
    /// A seat limit below the seats in use; the text has the numbers.
    #[error("{0}")]
    SeatsInUse(String),
    /// A plan whose fixed seats are fewer than those in use; the text has the numbers.
    #[error("{0}")]
    PlanTooSmall(String),
    #[error("Type the workspace's URL name exactly as shown to confirm. Nothing was deleted.")]
    NotConfirmed,
    /// The sender no longer holds what the change takes (read again under its lock).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Whether the sender still holds `needed` in workspace `id`, read again inside the change's
/// transaction (see `services::held`): a request that arrived before they were demoted is
/// refused.
fn still_holds(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: WorkspaceId,
    needed: Permission,
) -> Result<(), WorkspaceError> {
    super::held::still_holds(conn, actor, id, needed)?
        .map(|_| ())
        .map_err(WorkspaceError::Refused)
}

/// An event of the workspace, labelled with its slug (as when it was created).
fn event(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    action: &str,
    slug: &str,
    changes: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    audit::record(
        conn,
        actor,
        &audit::NewEvent {
            workspace_id: Some(workspace),
            action,
            target_type: "workspace",
            target_id: Some(workspace.0),
            target_label: slug,
            changes,
        },
        now,
    )?;
    Ok(())
}

fn existing(conn: &mut AnyConnection, id: WorkspaceId) -> Result<Workspace, WorkspaceError> {
    workspaces::find(conn, id)?.ok_or(WorkspaceError::NotFound)
}

/// Creates the workspace with `creator` as its active Owner, with its audit event.
pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    creator: &Account,
    name: &Name,
    slug: &Slug,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        if workspaces::slug_taken(conn, slug, None)? {
            return Err(WorkspaceError::SlugTaken);
        }
        let workspace = workspaces::insert(conn, name.as_str(), slug, Plan::Free, now)
            .map_err(unique_violation_as(|| WorkspaceError::SlugTaken))?;
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
        let changes =
            json!({ "name": name.as_str(), "slug": slug.as_str(), "plan": Plan::Free.name() });
        event(
            conn,
            actor,
            workspace,
            "workspace.created",
            slug.as_str(),
            changes,
            now,
        )
    })
}

/// Renames the workspace (the same name again: nothing changes, no event).
pub fn rename(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: WorkspaceId,
    name: &Name,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    db::write_transaction(conn, Lock::Workspace(id), |conn| {
        still_holds(conn, actor, id, Permission::SettingsManage)?;
        let before = existing(conn, id)?;
        if before.name == name.as_str() {
            return Ok(());
        }
        workspaces::rename(conn, id, name.as_str(), now)?;
        let changes = json!({ "name": { "before": before.name, "after": name.as_str() } });
        event(
            conn,
            actor,
            id,
            "workspace.renamed",
            &before.slug,
            changes,
            now,
        )
    })
}

/// Renames the organization (its name heads every page, emails and authenticator apps), with its
/// audit event; nothing when the name is the same.
pub fn rename_organization(
    conn: &mut AnyConnection,
    actor: &Actor,
    name: &Name,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        // Only an org owner names it: read again under the lock, as other changes are.
        if let Some(account) = actor.account_id {
            let owner = crate::store::accounts::find(conn, account)?.is_some_and(|a| {
                a.org_role == OrgRole::Owner && a.status != AccountStatus::Blocked
            });
            if !owner {
                return Err(WorkspaceError::Refused(
                    "Only org owners rename the organization, and you no longer are one: \
                     nothing was changed."
                        .to_owned(),
                ));
            }
        }
        let before = crate::store::organization::get(conn)?.name;
        if before == name.as_str() {
            return Ok(());
        }
        crate::store::organization::rename(conn, name.as_str(), now)?;
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: None,
                action: "organization.renamed",
                target_type: "organization",
                target_id: None,
                target_label: name.as_str(),
                changes: json!({ "name": { "before": before, "after": name.as_str() } }),
            },
            now,
        )?;
        Ok(())
    })
}

/// How many active members the workspace's two-factor requirement applies to (Owners, and roles
/// holding all an Admin holds) have it off: sent to set it up once it is required.
pub fn without_two_factor(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
) -> diesel::QueryResult<i64> {
    let bound: Vec<_> = roles::choices(conn, workspace)?
        .into_iter()
        .filter(|r| policy::must_use_two_factor(true, r.permissions))
        .map(|r| r.id)
        .collect();
    memberships::count_active_without_two_factor(conn, workspace, &bound)
}

/// Moves the workspace to a new slug, unique among the current and old slugs of every other
/// workspace; its old slug redirects to the new one. Serialised with workspace creation on the
/// organization, as both claim slugs.
pub fn change_slug(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: WorkspaceId,
    slug: &Slug,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    db::write_transaction(conn, Lock::Organization, |conn| {
        // The workspace's own lock too (after the organization's, as always): a deletion under
        // way finishes first, and the redirect is never written for a workspace that is gone.
        db::take_lock(conn, Lock::Workspace(id))?;
        still_holds(conn, actor, id, Permission::Owner)?;
        let before = existing(conn, id)?;
        if before.slug == slug.as_str() {
            return Ok(());
        }
        if workspaces::slug_taken(conn, slug, Some(id))? {
            return Err(WorkspaceError::SlugTaken);
        }
        workspaces::change_slug(conn, id, &before.slug, slug, now)
            .map_err(unique_violation_as(|| WorkspaceError::SlugTaken))?;
        let changes = json!({ "slug": { "before": before.slug, "after": slug.as_str() } });
        event(
            conn,
            actor,
            id,
            "workspace.slug_changed",
            slug.as_str(),
            changes,
            now,
        )
    })
}

/// Puts the workspace on a plan with a seat limit (`None`: unlimited) that holds the seats in use,
/// checked under the workspace's lock so no invitation slips in between. The event records what
/// changed (nothing changed: no event).
pub fn change_plan(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: WorkspaceId,
    plan: Plan,
    seat_limit: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    db::write_transaction(conn, Lock::Workspace(id), |conn| {
        still_holds(conn, actor, id, Permission::Owner)?;
        let before = existing(conn, id)?;
        if before.plan == plan && before.seat_limit == seat_limit {
            return Ok(());
        }
        policy::check_seat_limit(plan, seat_limit, before.counts.seats_used()).map_err(|why| {
            if policy::plan_too_small(plan, before.counts.seats_used()) {
                WorkspaceError::PlanTooSmall(why)
            } else {
                WorkspaceError::SeatsInUse(why)
            }
        })?;
        workspaces::change_plan(conn, id, plan, seat_limit, now)?;
        let mut changes = Changes::default();
        // In the settings page's words: "Team", "no limit".
        changes.field("plan", before.plan.name(), plan.name());
        let limit =
            |seats: Option<i64>| seats.map_or_else(|| "no limit".to_owned(), |n| n.to_string());
        changes.field("seat_limit", limit(before.seat_limit), limit(seat_limit));
        event(
            conn,
            actor,
            id,
            "workspace.plan_changed",
            &before.slug,
            changes.into_json(),
            now,
        )
    })
}

/// Deletes the workspace once `confirmation` is its slug: memberships, invitations (their queued
/// emails are not sent), groups, apps, roles, API keys, the Slack connection and old slugs go with
/// it (the connection is returned); accounts stay in the organization. The event is the organization's (the workspace's own log
/// is read no more, but for its events about accounts, copied into the organization's) and keeps
/// what the workspace was.
pub fn delete(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: WorkspaceId,
    confirmation: &str,
    now: NaiveDateTime,
) -> Result<(Workspace, Option<crate::store::slack::Connection>), WorkspaceError> {
    db::write_transaction(conn, Lock::Workspace(id), |conn| {
        still_holds(conn, actor, id, Permission::Owner)?;
        let workspace = existing(conn, id)?;
        if !confirms_deletion(&workspace.slug, confirmation) {
            return Err(WorkspaceError::NotConfirmed);
        }
        // Its Slack connection goes with it: returned, for its token to be revoked in Slack.
        let slack = crate::store::slack::find(conn, id)?;
        outbox::cancel_invitations_of(conn, id, "cancelled: the workspace was deleted")?;
        let account_events_kept = audit::copy_account_events_to_organization(conn, id)?;
        workspaces::delete(conn, id)?;
        let counts = workspace.counts;
        audit::record(
            conn,
            actor,
            &audit::NewEvent {
                workspace_id: None,
                action: "workspace.deleted",
                target_type: "workspace",
                target_id: Some(id.0),
                target_label: &workspace.slug,
                changes: json!({
                    "name": workspace.name,
                    "plan": workspace.plan.name(),
                    "members": counts.active + counts.suspended,
                    "pending_invitations": counts.invited,
                    "account_events_kept": account_events_kept,
                }),
            },
            now,
        )?;
        Ok((workspace, slack))
    })
}

/// Requires (or stops requiring) two-factor sign-in of the workspace's Owners and Admins.
pub fn set_require_two_factor(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: WorkspaceId,
    required: bool,
    now: NaiveDateTime,
) -> Result<(), WorkspaceError> {
    db::write_transaction(conn, Lock::Workspace(id), |conn| {
        still_holds(conn, actor, id, Permission::Owner)?;
        let before = existing(conn, id)?;
        if before.require_two_factor == required {
            return Ok(());
        }
        workspaces::set_require_two_factor(conn, id, required, now)?;
        let said = |on: bool| if on { "Owners and Admins" } else { "nobody" };
        let changes = json!({ "required_of": { "before": said(before.require_two_factor), "after": said(required) } });
        event(
            conn,
            actor,
            id,
            "workspace.two_factor_required",
            &before.slug,
            changes,
            now,
        )
    })
}
