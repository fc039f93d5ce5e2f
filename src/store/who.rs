//! Who is asking, in one statement: the signed-in account, the workspace a path names, and the
//! account's membership there (status, role and its permissions). Every workspace page reads
//! this first; on PostgreSQL one round trip instead of three. The newest audit event's id comes
//! with it: what pages cache between requests is good while it stays the same
//! (`web::frame_cache`).

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::accounts::{self, Account, AccountTuple};
use super::memberships::{Access, AccessRow, access_from};
use super::sql::sql;
use super::workspaces::{self, Workspace};
use super::{AnyConnection, QueryResult};
use crate::db::schema::{accounts as a, memberships as m, roles as r, workspaces as w};
use crate::domain::ids::AccountId;

/// The account (`None`: it no longer exists), the newest audit event's id (0: none yet), and the
/// workspace named `slug` with the account's membership in it (`None`: no workspace has that slug
/// now).
pub type Asking = Option<(Account, i64, Option<(Workspace, Option<Access>)>)>;

pub fn in_workspace(
    conn: &mut AnyConnection,
    account: AccountId,
    slug: &str,
) -> QueryResult<Asking> {
    type Row = (
        AccountTuple,
        i64,
        Option<workspaces::Tuple>,
        Option<AccessRow>,
    );
    let row: Option<Row> = a::table
        .left_join(w::table.on(w::slug.eq(slug.to_owned())))
        .left_join(m::table.on(m::workspace_id.eq(w::id).and(m::account_id.eq(a::id))))
        .left_join(r::table.on(r::id.eq(m::role_id)))
        .filter(a::id.eq(account.0))
        .select((
            accounts::COLUMNS,
            sql::<BigInt>("(SELECT COALESCE(MAX(id), 0) FROM audit_events)"),
            workspaces::COLUMNS.nullable(),
            (m::id, m::status, r::id, r::name, r::permissions).nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((account, generation, workspace, access)) = row else {
        return Ok(None);
    };
    let workspace = match workspace {
        Some(workspace) => Some((
            workspaces::from_tuple(workspace)?,
            access.map(access_from).transpose()?,
        )),
        None => None,
    };
    Ok(Some((
        accounts::from_tuple(account)?,
        generation,
        workspace,
    )))
}
