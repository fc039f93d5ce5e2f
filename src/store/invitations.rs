//! Pending invitations: the token hash, what to grant on accept, and the delivery of the email.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::outbox::Delivery;
use super::{AnyConnection, QueryResult, stored_permissions};
use crate::db::schema::{
    accounts, invitation_apps, invitation_groups, invitations, memberships, outbox_emails, roles,
    workspaces,
};
use crate::domain::ids::{AccountId, MembershipId, RoleId, WorkspaceId};
use crate::domain::role::PermissionSet;

pub struct NewInvitation<'a> {
    pub workspace_id: WorkspaceId,
    pub membership_id: MembershipId,
    pub email: &'a str,
    pub token_hash: &'a str,
    pub invited_by: Option<AccountId>,
    pub expires_at: NaiveDateTime,
    pub outbox_email_id: i64,
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewInvitation<'_>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(invitations::table)
        .values((
            invitations::workspace_id.eq(new.workspace_id.0),
            invitations::membership_id.eq(new.membership_id.0),
            invitations::email.eq(new.email),
            invitations::token_hash.eq(new.token_hash),
            invitations::invited_by.eq(new.invited_by.map(|a| a.0)),
            invitations::expires_at.eq(new.expires_at),
            invitations::sent_count.eq(1),
            invitations::last_sent_at.eq(Some(now)),
            invitations::outbox_email_id.eq(Some(new.outbox_email_id)),
            invitations::created_at.eq(now),
        ))
        .returning(invitations::id)
        .get_result(conn)
}

