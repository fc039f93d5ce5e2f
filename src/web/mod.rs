//! HTTP: thin handlers by page, extractors, errors and middleware.

pub mod accept;
pub mod acting;
pub mod api;
pub mod api_keys;
pub mod apps;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod confirm;
pub mod console;
pub mod csrf;
pub mod csv_download;
pub mod email_change;
pub mod error;
pub mod export;
pub mod forms;
pub mod frame_cache;
pub mod groups;
pub mod headers;
pub mod health;
pub mod home;
pub mod htmx;
pub mod import;
pub mod invitations;
pub mod invite_form;
pub mod lifecycle;
pub mod login;
pub mod me;
pub mod multipart;
pub mod observe;
pub mod org;
pub mod password;
pub mod per_account;
pub mod prefetch;
pub mod presence;
pub mod roles;
pub mod routes;
pub mod scim;
pub mod session_store;
pub mod settings;
pub mod setup;
pub mod slack;
pub mod turns;
pub mod two_factor;
pub mod users;
pub mod views;

use actix_web::web;

use crate::config::Settings;
use crate::db::{AnyConnection, Pool};
use error::AppError;

/// What every handler can reach.
pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    /// Wakes the email worker when something was queued.
    pub outbox_wake: std::sync::Arc<tokio::sync::Notify>,
    /// Slack's Web API, and what wakes the Slack worker (a read or a message is due).
    pub slack: crate::slack::client::SlackApi,
    pub slack_wake: std::sync::Arc<tokio::sync::Notify>,
    /// Who is online, pushed to the workspace pages' presence streams.
    pub presence: std::sync::Arc<presence::PresenceHub>,
    /// What pages keep between requests (the frame, a workspace's roles and groups).
    pub frames: std::sync::Arc<frame_cache::FrameCache>,
    /// Each API key's requests in the current minute.
    pub api_rates: api::RateLimits,
    /// Set on SIGTERM: `/readyz` answers 503 from then on.
    pub shutdown: crate::shutdown::Shutdown,
    /// Sign-in attempts, one at a time per account and per address.
    pub sign_in_turns: std::sync::Arc<turns::Turns>,
}

impl AppState {
    /// What sending an invitation (or a welcome) needs from the settings.
    pub fn invite_settings(&self) -> crate::services::invitations::InviteSettings {
        crate::services::invitations::InviteSettings {
            base_url: self.settings.base_url.clone(),
            ttl_days: self.settings.invite_ttl_days,
        }
    }
}

/// Checks a password (or, for `None`, spends the same time and fails) on the blocking pool,
/// holding no database connection; argon2 itself runs in `passwords`' bounded slots.
pub async fn verify_password(hash: Option<String>, password: String) -> Result<bool, AppError> {
    use crate::services::passwords;
    Ok(web::block(move || match hash {
        Some(hash) => passwords::verify_password(&hash, &password),
        None => passwords::verify_decoy(&password),
    })
    .await?)
}

/// Runs database work (and anything slow, like argon2) on the blocking pool.
pub async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = connection(&pool)?;
        f(&mut conn)
    })
    .await?
}

/// A short read by primary key (the session, the signed-in person and their workspace): on SQLite,
/// when a connection is free, it runs at once on this thread — it takes microseconds, less than
/// the two thread hand-offs of the blocking pool. PostgreSQL (a network round trip) and a busy
/// pool go through [`blocking`]'s pool. Nothing that writes or scans belongs here.
pub async fn quick_read<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
{
    match pool.try_get() {
        Some(mut conn) if conn.is_in_process() => f(&mut conn),
        Some(mut conn) => web::block(move || f(&mut conn)).await?,
        None => {
            let pool = pool.clone();
            web::block(move || f(&mut *connection(&pool)?)).await?
        }
    }
}

/// A connection from the pool, counted as waiting (`/metrics`) until it comes.
pub(crate) fn connection(pool: &Pool) -> Result<crate::db::PooledConnection, r2d2::Error> {
    let _waiting = crate::metrics::METRICS.waiting_for_connection();
    pool.get()
}

/// Not found, for every path nothing else answers.
pub async fn not_found() -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&AppError::NotFound)
}

/// True when a route of the table takes `method` at `path`; `named`: only routes whose last part
/// is a word, not a parameter (`…/users/{id}/profile`, not `…/users/{id}/{tab}`).
fn routed(method: &str, path: &str, named: bool) -> bool {
    use actix_web::dev::ResourceDef;
    /// The table's GET and POST routes, compiled once: (method, pattern, named).
    static ROUTES: std::sync::LazyLock<Vec<(&str, ResourceDef, bool)>> =
        std::sync::LazyLock::new(|| {
            routes::ALL
                .iter()
                .filter(|(m, _)| matches!(*m, "get" | "post"))
                .map(|(m, pattern)| {
                    let last = pattern.rsplit('/').next().unwrap_or("");
                    (*m, ResourceDef::new(*pattern), !last.starts_with('{'))
                })
                .collect()
        });
    ROUTES
        .iter()
        .any(|(m, def, is_named)| *m == method && (!named || *is_named) && def.is_match(path))
}

/// For the address of a form that is no page (`/me/profile`, `/w/acme/users/bulk`: a POST route
/// named so, and no page named so): the nearest address above it that is a page (`/me`,
/// `/w/acme/users`). A refused form is shown at its own address; reloaded or bookmarked, that
/// leads back to the form's page. Anything else missing stays missing.
pub(crate) fn page_of_form(path: &str) -> Option<String> {
    if !routed("post", path, true) || routed("get", path, true) {
        return None;
    }
    // The organization's name is set on its Workspaces page, not at `/org` (its Accounts); the
    // sign-out button is on every page, which `/` leads to (a GET signs nobody out).
    match path {
        "/org/name" => return Some("/org/workspaces".to_owned()),
        "/logout" => return Some("/".to_owned()),
        _ => {}
    }
    let mut up = path.trim_end_matches('/');
    while let Some((parent, _)) = up.rsplit_once('/') {
        if parent.is_empty() {
            return None;
        }
        if routed("get", parent, false) {
            return Some(parent.to_owned());
        }
        up = parent;
    }
    None
}
