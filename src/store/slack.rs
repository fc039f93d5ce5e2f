//! A workspace's Slack connection, the Slack people as last read, and the direct messages waiting
//! to be sent (issue 19).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamp};

use super::{AnyConnection, QueryResult, in_chunks};
use crate::db::schema::{slack_connections, slack_messages, slack_people};
use crate::domain::ids::WorkspaceId;
use crate::domain::slack::SlackPerson;

columns!(
    CONNECTION = (
        slack_connections::team_id,
        slack_connections::team_name,
        slack_connections::scopes,
        slack_connections::token_sealed,
        slack_connections::connected_at,
        slack_connections::people_read_at,
        slack_connections::read_requested_at,
        slack_connections::read_error,
        slack_connections::read_progress,
    )
);

type ConnectionRow = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    i64,
);

/// A workspace's connection to a Slack workspace.
#[derive(Debug, Clone)]
pub struct Connection {
    pub team_id: String,
    pub team_name: String,
    /// Comma-separated, as Slack granted them.
    pub scopes: String,
    /// The bot token, sealed with the encryption key (`crypto`).
    pub token_sealed: String,
    pub connected_at: NaiveDateTime,
    /// When the people were last read in full.
    pub people_read_at: Option<NaiveDateTime>,
    /// A read is wanted (or running) since then.
    pub read_requested_at: Option<NaiveDateTime>,
    /// Why the last read failed, in words.
    pub read_error: Option<String>,
    /// People read so far by the running read, or by the last one.
    pub read_progress: i64,
}

fn connection(row: ConnectionRow) -> Connection {
    Connection {
        team_id: row.0,
        team_name: row.1,
        scopes: row.2,
        token_sealed: row.3,
        connected_at: row.4,
        people_read_at: row.5,
        read_requested_at: row.6,
        read_error: row.7,
        read_progress: row.8,
    }
}

pub fn find(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Option<Connection>> {
    Ok(slack_connections::table
        .find(workspace.0)
        .select(CONNECTION)
        .first::<ConnectionRow>(conn)
        .optional()?
        .map(connection))
}

/// What connecting stores.
pub struct NewConnection<'a> {
    pub team_id: &'a str,
    pub team_name: &'a str,
    pub bot_user_id: Option<&'a str>,
    pub scopes: &'a str,
    pub token_sealed: &'a str,
    pub connected_by: Option<i64>,
}

