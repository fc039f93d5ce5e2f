//! Server-side sessions. The cookie carries a random key; this table keeps only its SHA-256.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{memberships, sessions, workspaces};
use crate::domain::ids::AccountId;
use crate::domain::membership::MembershipStatus;

/// A live session as read (`StoredSession::as_select()`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct StoredSession {
    pub id: i64,
    pub state: String,
    pub account_id: Option<i64>,
    pub workspace_id: Option<i64>,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// The live session with this key hash, if it has not expired.
pub fn find_live(
    conn: &mut AnyConnection,
    key_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<StoredSession>> {
    sessions::table
        .filter(sessions::key_hash.eq(key_hash))
        .filter(sessions::expires_at.gt(now))
        .select(StoredSession::as_select())
        .first(conn)
        .optional()
}

/// True while the session with this key hash is there and has not expired (not signed out, nor
/// ended by anyone).
pub fn is_live(conn: &mut AnyConnection, key_hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sessions::table
            .filter(sessions::key_hash.eq(key_hash))
            .filter(sessions::expires_at.gt(now)),
    ))
    .get_result(conn)
}

/// Records activity and slides the expiry forward; the member's last activity in the session's
/// workspace follows (the users list's "last active" and online dot).
pub fn touch(
    conn: &mut AnyConnection,
    session: &StoredSession,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(session.id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    record_activity(conn, session.account_id, session.workspace_id, now)
}

/// The member's last activity in the workspace a session is in (also written while a presence
/// stream of theirs is open). A session in no workspace yet (someone whose role opens only their
/// profile, or just signed in) is activity in each workspace they are an active member of: a
/// member who uses only their profile is not "never active" (nor dormant) to their admins.
pub fn record_activity(
    conn: &mut AnyConnection,
    account: Option<i64>,
    workspace: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let Some(account) = account else {
        return Ok(());
    };
    let theirs = memberships::table.filter(memberships::account_id.eq(account));
    match workspace {
        Some(workspace) => {
            diesel::update(theirs.filter(memberships::workspace_id.eq(workspace)))
                .set(memberships::last_active_at.eq(Some(now)))
                .execute(conn)?;
        }
        None => {
            let active = MembershipStatus::Active.key();
            diesel::update(theirs.filter(memberships::status.eq(active)))
                .set(memberships::last_active_at.eq(Some(now)))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// What the columns beside the serialized state hold, taken from the state by the session store.
pub struct SessionColumns<'a> {
    pub state: &'a str,
    pub account_id: Option<AccountId>,
    pub workspace_id: Option<i64>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The session's workspace while it exists, else NULL: a session whose state still names a deleted
/// workspace is saved without it instead of failing on the foreign key.
#[diesel::dsl::auto_type]
fn existing_workspace(id: Option<i64>) -> _ {
    workspaces::table
        .filter(workspaces::id.nullable().eq(id))
        .select(workspaces::id.nullable())
        .single_value()
}

/// What saving a session writes, made or replaced alike.
#[diesel::dsl::auto_type(no_type_alias)]
fn saved<'a>(columns: &SessionColumns<'a>, now: NaiveDateTime, expires_at: NaiveDateTime) -> _ {
    let state: &'a str = columns.state;
    let account: Option<i64> = columns.account_id.map(|a| a.0);
    let workspace: existing_workspace = existing_workspace(columns.workspace_id);
    let ip: Option<&'a str> = columns.ip;
    let user_agent: Option<&'a str> = columns.user_agent;
    (
        sessions::state.eq(state),
        sessions::account_id.eq(account),
        sessions::workspace_id.eq(workspace),
        sessions::ip.eq(ip),
        sessions::user_agent.eq(user_agent),
        sessions::last_seen_at.eq(now),
        sessions::expires_at.eq(expires_at),
    )
}

pub fn insert(
    conn: &mut AnyConnection,
    key_hash: &str,
    columns: &SessionColumns<'_>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key_hash),
            sessions::created_at.eq(now),
            saved(columns, now, expires_at),
        ))
        .execute(conn)?;
    // Signing in is activity.
    record_activity(
        conn,
        columns.account_id.map(|a| a.0),
        columns.workspace_id,
        now,
    )
}

/// Replaces the state of a live session; returns false when it no longer exists.
pub fn update(
    conn: &mut AnyConnection,
    key_hash: &str,
    columns: &SessionColumns<'_>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .filter(sessions::key_hash.eq(key_hash))
            .filter(sessions::expires_at.gt(now)),
    )
    .set(saved(columns, now, expires_at))
    .execute(conn)?;
    // A change of state is activity in the session's workspace; with none, `touch` (at most once
    // a minute) and signing in record it, not every change.
    if updated > 0 && columns.workspace_id.is_some() {
        record_activity(
            conn,
            columns.account_id.map(|a| a.0),
            columns.workspace_id,
            now,
        )?;
    }
    Ok(updated > 0)
}

