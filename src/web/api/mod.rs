//! The JSON API (`/api/v1`, issue 16): a workspace API key in `Authorization: Bearer ack_…`
//! names the workspace and what may be done (its scopes). No session is read here, so no cookie
//! can make a request count (no CSRF surface). The handlers call the same services as the pages,
//! judged by the same policy; errors answer as RFC 9457 problem details.

pub mod audit;
pub mod groups;
pub mod idempotency;
pub mod invitations;
pub mod openapi;
pub mod paging;
pub mod problem;
pub mod users;
pub mod workspace;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use serde::Serialize;

pub use problem::Problem;

use super::auth::client_ip;
use super::{AppState, blocking};
use crate::db::AnyConnection;
use crate::domain::api_key::{self, RateWindow};
use crate::domain::ids::WorkspaceId;
use crate::domain::membership::OrgRole;
use crate::domain::policy::{self, MemberAction, Refusal, Viewer};
use crate::domain::role::{Permission, PermissionSet};
use crate::services::api_keys as keys;
use crate::services::api_keys::ApiKey;
use crate::services::audit::Actor;
use crate::services::console::Acting;
use crate::services::workspaces::Workspace;

/// Each key's requests in the current minute, on this instance.
#[derive(Default)]
pub struct RateLimits(Mutex<HashMap<i64, RateWindow>>);

impl RateLimits {
    fn admit(&self, key: i64, now: chrono::NaiveDateTime, limit: u32) -> Result<(), i64> {
        let mut windows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            // Keys gone quiet: their windows are over anyway.
            windows.retain(|_, w| now - w.started < chrono::Duration::minutes(1));
        }
        windows
            .entry(key)
            .or_insert_with(|| RateWindow::new(now))
            .admit(now, limit)
    }
}

/// A live API key and its workspace: who asks.
pub struct ApiKeyAuth {
    pub key: ApiKey,
    pub workspace: Workspace,
    pub ip: Option<String>,
}

impl ApiKeyAuth {
    async fn extract(req: HttpRequest) -> Result<Self, Problem> {
        let Some(secret) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(api_key::bearer_secret)
            .map(str::to_owned)
        else {
            return Err(Problem::unauthorized());
        };
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| Problem::internal(anyhow::anyhow!("application state missing")))?
            .clone();
        let ip = client_ip(&req);
        let now = state.settings.clock.now();
        let used_from = ip.clone();
        let found = blocking(&state, move |conn| {
            Ok(keys::authenticate(
                conn,
                &secret,
                used_from.as_deref(),
                now,
            )?)
        })
        .await?;
        let Some((key, workspace)) = found else {
            return Err(Problem::unauthorized());
        };
        super::observe::LoggedActor::ApiKey(key.id).mark(&req);
        if let Err(wait) = state
            .api_rates
            .admit(key.id, now, state.settings.api_rate_limit)
        {
            return Err(Problem::too_many_requests(wait));
        }
        Ok(Self { key, workspace, ip })
    }

    /// Refuses with 403 naming the scope unless the key holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if self.key.scopes.contains(permission) {
            Ok(())
        } else {
            Err(Problem::missing_scope(permission))
        }
    }

    /// The key as the policy sees it: nobody's account, no org role, its scopes as permissions.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            account: None,
            org_role: OrgRole::Member,
            permissions: self.key.scopes,
        }
    }

    /// Refuses unless the key may attempt `action` at all (the policy's first question; a missing
    /// scope is named).
    pub fn attempt(&self, action: MemberAction) -> Result<(), Problem> {
        match policy::may_attempt(&self.viewer(), action) {
            Ok(()) => Ok(()),
            Err(Refusal::Lacks(permission)) => Err(Problem::missing_scope(permission)),
            Err(other) => Err(Problem::from(&other)),
        }
    }

    pub fn actor(&self) -> Actor {
        keys::actor(&self.key, self.ip.clone())
    }

    /// Runs `f` on the blocking pool with the key as the acting party in its workspace.
    pub async fn with_acting<T: Send + 'static>(
        &self,
        state: &AppState,
        f: impl FnOnce(&mut AnyConnection, &Acting<'_>, WorkspaceId) -> Result<T, Problem>
        + Send
        + 'static,
    ) -> Result<T, Problem> {
        self.acting_as(state, self.actor(), self.key.scopes, f)
            .await
    }

    /// [`Self::with_acting`] as `actor` holding `permissions` (SCIM acts as an Admin would).
    pub async fn acting_as<T: Send + 'static, E: From<super::error::AppError> + Send + 'static>(
        &self,
        state: &AppState,
        actor: Actor,
        permissions: PermissionSet,
        f: impl FnOnce(&mut AnyConnection, &Acting<'_>, WorkspaceId) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let workspace = self.workspace.id;
        let pool = state.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(super::error::AppError::from)?;
            let acting = Acting {
                actor: &actor,
                account: None,
                permissions,
                org_role: OrgRole::Member,
            };
            f(&mut conn, &acting, workspace)
        })
        .await
        .map_err(super::error::AppError::from)?
    }
}

