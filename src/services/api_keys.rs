//! Workspace API keys (issue 16): made and revoked with their audit events, and the key behind a
//! bearer secret. A key belongs to the workspace and acts as itself: the audit log names it.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::{self, AnyConnection, Lock};
use crate::domain::Name;
use crate::domain::api_key::{self, KeyState};
use crate::domain::ids::{AccountId, WorkspaceId};
use crate::domain::role::{Permission, PermissionSet};
pub use crate::store::api_keys::ApiKey;
use crate::store::api_keys::{self, NewKey};
use crate::store::audit::{self, Actor};
use crate::store::workspaces::{self, Workspace};
use crate::tokens;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("That API key does not exist.")]
    NotFound,
    #[error("This API key is revoked already.")]
    AlreadyRevoked,
    /// The form that asks for it made a key already (sent twice: a reload, a double click).
    #[error(
        "This form was sent already: its key was made, and its secret shown once. If you did not \
         copy it, revoke that key below and create another."
    )]
    SentAlready,
    /// The sender no longer holds what the change takes (read again under its lock).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// A new key's fields, parsed.
pub struct NewKeyInput {
    pub name: Name,
    pub scopes: PermissionSet,
    pub expires_at: Option<NaiveDateTime>,
    /// The mark of the form that asks (see `web::api_keys::KeyForm::once`); none for the command
    /// line.
    pub form_mark: Option<String>,
}

/// The key made, with its secret: shown once, then only its hash remains.
pub struct Created {
    pub id: i64,
    pub secret: String,
}

/// The key as an audit event's subject.
fn subject<'a>(workspace: WorkspaceId, id: i64, name: &'a str) -> audit::Subject<'a> {
    audit::Subject {
        workspace,
        kind: "api_key",
        id,
        label: name,
    }
}

/// Who the audit log names when a key acts: the key itself, by name and by the first characters
/// of its secret, which the keys page shows too (names need not be unique: after a leak, the log
/// tells the leaked key from its replacement of the same name).
pub fn actor(key: &ApiKey, ip: Option<String>) -> Actor {
    Actor {
        account_id: None,
        label: format!("API key '{}' ({})", key.name, key.prefix),
        address: None,
        ip,
    }
}

/// Who the audit log names when a key provisions through SCIM: "SCIM (key name, ack_AbCdEfGh)".
pub fn scim_actor(key: &ApiKey, ip: Option<String>) -> Actor {
    Actor {
        account_id: None,
        label: format!("SCIM ({}, {})", key.name, key.prefix),
        address: None,
        ip,
    }
}

pub fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    created_by: Option<AccountId>,
    workspace: WorkspaceId,
    input: &NewKeyInput,
    now: NaiveDateTime,
) -> Result<Created, ApiKeyError> {
    let secret = format!("{}{}", api_key::SECRET_PREFIX, tokens::new_token());
    let prefix = api_key::shown_part(&secret);
    let hash = tokens::hash_token(&secret);
    let id = db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        // A key holds no scope its creator does not hold now.
        if let Some(held) = still_manages(conn, actor, workspace)?
            && !input.scopes.is_subset_of(held)
        {
            return Err(ApiKeyError::Refused(
                "Your role no longer holds every scope ticked: nothing was created.".to_owned(),
            ));
        }
        let new = NewKey {
            workspace,
            name: input.name.as_str(),
            prefix,
            key_hash: &hash,
            scopes: input.scopes,
            created_by,
            expires_at: input.expires_at,
            form_mark: input.form_mark.as_deref(),
        };
        let id = api_keys::insert(conn, &new, now).map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                ApiKeyError::SentAlready
            } else {
                e.into()
            }
        })?;
        audit::record_about(
            conn,
            actor,
            &subject(workspace, id, input.name.as_str()),
            "api_key.created",
            json!({
                "prefix": prefix,
                "scopes": input.scopes.iter().map(|p| p.key()).collect::<Vec<_>>(),
                "expires_at": input.expires_at.map(|at| at.to_string()),
            }),
            now,
        )?;
        Ok::<_, ApiKeyError>(id)
    })?;
    Ok(Created { id, secret })
}

/// What the sender holds now, if they still manage the workspace's keys (see
/// `services::held`; `None`: a sender who is nobody, the command line).
fn still_manages(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
) -> Result<Option<PermissionSet>, ApiKeyError> {
    super::held::still_holds(conn, actor, workspace, Permission::ApiKeysManage)?
        .map_err(ApiKeyError::Refused)
}

pub fn find(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
) -> Result<ApiKey, ApiKeyError> {
    api_keys::find(conn, workspace, id)?.ok_or(ApiKeyError::NotFound)
}

/// Revokes a key at once: its next request answers 401. Returns it as it was.
pub fn revoke(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: WorkspaceId,
    id: i64,
    now: NaiveDateTime,
) -> Result<ApiKey, ApiKeyError> {
    db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
        still_manages(conn, actor, workspace)?;
        let key = find(conn, workspace, id)?;
        if !api_keys::revoke(conn, key.id, now)? {
            return Err(ApiKeyError::AlreadyRevoked);
        }
        audit::record_about(
            conn,
            actor,
            &subject(workspace, key.id, &key.name),
            "api_key.revoked",
            json!({ "prefix": key.prefix }),
            now,
        )?;
        Ok(key)
    })
}

/// The live key behind `secret` and its workspace, its use recorded (at most once a minute);
/// `None` for a secret that is unknown, revoked or expired — all alike to the caller.
pub fn authenticate(
    conn: &mut AnyConnection,
    secret: &str,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Option<(ApiKey, Workspace)>, diesel::result::Error> {
    let Some(key) = api_keys::find_by_hash(conn, &tokens::hash_token(secret))? else {
        return Ok(None);
    };
    if key.state(now) != KeyState::Live {
        return Ok(None);
    }
    if api_key::should_record_use(key.last_used_at, now) {
        api_keys::record_use(conn, key.id, ip, now)?;
    }
    Ok(workspaces::find(conn, key.workspace_id)?.map(|w| (key, w)))
}
