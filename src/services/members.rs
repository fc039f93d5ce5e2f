//! Reading a workspace's members.

use crate::db::AnyConnection;
use crate::domain::ids::WorkspaceId;
use crate::store::memberships::{self, Cursor, MemberPage};

pub const PAGE_SIZE: i64 = 50;

/// One page of the users list; `search` matches a substring of email, first or last name.
pub fn list_members(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    search: Option<&str>,
    cursor: Cursor,
) -> Result<MemberPage, diesel::result::Error> {
    memberships::list_page(conn, workspace, search, cursor, PAGE_SIZE)
}