impl FromRequest for ApiKeyAuth {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Authenticated already when the request carried an Idempotency-Key.
        if let Some(auth) = req.extensions_mut().remove::<Self>() {
            return Box::pin(std::future::ready(Ok(auth)));
        }
        Box::pin(Self::extract(req.clone()))
    }
}

/// A JSON body that may be left out. No body at all is `None`; a body that is not this JSON is
/// refused as [`web::Json`] refuses it (400, 413 or 415), where `Option<web::Json>` would drop
/// it and act as if nothing had been sent.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Read first: an empty body may come with `Content-Length: 00` or chunked.
        let bytes = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                Problem::new(
                    e.as_response_error().status_code(),
                    format!("The request body cannot be read: {e}"),
                )
            })?;
            if bytes.is_empty() {
                return Ok(Self(None));
            }
            let mut body = Payload::from(bytes);
            let parsed = web::Json::<T>::from_request(&req, &mut body).await?;
            Ok(Self(Some(parsed.into_inner())))
        })
    }
}

/// A JSON answer (`200`, or the status given).
pub fn json<T: Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

pub fn ok<T: Serialize>(body: &T) -> HttpResponse {
    json(actix_web::http::StatusCode::OK, body)
}

/// `204`: done, nothing to show (a deletion).
pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A resource's id from the path: any text that is not an id is a 404.
pub fn path_id(text: &str) -> Result<i64, Problem> {
    crate::domain::ids::parse_id(text).ok_or_else(Problem::not_found)
}

/// Cuts `rows`, read one past `limit`, to the page; when that extra row showed there is more,
/// `link` makes the link to the next page from the page's last row.
pub fn next_page<T>(
    rows: &mut Vec<T>,
    limit: i64,
    link: impl FnOnce(&T) -> String,
) -> Option<String> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    rows.last().filter(|_| more).map(link)
}

/// What the API's extractors answer for a body, path or query they cannot read: a problem, not
/// actix's plain text.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // The same 1 MiB for a body read whole first (`OptionalJson`).
    cfg.app_data(web::PayloadConfig::new(1 << 20));
    cfg.app_data(
        web::JsonConfig::default()
            .limit(1 << 20)
            .error_handler(|e, _| {
                let status = match &e {
                    actix_web::error::JsonPayloadError::ContentType => {
                        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE
                    }
                    actix_web::error::JsonPayloadError::Overflow { .. }
                    | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                    }
                    _ => actix_web::http::StatusCode::BAD_REQUEST,
                };
                Problem::new(
                    status,
                    format!("The request body is not acceptable JSON: {e}"),
                )
                .into()
            }),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| {
        Problem::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            format!("The query string is not acceptable: {e}"),
        )
        .into()
    }))
    .app_data(web::PathConfig::default().error_handler(|_, _| Problem::not_found().into()));
}

/// Every other request under `/api`: 405 with `Allow` for a known path asked with another
/// method, else 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = allowed_methods("/api/", req.path());
    if allowed.is_empty() {
        return actix_web::ResponseError::error_response(&Problem::not_found());
    }
    let allow = allowed.join(", ");
    let mut response = actix_web::ResponseError::error_response(&Problem::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        format!("This address answers {allow} only."),
    ));
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The methods the routes under `prefix` answer at `path` (`{id}` segments match any one
/// segment but an empty one: `/users/` names no user), HEAD with GET.
pub fn allowed_methods(prefix: &str, path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut methods: Vec<String> = super::routes::ALL
        .iter()
        .filter(|(_, pattern)| pattern.starts_with(prefix))
        .filter(|(_, pattern)| {
            let parts: Vec<&str> = pattern.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
        })
        .map(|(method, _)| method.to_uppercase())
        .collect();
    if let Some(get) = methods.iter().position(|m| m == "GET") {
        methods.insert(get + 1, "HEAD".to_owned());
    }
    methods
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_paths_name_the_methods_they_answer() {
        let allowed = |path| super::allowed_methods("/api/", path);
        assert_eq!(allowed("/api/v1/users"), ["GET", "HEAD"]);
        assert_eq!(
            allowed("/api/v1/groups/7"),
            ["GET", "HEAD", "PATCH", "DELETE"]
        );
        assert!(allowed("/api/v1/nope").is_empty());
        assert!(allowed("/api/v1/users/7/8").is_empty());
        // An empty segment is no id: nothing is there.
        assert!(allowed("/api/v1/users/").is_empty());
        assert!(allowed("/api/v1/users//suspend").is_empty());
        assert_eq!(
            super::allowed_methods("/scim/", "/scim/v2/ServiceProviderConfig"),
            ["GET", "HEAD"]
        );
    }
}
