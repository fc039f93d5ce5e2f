//! A workspace's API keys: only the SHA-256 of each secret is kept.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::{accounts, api_keys, memberships, roles};
use crate::domain::api_key::KeyState;
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus, OrgRole};
use crate::domain::policy::{self, AccessRefused};
use crate::domain::role::PermissionSet;

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// The first characters of the secret (`ack_AbCdEfGh`).
    pub prefix: String,
    pub scopes: PermissionSet,
    pub created_by: Option<AccountId>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub last_used_ip: Option<String>,
}

impl ApiKey {
    pub fn state(&self, now: NaiveDateTime) -> KeyState {
        KeyState::of(self.revoked_at, self.expires_at, now)
    }
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    Option<i64>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

columns!(
    COLUMNS = (
        api_keys::id,
        api_keys::workspace_id,
        api_keys::name,
        api_keys::prefix,
        api_keys::scopes,
        api_keys::created_by,
        api_keys::created_at,
        api_keys::expires_at,
        api_keys::revoked_at,
        api_keys::last_used_at,
        api_keys::last_used_ip,
    )
);

fn key(row: Row) -> ApiKey {
    ApiKey {
        id: row.0,
        workspace_id: WorkspaceId(row.1),
        name: row.2,
        prefix: row.3,
        // Scopes are written from the catalogue; a key naming one that no longer exists holds
        // the rest (an unknown key is dropped, never widened).
        scopes: row
            .4
            .split_whitespace()
            .filter_map(crate::domain::role::Permission::from_key)
            .collect(),
        created_by: row.5.map(AccountId),
        created_at: row.6,
        expires_at: row.7,
        revoked_at: row.8,
        last_used_at: row.9,
        last_used_ip: row.10,
    }
}

pub struct NewKey<'a> {
    pub workspace: WorkspaceId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: PermissionSet,
    pub created_by: Option<AccountId>,
    pub expires_at: Option<NaiveDateTime>,
    /// The mark of the form that asks for it, unique: the same form twice makes one key.
    pub form_mark: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, new: &NewKey<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::workspace_id.eq(new.workspace.0),
            api_keys::name.eq(new.name),
            api_keys::prefix.eq(new.prefix),
            api_keys::key_hash.eq(new.key_hash),
            api_keys::scopes.eq(new.scopes.to_keys()),
            api_keys::created_by.eq(new.created_by.map(|a| a.0)),
            api_keys::created_at.eq(now),
            api_keys::expires_at.eq(new.expires_at),
            api_keys::form_mark.eq(new.form_mark),
        ))
        .returning(api_keys::id)
        .get_result(conn)
}

pub fn find(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::id.eq(id))
        .filter(api_keys::workspace_id.eq(workspace.0))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()
        .map(|row| row.map(key))
}

/// The key whose secret hashes to `key_hash`, whatever its state.
pub fn find_by_hash(conn: &mut AnyConnection, key_hash: &str) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()
        .map(|row| row.map(key))
}

/// The person who made a key, as the list shows them: a key outlives its creator's block or
/// removal, and the list says so for an Owner to review.
#[derive(Debug, Clone)]
pub struct Creator {
    pub name: String,
    pub email: String,
    /// What they may do in the workspace now (blocked, suspended, no longer a member: refused).
    pub now: Result<PermissionSet, AccessRefused>,
}

pub struct Listed {
    pub key: ApiKey,
    /// `None`: made at the command line, or by an account since deleted.
    pub creator: Option<Creator>,
}

/// The workspace's keys, newest first, with their creators.
pub fn list(conn: &mut AnyConnection, workspace: WorkspaceId) -> QueryResult<Vec<Listed>> {
    let keys: Vec<ApiKey> = api_keys::table
        .filter(api_keys::workspace_id.eq(workspace.0))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .select(COLUMNS)
        .load::<Row>(conn)?
        .into_iter()
        .map(key)
        .collect();
    let creators: Vec<i64> = keys
        .iter()
        .filter_map(|k| k.created_by.map(|a| a.0))
        .collect();
    let people: Vec<(i64, String, String, String, String, String)> = accounts::table
        .filter(accounts::id.eq_any(&creators))
        .select((
            accounts::id,
            accounts::email,
            accounts::first_name,
            accounts::last_name,
            accounts::status,
            accounts::org_role,
        ))
        .load(conn)?;
    let memberships: Vec<(i64, String, String)> = memberships::table
        .inner_join(roles::table)
        .filter(memberships::workspace_id.eq(workspace.0))
        .filter(memberships::account_id.eq_any(&creators))
        .select((
            memberships::account_id,
            memberships::status,
            roles::permissions,
        ))
        .load(conn)?;
    Ok(keys
        .into_iter()
        .map(|key| {
            let creator = key.created_by.and_then(|by| {
                let (_, email, first, last, status, org_role) =
                    people.iter().find(|p| p.0 == by.0)?;
                let membership = memberships.iter().find(|m| m.0 == by.0).and_then(|m| {
                    Some((
                        MembershipStatus::from_key(&m.1)?,
                        PermissionSet::parse(&m.2).ok()?,
                    ))
                });
                Some(Creator {
                    name: crate::domain::names::display_name(first, last, email),
                    email: email.clone(),
                    now: policy::workspace_permissions(
                        AccountStatus::from_key(status)?,
                        OrgRole::from_key(org_role)?,
                        membership,
                    ),
                })
            });
            Listed { key, creator }
        })
        .collect())
}

/// Revokes a live key; false when it was already revoked.
pub fn revoke(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(api_keys::table)
        .filter(api_keys::id.eq(id))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::revoked_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
}

/// Records a use, unless one was recorded less than a minute ago (checked again in the statement,
/// so instances racing write once).
pub fn record_use(
    conn: &mut AnyConnection,
    id: i64,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let since = now - Duration::minutes(1);
    diesel::update(api_keys::table)
        .filter(api_keys::id.eq(id))
        .filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.le(since)),
        )
        .set((
            api_keys::last_used_at.eq(now),
            api_keys::last_used_ip.eq(ip),
        ))
        .execute(conn)
        .map(|_| ())
}