/// Connects (or reconnects) the workspace; the people are read again from scratch.
pub fn replace(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    new: &NewConnection<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let same_team = find(conn, workspace)?.is_some_and(|c| c.team_id == new.team_id);
    forget(conn, workspace)?;
    if !same_team {
        give_up_messages(conn, workspace, now)?;
    }
    diesel::insert_into(slack_connections::table)
        .values((
            slack_connections::workspace_id.eq(workspace.0),
            slack_connections::team_id.eq(new.team_id),
            slack_connections::team_name.eq(new.team_name),
            slack_connections::bot_user_id.eq(new.bot_user_id),
            slack_connections::scopes.eq(new.scopes),
            slack_connections::token_sealed.eq(new.token_sealed),
            slack_connections::connected_by.eq(new.connected_by),
            slack_connections::connected_at.eq(now),
            slack_connections::read_requested_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the connection and the people read through it. Returns whether there was one.
/// The other workspaces connected to the Slack workspace `team_id`: their URL names and sealed
/// tokens.
pub fn sealed_tokens_elsewhere(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    team_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    use crate::db::schema::workspaces;
    slack_connections::table
        .inner_join(workspaces::table.on(workspaces::id.eq(slack_connections::workspace_id)))
        .filter(slack_connections::team_id.eq(team_id))
        .filter(slack_connections::workspace_id.ne(workspace.0))
        .select((workspaces::slug, slack_connections::token_sealed))
        .load(conn)
}

pub fn forget(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<bool> {
    diesel::delete(slack_people::table.filter(slack_people::workspace_id.eq(workspace.0)))
        .execute(conn)?;
    Ok(diesel::delete(slack_connections::table.find(workspace.0)).execute(conn)? > 0)
}

/// Gives up the workspace's direct messages not sent yet: on a disconnect, or a connection to
/// another Slack team, one waiting for a retry must not go out through the next connection (one
/// being sent loses its lease).
pub fn give_up_messages(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        slack_messages::table
            .filter(slack_messages::workspace_id.eq(workspace.0))
            .filter(slack_messages::state.eq("queued")),
    )
    .set((
        slack_messages::state.eq("failed"),
        slack_messages::last_error.eq(Some("Slack was disconnected before it was sent.")),
        slack_messages::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Asks for the people to be read again (unless a read is already wanted). Returns whether it did.
pub fn request_read(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    Ok(diesel::update(
        slack_connections::table
            .find(workspace.0)
            .filter(slack_connections::read_requested_at.is_null()),
    )
    .set((
        slack_connections::read_requested_at.eq(Some(now)),
        slack_connections::read_error.eq(None::<String>),
    ))
    .execute(conn)?
        > 0)
}

/// A read this instance took on: the workspace, its sealed token, and the lease it holds.
#[derive(Debug, Clone)]
pub struct ClaimedRead {
    pub workspace: WorkspaceId,
    pub token_sealed: String,
    pub lease: NaiveDateTime,
}

/// Takes the oldest wanted read nobody is doing (or whose reader's lease ran out), leased until
/// `lease_until`. On PostgreSQL a row another instance is claiming is skipped.
pub fn claim_read(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<ClaimedRead>> {
    let lock = super::dialect::claim_lock(conn);
    let due = super::sql::sql::<Bool>(
        "slack_connections.workspace_id IN (SELECT workspace_id FROM slack_connections \
         WHERE read_requested_at <= ",
    )
    .bind::<Timestamp, _>(now)
    .sql(" AND (read_lease_until IS NULL OR read_lease_until <= ")
    .bind::<Timestamp, _>(now)
    .sql(") ORDER BY read_requested_at LIMIT ")
    .bind::<BigInt, _>(1)
    .sql(lock);
    let claimed: Option<(i64, String)> = diesel::update(slack_connections::table.filter(due))
        .set((
            slack_connections::read_lease_until.eq(Some(lease_until)),
            slack_connections::read_progress.eq(0),
        ))
        .returning((
            slack_connections::workspace_id,
            slack_connections::token_sealed,
        ))
        .get_result(conn)
        .optional()?;
    Ok(claimed.map(|(workspace, token_sealed)| ClaimedRead {
        workspace: WorkspaceId(workspace),
        token_sealed,
        lease: lease_until,
    }))
}

/// The connection row as long as `read`'s lease holds (a reconnect or disconnect ends it).
fn leased_read(
    read: &ClaimedRead,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<slack_connections::table, i64>,
    diesel::dsl::Eq<slack_connections::read_lease_until, Option<NaiveDateTime>>,
> {
    slack_connections::table
        .find(read.workspace.0)
        .filter(slack_connections::read_lease_until.eq(Some(read.lease)))
}

/// How far the running read is. Returns false when the lease is gone (stop reading).
pub fn set_progress(
    conn: &mut AnyConnection,
    read: &ClaimedRead,
    read_so_far: i64,
) -> QueryResult<bool> {
    Ok(diesel::update(leased_read(read))
        .set(slack_connections::read_progress.eq(read_so_far))
        .execute(conn)?
        > 0)
}

/// Replaces the workspace's people with what the read found. Returns false (and writes nothing)
/// when the lease is gone. Call inside a transaction.
pub fn finish_read(
    conn: &mut AnyConnection,
    read: &ClaimedRead,
    people: &[SlackPerson],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let done = diesel::update(leased_read(read))
        .set((
            slack_connections::people_read_at.eq(Some(now)),
            slack_connections::read_requested_at.eq(None::<NaiveDateTime>),
            slack_connections::read_lease_until.eq(None::<NaiveDateTime>),
            slack_connections::read_error.eq(None::<String>),
            slack_connections::read_progress.eq(people.len() as i64),
        ))
        .execute(conn)?;
    if done == 0 {
        return Ok(false);
    }
    diesel::delete(slack_people::table.filter(slack_people::workspace_id.eq(read.workspace.0)))
        .execute(conn)?;
    super::dialect::insert_slack_people(conn, read.workspace, people)?;
    Ok(true)
}

/// Ends a read that did not finish, with why (in words); it is tried again at `retry_at` (or not
/// until asked, for `None`).
pub fn fail_read(
    conn: &mut AnyConnection,
    read: &ClaimedRead,
    error: Option<&str>,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    // The people of the last read that finished stay listed: they are counted again (the read
    // that failed had counted its own from 0).
    let kept: i64 = slack_people::table
        .filter(slack_people::workspace_id.eq(read.workspace.0))
        .count()
        .get_result(conn)?;
    diesel::update(leased_read(read))
        .set((
            slack_connections::read_error.eq(error),
            slack_connections::read_requested_at.eq(retry_at),
            slack_connections::read_lease_until.eq(None::<NaiveDateTime>),
            slack_connections::read_progress.eq(kept),
        ))
        .execute(conn)?;
    Ok(())
}

/// A Slack person as the picker lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub slack_user_id: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub is_guest: bool,
}

type PersonRow = (String, String, String, String, String, bool);

columns!(
    PERSON = (
        slack_people::slack_user_id,
        slack_people::name,
        slack_people::first_name,
        slack_people::last_name,
        slack_people::email,
        slack_people::is_guest,
    )
);

fn person((slack_user_id, name, first_name, last_name, email, is_guest): PersonRow) -> Person {
    Person {
        slack_user_id,
        name,
        first_name,
        last_name,
        email,
        is_guest,
    }
}

/// The people whose name or address contains `query` (all for an empty one), by name: up to
/// `limit`, and how many match in all.
pub fn search(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    query: &str,
    limit: i64,
) -> QueryResult<(Vec<Person>, i64)> {
    let term = query.trim().to_lowercase();
    let contains = format!("{}(slack_people.search, ", super::dialect::position(conn));
    let matching = || {
        let mut q = slack_people::table
            .filter(slack_people::workspace_id.eq(workspace.0))
            .into_boxed();
        if !term.is_empty() {
            q = q.filter(
                super::sql::sql::<Bool>(contains.clone())
                    .bind::<diesel::sql_types::Text, _>(term.clone())
                    .sql(") > 0"),
            );
        }
        q
    };
    let rows: Vec<PersonRow> = matching()
        .order((slack_people::name, slack_people::slack_user_id))
        .limit(limit)
        .select(PERSON)
        .load(conn)?;
    let total = if (rows.len() as i64) < limit {
        rows.len() as i64
    } else {
        matching().count().get_result(conn)?
    };
    Ok((rows.into_iter().map(person).collect(), total))
}

/// The ids of every person matching `query` ("Select all N").
pub fn matching_ids(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    query: &str,
) -> QueryResult<Vec<String>> {
    let (people, _) = search(conn, workspace, query, i64::MAX / 2)?;
    Ok(people.into_iter().map(|p| p.slack_user_id).collect())
}

/// The people with these Slack ids (those not in the table are left out).
pub fn find_people(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[String],
) -> QueryResult<Vec<Person>> {
    in_chunks(ids, |chunk| {
        let rows: Vec<PersonRow> = slack_people::table
            .filter(slack_people::workspace_id.eq(workspace.0))
            .filter(slack_people::slack_user_id.eq_any(chunk))
            .order(slack_people::name)
            .select(PERSON)
            .load(conn)?;
        Ok(rows.into_iter().map(person).collect())
    })
}

// -------------------------------------------------------------------------------------------------
// Direct messages

leased_queue!(slack_messages, QueuedMessage, [text]);

/// A direct message being sent, leased like an email of the outbox.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub id: i64,
    pub workspace: WorkspaceId,
    pub slack_user_id: String,
    pub text: String,
    pub attempts: i64,
    pub lease: NaiveDateTime,
}

pub fn enqueue(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    slack_user_id: &str,
    text: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(slack_messages::table)
        .values((
            slack_messages::workspace_id.eq(workspace.0),
            slack_messages::slack_user_id.eq(slack_user_id),
            slack_messages::text.eq(text),
            slack_messages::next_attempt_at.eq(now),
            slack_messages::created_at.eq(now),
        ))
        .returning(slack_messages::id)
        .get_result(conn)
}

/// Takes up to `limit` due messages, leased until `lease_until` (see `outbox::claim_due`).
pub fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<QueuedMessage>> {
    let due = due(conn, now, limit);
    let rows: Vec<(i64, i64, String, String, i64)> =
        diesel::update(slack_messages::table.filter(due))
            .set(slack_messages::next_attempt_at.eq(lease_until))
            .returning((
                slack_messages::id,
                slack_messages::workspace_id,
                slack_messages::slack_user_id,
                slack_messages::text,
                slack_messages::attempts,
            ))
            .get_results(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, workspace, slack_user_id, text, attempts)| QueuedMessage {
                id,
                workspace: WorkspaceId(workspace),
                slack_user_id,
                text,
                attempts,
                lease: lease_until,
            },
        )
        .collect())
}
