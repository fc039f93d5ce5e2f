//! Acting on a member from any page: the member's id from the path, and the viewer as the acting
//! person of a service call, on the blocking pool.

use super::auth::WorkspaceAccess;
use super::error::AppError;
use super::{AppState, blocking};
use crate::db::AnyConnection;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::services::console::Acting;

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