pub fn delete(conn: &mut AnyConnection, key_hash: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn)?;
    Ok(())
}

pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

/// A signed-in browser, as the sessions tab lists it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session's CSRF token: equal to the viewer's own for "this browser".
    pub csrf_token: Option<String>,
}

/// The live sessions of an account, most recently seen first.
pub fn list_for_account(
    conn: &mut AnyConnection,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionInfo>> {
    type Row = (
        i64,
        NaiveDateTime,
        NaiveDateTime,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = sessions::table
        .filter(sessions::account_id.eq(account.0))
        .filter(sessions::expires_at.gt(now))
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::ip,
            sessions::user_agent,
            sessions::state,
        ))
        .order(sessions::last_seen_at.desc())
        .limit(100)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, created_at, last_seen_at, ip, user_agent, state)| SessionInfo {
                id,
                created_at,
                last_seen_at,
                ip,
                user_agent,
                csrf_token: csrf_of(&state),
            },
        )
        .collect())
}

/// The CSRF token inside a stored session state (a JSON map of JSON-encoded values).
fn csrf_of(state: &str) -> Option<String> {
    let map: std::collections::HashMap<String, String> = serde_json::from_str(state).ok()?;
    serde_json::from_str(map.get("csrf")?).ok()
}

/// Ends one session of an account; returns whether it existed.
pub fn delete_one(conn: &mut AnyConnection, account: AccountId, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::account_id.eq(account.0)),
    )
    .execute(conn)?
        > 0)
}

/// Ends every session of an account (sign out everywhere, block, password change).
pub fn delete_for_account(conn: &mut AnyConnection, account: AccountId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::account_id.eq(account.0))).execute(conn)
}

/// Ends an account's sessions that are in a workspace (a suspension or removal there); and, when
/// the account is active in no other workspace (a pending invitation or a suspension elsewhere
/// opens nothing), those in none yet (a Member who has only seen their profile: this workspace
/// was their only one). Sessions that may belong to another workspace
/// stay: one workspace's suspension does not sign someone out of the others. Returns how many.
pub fn delete_for_account_in_workspace(
    conn: &mut AnyConnection,
    account: AccountId,
    workspace: i64,
) -> QueryResult<usize> {
    let elsewhere: i64 = memberships::table
        .filter(memberships::account_id.eq(account.0))
        .filter(memberships::workspace_id.ne(workspace))
        .filter(memberships::status.eq(MembershipStatus::Active.key()))
        .count()
        .get_result(conn)?;
    let mine = sessions::table.filter(sessions::account_id.eq(account.0));
    let mut ended =
        diesel::delete(mine.filter(sessions::workspace_id.eq(workspace))).execute(conn)?;
    if elsewhere == 0 {
        ended += diesel::delete(mine.filter(sessions::workspace_id.is_null())).execute(conn)?;
    }
    Ok(ended)
}

/// How many signed-in sessions have not expired.
pub fn count_signed_in(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::account_id.is_not_null())
        .filter(sessions::expires_at.gt(now))
        .count()
        .get_result(conn)
}
