//! Reading a workspace's members.

use crate::db::AnyConnection;
use crate::domain::ids::WorkspaceId;
use crate::domain::membership::MembershipStatus;
use crate::store::invitations::{self, PendingInfo};
use crate::store::memberships::{self, Cursor, MemberPage};

pub const PAGE_SIZE: i64 = 50;

/// One page of the users list; `search` matches a substring of email, first or last name. Pending
/// members come with their invitation's delivery details.
pub fn list_members(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    search: Option<&str>,
    cursor: Cursor,
) -> Result<(MemberPage, Vec<PendingInfo>), diesel::result::Error> {
    let page = memberships::list_page(conn, workspace, search, cursor, PAGE_SIZE)?;
    let invited: Vec<_> = page
        .rows
        .iter()
        .filter(|r| r.status == MembershipStatus::Invited)
        .map(|r| r.id)
        .collect();
    let pending = invitations::pending_for(conn, &invited)?;
    Ok((page, pending))
}
