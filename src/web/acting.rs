//! A workspace's pages and the blocking pool: reading what a page shows together with its frame,
//! the member's id from the path, and the viewer as the acting person of a service call.

use chrono::NaiveDateTime;

use super::auth::{Chrome, WorkspaceAccess};
use super::error::AppError;
use super::{AppState, blocking};
use crate::clock;
use crate::db::AnyConnection;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::policy::MemberAction;
use crate::services::console::{self, Acting};
use crate::services::invitations::Inviter;
use crate::store::audit::Actor;
use crate::store::memberships::MemberDetail;

/// Reads what a page shows and the page's frame (the navigation, with `section` current) in one
/// trip to the blocking pool; the frame carries the page's one-time message.
pub async fn read_page<T: Send + 'static>(
    state: &AppState,
    access: &WorkspaceAccess,
    section: &'static str,
    read: impl FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
) -> Result<(T, Chrome), AppError> {
    let loader = access.chrome_loader(section);
    let (shown, mut chrome) =
        blocking(state, move |conn| Ok((read(conn)?, loader.load(conn)?))).await?;
    chrome.flash = access.take_flash();
    Ok((shown, chrome))
}

/// A membership id from the path; anything else is a page that does not exist.
pub fn member_id(text: &str) -> Result<MembershipId, AppError> {
    MembershipId::parse(text).ok_or(AppError::NotFound)
}

/// Runs `f` on the blocking pool with the viewer as the acting person in this workspace.
pub async fn with_acting<T: Send + 'static>(
    state: &AppState,
    access: &WorkspaceAccess,
    f: impl FnOnce(&mut AnyConnection, &Acting<'_>, WorkspaceId) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let actor = access.signed_in.actor();
    let account = Some(access.signed_in.account.id);
    let (permissions, org_role) = (access.permissions, access.signed_in.account.org_role);
    let workspace = access.workspace.id;
    blocking(state, move |conn| {
        let acting = Acting {
            actor: &actor,
            account,
            permissions,
            org_role,
        };
        f(conn, &acting, workspace)
    })
    .await
}

/// The member, if `action` would be allowed now (the same decision as the action's own): what
/// its confirmation dialog shows.
pub async fn confirmable(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    action: MemberAction,
) -> Result<MemberDetail, AppError> {
    access.attempt(action)?;
    with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::confirmable(
            conn,
            acting,
            workspace,
            id,
            action,
            clock::now(),
        )?)
    })
    .await
}

/// Runs a service call on the blocking pool as the viewer (the actor its audit event names), at
/// the clock's time. The call's own refusal comes back as it is: a form turns it into a message
/// beside a field, and `?` makes it the page's answer.
pub async fn as_viewer<T, E, F>(
    state: &AppState,
    access: &WorkspaceAccess,
    call: F,
) -> Result<Result<T, E>, AppError>
where
    F: FnOnce(&mut AnyConnection, &Actor, NaiveDateTime) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let actor = access.signed_in.actor();
    blocking(state, move |conn| Ok(call(conn, &actor, clock::now()))).await
}

/// Runs an invitation call on the blocking pool with the viewer as the inviter (their permissions
/// bound the roles they may give), at the clock's time. The call's own refusal comes back as it is.
pub async fn as_inviter<T, E, F>(
    state: &AppState,
    access: &WorkspaceAccess,
    call: F,
) -> Result<Result<T, E>, AppError>
where
    F: FnOnce(&mut AnyConnection, &Inviter<'_>, NaiveDateTime) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (actor, permissions) = (access.signed_in.actor(), access.permissions);
    blocking(state, move |conn| {
        let inviter = Inviter {
            actor: &actor,
            permissions,
        };
        Ok(call(conn, &inviter, clock::now()))
    })
    .await
}
