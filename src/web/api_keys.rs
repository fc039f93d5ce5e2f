//! `/w/{slug}/settings/api-keys` (issue 16): the workspace's API keys. Those holding
//! `api_keys.manage` create them (the secret is shown once, on the answer to the form) and revoke
//! them; auditors read the list. A key outlives its creator: the list marks keys whose creator
//! could no longer make them (blocked, suspended, no longer a member, or their role no longer
//! holds the key's scopes), for an Owner to review.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::read_page;
use super::auth::{Chrome, WorkspaceAccess};
use super::confirm::{self, Confirmation};
use super::error::AppError;
use super::forms::{FieldErrors, HtmlForm};
use super::htmx::render_with_status;
use super::{AppState, blocking, views};
use crate::domain::Name;
use crate::domain::api_key::{self, KeyState};
use crate::domain::role::Permission;
use crate::services::api_keys::{self as service, ApiKeyError, NewKeyInput};
use crate::store::api_keys::{self, Listed};

/// The form of a new key, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    pub name: String,
    /// The ticked scopes' keys (a repeated field).
    pub scope: Vec<String>,
    /// Empty: never expires.
    pub expires_in_days: String,
    /// The form's one-time mark. Without JavaScript, reloading the page that shows a new key's
    /// secret sends the form again; a double click sends it twice at once: the mark, kept with the
    /// key it made (unique), makes no second key.
    pub once: String,
}

impl KeyForm {
    fn parse(
        &self,
        access: &WorkspaceAccess,
        now: chrono::NaiveDateTime,
        errors: &mut FieldErrors,
    ) -> Option<NewKeyInput> {
        let name = errors.check("name", Name::parse(&self.name));
        let scopes = errors.check("scope", api_key::scopes(&self.scope, access.permissions));
        let expires_at = errors.check(
            "expires_in_days",
            api_key::expiry(&self.expires_in_days, now),
        );
        Some(NewKeyInput {
            name: name?,
            scopes: scopes?,
            expires_at: expires_at?,
            form_mark: Some(self.once.trim())
                .filter(|mark| !mark.is_empty())
                .map(str::to_owned),
        })
    }
}

impl From<ApiKeyError> for AppError {
    fn from(e: ApiKeyError) -> Self {
        match e {
            ApiKeyError::NotFound => AppError::NotFound,
            ApiKeyError::AlreadyRevoked | ApiKeyError::SentAlready => {
                AppError::Conflict(e.to_string())
            }
            ApiKeyError::Refused(why) => AppError::Forbidden(why),
            ApiKeyError::Database(e) => e.into(),
        }
    }
}

/// One scope checkbox: every catalogue permission the viewer may give a key.
pub struct ScopeBox {
    pub key: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

/// One key as the list shows it.
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<&'static str>,
    pub created_by: String,
    /// "Creator blocked", "Creator suspended"…: why the key calls for a review (`None`: it does
    /// not).
    pub creator_warning: Option<&'static str>,
    pub created: (String, String),
    /// "3 minutes ago from 203.0.113.9", or "Never".
    pub last_used: String,
    pub expires: String,
    pub state: KeyState,
}

impl KeyRow {
    fn of(
        listed: Listed,
        now: chrono::NaiveDateTime,
        zone: crate::domain::timezone::Timezone,
    ) -> Self {
        let Listed { key, creator } = listed;
        // Only a key that still works calls for a review.
        let creator_warning = creator
            .as_ref()
            .filter(|_| key.state(now) == KeyState::Live)
            .and_then(|c| api_key::creator_warning(key.scopes, c.now));
        Self {
            id: key.id,
            state: key.state(now),
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes.iter().map(Permission::key).collect(),
            created_by: creator.map_or_else(|| "Command line".to_owned(), |c| c.name),
            creator_warning,
            created: views::date(key.created_at, zone),
            last_used: match key.last_used_at {
                Some(at) => {
                    let from = key
                        .last_used_ip
                        .map(|ip| format!(" from {ip}"))
                        .unwrap_or_default();
                    format!("{}{from}", views::relative(at, now, zone))
                }
                None => "Never".to_owned(),
            },
            expires: key
                .expires_at
                .map_or_else(|| "Never".to_owned(), |at| views::local_date(at, zone)),
        }
    }
}

#[derive(Template)]
#[template(path = "api_keys/list.html")]
struct ListPage {
    chrome: Chrome,
    slug: String,
    keys: Vec<KeyRow>,
    can_manage: bool,
    boxes: Vec<ScopeBox>,
    form: KeyForm,
    errors: FieldErrors,
    /// The key just made: (name, secret), shown this once.
    created: Option<(String, String)>,
    /// A new mark for the form (see [`KeyForm::once`]).
    once: String,
}

