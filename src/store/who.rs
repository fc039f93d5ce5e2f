//! Who is asking, in one statement: the signed-in account, the workspace a path names, and the
//! account's membership there (status, role and its permissions). Every workspace page reads
//! this first; on PostgreSQL one round trip instead of three. The newest audit event's id comes
//! with it: what pages cache between requests is good while it stays the same
//! (`web::frame_cache`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::accounts::{self, Account, AccountTuple};
use super::memberships::{Access, AccessRow, access_from};
use super::sessions::StoredSession;
use super::sql::sql;
use super::workspaces::{self, Workspace};
use super::{AnyConnection, QueryResult};
use crate::db::schema::{
    accounts as a, memberships as m, roles as r, sessions as s, workspaces as w,
};
use crate::domain::ids::AccountId;

/// The account (`None`: it no longer exists), the newest audit event's id (0: none yet), and the
/// workspace named `slug` with the account's membership in it (`None`: no workspace has that slug
/// now).
pub type Asking = Option<Found>;

pub fn in_workspace(
    conn: &mut AnyConnection,
    account: AccountId,
    slug: &str,
) -> QueryResult<Asking> {
    let row: Option<Row> = a::table
        .left_join(w::table.on(w::slug.eq(slug.to_owned())))
        .left_join(m::table.on(m::workspace_id.eq(w::id).and(m::account_id.eq(a::id))))
        .left_join(r::table.on(r::id.eq(m::role_id)))
        .filter(a::id.eq(account.0))
        .select((
            accounts::COLUMNS,
            sql::<BigInt>(GENERATION),
            workspaces::COLUMNS.nullable(),
            (m::id, m::status, r::id, r::name, r::permissions).nullable(),
        ))
        .first(conn)
        .optional()?;
    row.map(asking).transpose()
}

/// The live session with this key hash and, when it names an account, who is asking in the
/// workspace `slug` ([`in_workspace`]): one statement for what every workspace page reads first.
pub fn with_session(
    conn: &mut AnyConnection,
    key_hash: &str,
    now: NaiveDateTime,
    slug: &str,
) -> QueryResult<Option<(StoredSession, Asking)>> {
    let row: Option<(StoredSession, Option<Row>)> = s::table
        .left_join(a::table.on(s::account_id.eq(a::id.nullable())))
        .left_join(w::table.on(w::slug.eq(slug.to_owned())))
        .left_join(m::table.on(m::workspace_id.eq(w::id).and(m::account_id.eq(a::id))))
        .left_join(r::table.on(r::id.eq(m::role_id)))
        .filter(s::key_hash.eq(key_hash))
        .filter(s::expires_at.gt(now))
        .select((
            StoredSession::as_select(),
            (
                accounts::COLUMNS,
                sql::<BigInt>(GENERATION),
                workspaces::COLUMNS.nullable(),
                (m::id, m::status, r::id, r::name, r::permissions).nullable(),
            )
                .nullable(),
        ))
        .first(conn)
        .optional()?;
    row.map(|(session, row)| Ok((session, row.map(asking).transpose()?)))
        .transpose()
}

/// The newest audit event's id (0: none yet).
const GENERATION: &str = "(SELECT COALESCE(MAX(id), 0) FROM audit_events)";

type Row = (
    AccountTuple,
    i64,
    Option<workspaces::Tuple>,
    Option<AccessRow>,
);

pub type Found = (Account, i64, Option<(Workspace, Option<Access>)>);

fn asking((account, generation, workspace, access): Row) -> QueryResult<Found> {
    let workspace = match workspace {
        Some(workspace) => Some((
            workspaces::from_tuple(workspace)?,
            access.map(access_from).transpose()?,
        )),
        None => None,
    };
    Ok((accounts::from_tuple(account)?, generation, workspace))
}
