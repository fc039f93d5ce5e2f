//! Who is asking, in one statement: the signed-in account, the workspace a path names, and the
//! account's membership there (status, role and its permissions). Every workspace page reads
//! this first; on PostgreSQL one round trip instead of three. The newest audit event's id comes
//! with it: what pages cache between requests is good while it stays the same
//! (`web::frame_cache`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::accounts::{self, Account, AccountTuple};
use super::memberships::{
    Access, AccessRow, DetailRow, MemberDetail, access_from, detail_from_row, member_detail,
};
use super::sessions::StoredSession;
use super::sql::{beside, sql};
use super::workspaces::{self, Workspace};
use super::{AnyConnection, QueryResult};
use crate::db::schema::{
    accounts as a, memberships as m, roles as r, sessions as s, workspaces as w,
};
use crate::domain::ids::{AccountId, MembershipId};

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

/// The live session with key hash `$key_hash` at `$now`, and who is asking in the workspace
/// `$slug`: read as `(StoredSession, Option<Row>)`.
macro_rules! session_and_asking {
    ($key_hash:expr, $now:expr, $slug:expr) => {
        s::table
            .left_join(a::table.on(s::account_id.eq(a::id.nullable())))
            .left_join(w::table.on(w::slug.eq($slug.to_owned())))
            .left_join(m::table.on(m::workspace_id.eq(w::id).and(m::account_id.eq(a::id))))
            .left_join(r::table.on(r::id.eq(m::role_id)))
            .filter(s::key_hash.eq($key_hash))
            .filter(s::expires_at.gt($now))
            .select((
                // `StoredSession`'s fields (not `as_select()`: a query beside another cannot load
                // that).
                (
                    s::id,
                    s::state,
                    s::account_id,
                    s::workspace_id,
                    s::last_seen_at,
                    s::expires_at,
                ),
                (
                    accounts::COLUMNS,
                    sql::<BigInt>(GENERATION),
                    workspaces::COLUMNS.nullable(),
                    (m::id, m::status, r::id, r::name, r::permissions).nullable(),
                )
                    .nullable(),
            ))
    };
}

/// The live session with this key hash and, when it names an account, who is asking in the
/// workspace `slug` ([`in_workspace`]): one statement for what every workspace page reads first.
pub fn with_session(
    conn: &mut AnyConnection,
    key_hash: &str,
    now: NaiveDateTime,
    slug: &str,
) -> QueryResult<Option<(StoredSession, Asking)>> {
    let row: Option<SessionRow> = session_and_asking!(key_hash, now, slug)
        .first(conn)
        .optional()?;
    row.map(|(session, row)| Ok((session, row.map(asking).transpose()?)))
        .transpose()
}

/// [`with_session`] and, in the same statement, the member `member` of the workspace `slug`
/// (`None`: no such member there) as the user console shows them — for a page that needs both
/// where each statement is a network round trip. The member is read before anyone has judged
/// whether the viewer may see them: the caller does, before using it.
pub fn with_session_and_member(
    conn: &mut AnyConnection,
    key_hash: &str,
    now: NaiveDateTime,
    slug: &str,
    member: MembershipId,
) -> QueryResult<Option<(StoredSession, Asking, Option<MemberDetail>)>> {
    let in_slug = w::table
        .filter(w::slug.eq(slug.to_owned()))
        .select(w::id)
        .single_value();
    let member = member_detail!(member, now)
        .filter(m::workspace_id.nullable().eq(in_slug))
        .limit(1);
    let row: Option<(SessionRow, Option<DetailRow>)> =
        beside(session_and_asking!(key_hash, now, slug).limit(1), member)
            .get_result(conn)
            .optional()?;
    row.map(|((session, row), member)| {
        Ok((
            session,
            row.map(asking).transpose()?,
            member.map(detail_from_row).transpose()?,
        ))
    })
    .transpose()
}

/// The newest audit event's id (0: none yet).
const GENERATION: &str = "(SELECT COALESCE(MAX(id), 0) FROM audit_events)";

/// A session as [`session_and_asking`] reads it.
type SessionRow = (StoredSession, Option<Row>);

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