async fn render(
    state: &AppState,
    access: &WorkspaceAccess,
    form: KeyForm,
    errors: FieldErrors,
    created: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let workspace = access.workspace.id;
    let now = state.settings.clock.now();
    let (keys, chrome) = read_page(state, access, "settings", move |conn| {
        Ok(api_keys::list(conn, workspace)?)
    })
    .await?;
    let boxes = api_key::offered(access.permissions)
        .map(|p| ScopeBox {
            key: p.key(),
            description: p.description(),
            checked: form.scope.iter().any(|k| k == p.key()),
        })
        .collect();
    let page = ListPage {
        chrome,
        slug: access.workspace.slug.clone(),
        keys: keys
            .into_iter()
            .map(|k| KeyRow::of(k, now, access.signed_in.zone()))
            .collect(),
        can_manage: access.can(Permission::ApiKeysManage),
        boxes,
        form,
        errors,
        created,
        once: crate::tokens::new_token(),
    };
    let mut response = render_with_status(status, &page)?;
    // The page may hold a secret: never kept by a browser or a proxy.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Who may read the list: those who manage keys, and auditors (who read everything).
fn may_read(access: &WorkspaceAccess) -> Result<(), AppError> {
    access.require_any(&[Permission::ApiKeysManage, Permission::AuditView])
}

/// `/w/{slug}/api-keys`, the address PRODUCT names: the keys' page is under Settings.
pub async fn moved(access: WorkspaceAccess) -> Result<HttpResponse, AppError> {
    may_read(&access)?;
    Ok(super::error::redirect(&format!(
        "/w/{}/settings/api-keys",
        access.workspace.slug
    )))
}

pub async fn list(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    may_read(&access)?;
    render(
        &state,
        &access,
        KeyForm::default(),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// Makes a key and answers with the list and the secret, shown this once (not a redirect: the
/// secret is never stored, not even in the session). Where scripts run the form is sent by htmx,
/// so that a reload lists the keys rather than sends the form again.
pub async fn create(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<KeyForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::ApiKeysManage)?;
    let form = form.0;
    let now = state.settings.clock.now();
    let mut errors = FieldErrors::default();
    let Some(input) = form.parse(&access, now, &mut errors) else {
        return render(
            &state,
            &access,
            form,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (actor, account, workspace) = (
        access.signed_in.actor(),
        access.signed_in.account.id,
        access.workspace.id,
    );
    let name = input.name.to_string();
    let created = blocking(&state, move |conn| {
        Ok(service::create(
            conn,
            &actor,
            Some(account),
            workspace,
            &input,
            now,
        ))
    })
    .await?;
    let created = match created {
        // Sent before (a reload, a double click): said above the form, emptied.
        Err(e @ ApiKeyError::SentAlready) => {
            errors.add("name", e);
            let status = StatusCode::CONFLICT;
            return render(&state, &access, KeyForm::default(), errors, None, status).await;
        }
        other => other?,
    };
    render(
        &state,
        &access,
        KeyForm::default(),
        FieldErrors::default(),
        Some((name, created.secret)),
        StatusCode::CREATED,
    )
    .await
}

pub async fn confirm_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::ApiKeysManage)?;
    let (workspace, id) = (access.workspace.id, path.1);
    let key = blocking(&state, move |conn| Ok(service::find(conn, workspace, id)?)).await?;
    let base = format!("/w/{}/settings/api-keys", access.workspace.slug);
    let now = state.settings.clock.now();
    let live = key.state(now) == KeyState::Live;
    let message = if live {
        format!(
            "Scripts and integrations using {}… stop working at once: their next request \
             is refused (401). This cannot be undone; a new key can be made at any time.",
            key.prefix
        )
    } else {
        format!(
            "This key is {} already.",
            key.state(now).label().to_lowercase()
        )
    };
    let confirmation = Confirmation::dangerous(
        &access,
        format!("Revoke the API key {}?", key.name),
        message,
        (key.revoked_at.is_none()).then(|| format!("{base}/{id}/revoke")),
        "Revoke key",
        base,
    );
    confirm::render(&req, &state, &access, "settings", confirmation).await
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::ApiKeysManage)?;
    let (actor, workspace, id) = (access.signed_in.actor(), access.workspace.id, path.1);
    let now = state.settings.clock.now();
    let key = blocking(&state, move |conn| {
        Ok(service::revoke(conn, &actor, workspace, id, now)?)
    })
    .await?;
    confirm::deleted(
        &req,
        &access,
        &format!("API key {} revoked.", key.name),
        "settings/api-keys",
    )
}