/// Multi-row inserts are not available across both backends; these are a handful of rows.
pub fn add_grants(
    conn: &mut AnyConnection,
    invitation: i64,
    group_ids: &[i64],
    app_ids: &[i64],
    app_level: &str,
) -> QueryResult<()> {
    for group in group_ids {
        diesel::insert_into(invitation_groups::table)
            .values((
                invitation_groups::invitation_id.eq(invitation),
                invitation_groups::group_id.eq(*group),
            ))
            .execute(conn)?;
    }
    for app in app_ids {
        diesel::insert_into(invitation_apps::table)
            .values((
                invitation_apps::invitation_id.eq(invitation),
                invitation_apps::app_id.eq(*app),
                invitation_apps::level.eq(app_level),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What an invitation grants on accept: group ids, and (app id, level).
pub type InvitationGrants = (Vec<i64>, Vec<(i64, String)>);

pub fn grants(conn: &mut AnyConnection, invitation: i64) -> QueryResult<InvitationGrants> {
    let groups = invitation_groups::table
        .filter(invitation_groups::invitation_id.eq(invitation))
        .select(invitation_groups::group_id)
        .load(conn)?;
    let apps = invitation_apps::table
        .filter(invitation_apps::invitation_id.eq(invitation))
        .select((invitation_apps::app_id, invitation_apps::level))
        .load(conn)?;
    Ok((groups, apps))
}

/// An invitation as its link and its row actions need it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub workspace_slug: String,
    pub membership_id: MembershipId,
    pub account_id: AccountId,
    pub email: String,
    pub role_id: RoleId,
    pub role_name: String,
    pub role_permissions: PermissionSet,
    pub inviter: Option<String>,
    pub expires_at: NaiveDateTime,
    pub last_sent_at: Option<NaiveDateTime>,
    /// The latest email sent for it (cancelled if still queued when the link dies).
    pub outbox_email_id: Option<i64>,
    /// True when the account already has a password (the person signs in to accept).
    pub account_registered: bool,
    /// The names the account has already (an import gave them): the form to accept starts with
    /// them.
    pub names: (String, String),
}

type Row = (
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    String,
    i64,
    String,
    String,
    Option<i64>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<i64>,
    (String, String),
);

/// The pending invitation with this token hash (expired ones included: the caller checks).
pub fn find_by_token_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> QueryResult<Option<Invitation>> {
    find(conn, By::TokenHash(token_hash))
}

/// A pending invitation of this workspace.
pub fn find_in_workspace(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
) -> QueryResult<Option<Invitation>> {
    find(conn, By::Id(workspace, id))
}

enum By<'a> {
    TokenHash(&'a str),
    Id(WorkspaceId, i64),
    /// A page of a workspace's pending invitations, oldest first, after this id.
    Page(WorkspaceId, i64, i64),
}

fn find(conn: &mut AnyConnection, by: By<'_>) -> QueryResult<Option<Invitation>> {
    Ok(load(conn, by)?.pop())
}

/// A page of the workspace's pending invitations (expired ones included), by id, after `after`.
pub fn pending_page(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Invitation>> {
    load(conn, By::Page(workspace, after, limit))
}

fn load(conn: &mut AnyConnection, by: By<'_>) -> QueryResult<Vec<Invitation>> {
    let mut query = invitations::table
        .inner_join(
            memberships::table
                .inner_join(roles::table)
                .inner_join(accounts::table),
        )
        .inner_join(workspaces::table)
        .filter(memberships::status.eq("invited"))
        .select((
            invitations::id,
            workspaces::id,
            workspaces::name,
            workspaces::slug,
            memberships::id,
            accounts::id,
            invitations::email,
            roles::id,
            roles::name,
            roles::permissions,
            invitations::invited_by,
            invitations::expires_at,
            invitations::last_sent_at,
            accounts::password_hash,
            invitations::outbox_email_id,
            (accounts::first_name, accounts::last_name),
        ))
        .into_boxed();
    query = match by {
        By::TokenHash(hash) => query
            .filter(invitations::token_hash.eq(hash.to_owned()))
            .limit(1),
        By::Id(workspace, id) => query
            .filter(invitations::id.eq(id))
            .filter(invitations::workspace_id.eq(workspace.0))
            .limit(1),
        By::Page(workspace, after, limit) => query
            .filter(invitations::workspace_id.eq(workspace.0))
            .filter(invitations::id.gt(after))
            .order(invitations::id)
            .limit(limit),
    };
    let rows: Vec<Row> = query.load(conn)?;
    let inviter_ids: Vec<i64> = rows.iter().filter_map(|r| r.10).collect();
    let inviters: Vec<(i64, String, String, String)> = if inviter_ids.is_empty() {
        Vec::new()
    } else {
        accounts::table
            .filter(accounts::id.eq_any(&inviter_ids))
            .select((
                accounts::id,
                accounts::first_name,
                accounts::last_name,
                accounts::email,
            ))
            .load(conn)?
    };
    rows.into_iter()
        .map(|row| {
            let inviter = row.10.and_then(|by| {
                inviters
                    .iter()
                    .find(|i| i.0 == by)
                    .map(|(_, f, l, e)| crate::domain::names::display_name(f, l, e))
            });
            Ok(Invitation {
                id: row.0,
                workspace_id: WorkspaceId(row.1),
                workspace_name: row.2,
                workspace_slug: row.3,
                membership_id: MembershipId(row.4),
                account_id: AccountId(row.5),
                email: row.6,
                role_id: RoleId(row.7),
                role_name: row.8,
                role_permissions: stored_permissions(&row.9)?,
                inviter,
                expires_at: row.11,
                last_sent_at: row.12,
                account_registered: row.13.is_some(),
                outbox_email_id: row.14,
                names: row.15,
            })
        })
        .collect()
}

/// A new token (the old link stops working), a new expiry, and the new email.
/// `sent_to`: the address the new email went to; false (nothing changed) when the invitation
/// names another one by now (its address changed meanwhile: the email must not go).
pub fn renew(
    conn: &mut AnyConnection,
    (id, sent_to): (i64, &str),
    token_hash: &str,
    expires_at: NaiveDateTime,
    outbox_email_id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let renewed = diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::email.eq(sent_to)),
    )
    .set((
        invitations::token_hash.eq(token_hash),
        invitations::expires_at.eq(expires_at),
        invitations::sent_count.eq(invitations::sent_count + 1),
        invitations::last_sent_at.eq(Some(now)),
        invitations::outbox_email_id.eq(Some(outbox_email_id)),
    ))
    .execute(conn)?;
    Ok(renewed == 1)
}

/// The account's address changed: its pending invitations now name the new one, and the links
/// sent to the old one stop working. Returns them: (id, workspace).
pub fn readdress(
    conn: &mut AnyConnection,
    account: AccountId,
    email: &str,
) -> QueryResult<Vec<(i64, WorkspaceId)>> {
    let sent: Vec<(i64, i64, Option<i64>)> = invitations::table
        .inner_join(memberships::table)
        .filter(memberships::account_id.eq(account.0))
        .select((
            invitations::id,
            invitations::workspace_id,
            invitations::outbox_email_id,
        ))
        .load(conn)?;
    for &(id, _, queued) in &sent {
        // Its email to the old address, if still waiting to go, does not go.
        if let Some(queued) = queued {
            super::outbox::cancel(conn, queued, "cancelled: the address changed")?;
        }
        let unknown = crate::tokens::hash_token(&crate::tokens::new_token());
        diesel::update(invitations::table.find(id))
            .set((
                invitations::email.eq(email),
                invitations::token_hash.eq(unknown),
            ))
            .execute(conn)?;
    }
    Ok(sent
        .into_iter()
        .map(|(id, workspace, _)| (id, WorkspaceId(workspace)))
        .collect())
}

pub fn delete(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::delete(invitations::table.find(id)).execute(conn)?;
    Ok(())
}

/// Up to `limit` invitations past their expiry: (id, workspace).
pub fn expired(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(i64, WorkspaceId)>> {
    let rows: Vec<(i64, i64)> = invitations::table
        .filter(invitations::expires_at.le(now))
        .select((invitations::id, invitations::workspace_id))
        .order(invitations::expires_at)
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, w)| (id, WorkspaceId(w)))
        .collect())
}

