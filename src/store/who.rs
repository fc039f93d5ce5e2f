//! Who is asking, in one statement: the signed-in account, the workspace a path names, and the
//! account's membership there (status, role and its permissions). Every workspace page reads
//! this first; on PostgreSQL one round trip instead of three.

use diesel::prelude::*;

use super::accounts::{self, Account, AccountTuple};
use super::memberships::{Access, AccessRow, access_from};
use super::workspaces::{self, Workspace};
use super::{AnyConnection, QueryResult};
use crate::db::schema::{accounts as a, memberships as m, roles as r, workspaces as w};
use crate::domain::ids::AccountId;

/// The account (`None`: it no longer exists), and the workspace named `slug` with the account's
/// membership in it (`None`: no workspace has that slug now).
pub type Asking = Option<(Account, Option<(Workspace, Option<Access>)>)>;

pub fn in_workspace(
    conn: &mut AnyConnection,
    account: AccountId,
    slug: &str,
) -> QueryResult<Asking> {
    let row: Option<(AccountTuple, Option<workspaces::Tuple>, Option<AccessRow>)> = a::table
        .left_join(w::table.on(w::slug.eq(slug.to_owned())))
        .left_join(m::table.on(m::workspace_id.eq(w::id).and(m::account_id.eq(a::id))))
        .left_join(r::table.on(r::id.eq(m::role_id)))
        .filter(a::id.eq(account.0))
        .select((
            accounts::COLUMNS,
            workspaces::COLUMNS.nullable(),
            (m::id, m::status, r::id, r::name, r::permissions).nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((account, workspace, access)) = row else {
        return Ok(None);
    };
    let workspace = match workspace {
        Some(workspace) => Some((
            workspaces::from_tuple(workspace)?,
            access.map(access_from).transpose()?,
        )),
        None => None,
    };
    Ok(Some((accounts::from_tuple(account)?, workspace)))
}