/// What the list shows beside a pending member.
#[derive(Debug, Clone)]
pub struct PendingInfo {
    pub membership_id: MembershipId,
    pub invitation_id: i64,
    pub sent_count: i64,
    pub last_sent_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
    pub delivery: Delivery,
}

/// A group or an app an invitation may give on accepting.
#[derive(Debug, Clone, Copy)]
pub enum Chosen {
    Group(i64),
    App(i64),
}

/// How many pending invitations (not expired at `now`) give `chosen` on accepting (deleting it
/// takes it from them).
pub fn choosing(conn: &mut AnyConnection, chosen: Chosen, now: NaiveDateTime) -> QueryResult<i64> {
    let live = invitations::expires_at.gt(now);
    match chosen {
        Chosen::Group(id) => invitation_groups::table
            .inner_join(invitations::table)
            .filter(invitation_groups::group_id.eq(id))
            .filter(live)
            .count()
            .get_result(conn),
        Chosen::App(id) => invitation_apps::table
            .inner_join(invitations::table)
            .filter(invitation_apps::app_id.eq(id))
            .filter(live)
            .count()
            .get_result(conn),
    }
}

pub fn pending_for(
    conn: &mut AnyConnection,
    memberships: &[MembershipId],
) -> QueryResult<Vec<PendingInfo>> {
    if memberships.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = memberships.iter().map(|m| m.0).collect();
    type Row = (
        i64,
        i64,
        i64,
        Option<NaiveDateTime>,
        NaiveDateTime,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = invitations::table
        .left_join(outbox_emails::table)
        .filter(invitations::membership_id.eq_any(ids))
        .select((
            invitations::membership_id,
            invitations::id,
            invitations::sent_count,
            invitations::last_sent_at,
            invitations::expires_at,
            outbox_emails::state.nullable(),
            outbox_emails::attempts.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(membership, id, sent_count, last_sent_at, expires_at, state, attempts)| PendingInfo {
                membership_id: MembershipId(membership),
                invitation_id: id,
                sent_count,
                last_sent_at,
                expires_at,
                delivery: Delivery::of(state.as_deref().unwrap_or("queued"), attempts.unwrap_or(0)),
            },
        )
        .collect())
}
