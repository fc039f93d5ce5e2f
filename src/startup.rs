//! Builds the application once, for `main` and for tests: pool, migrations, routes, middleware,
//! and the background tasks that run beside the server.

use std::net::TcpListener;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::mail::{self, Mailer};
use crate::services::invitations;
use crate::shutdown::{self, Shutdown};
use crate::slack::{self, client::SlackApi};
use crate::store::{roles, sessions};
use crate::web::{self as http, AppState, csrf, headers, session_store::DbSessionStore};

/// How long a signed-in session lives without activity.
pub const SESSION_IDLE_HOURS: i64 = 12;
pub const SESSION_COOKIE: &str = "console_session";

/// Opens the database, applies migrations and refreshes the built-in roles.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<Pool> {
    let pool = db::build_pool(&settings.database_url, settings.db_pool_size)?;
    let mut conn = pool.get()?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied database migrations");
    }
    roles::sync_built_in(&mut conn, clock::now())?;
    Ok(pool)
}

pub struct Application {
    port: u16,
    /// How long the listener stays open, not ready, after the signal.
    drain: Duration,
    server: Server,
    pool: Pool,
    shutdown: Shutdown,
    mail_worker: JoinHandle<()>,
    /// `/metrics`' own server, when `METRICS_BIND` is set: its port and handle.
    metrics: Option<(u16, ServerHandle)>,
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and builds the server; `run` starts it.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = prepare_database(&settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let metrics = match &settings.metrics_bind {
            Some(bind) => Some(serve_metrics(bind, pool.clone())?),
            None => None,
        };
        let shutdown = Shutdown::default();
        let drain = settings.shutdown_drain;
        let (server, mail_worker) = run(listener, pool.clone(), settings, shutdown.clone())?;
        Ok(Self {
            port,
            drain,
            server,
            pool,
            shutdown,
            mail_worker,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// True on a fresh install: nobody has an account yet, so `/setup` is open.
    pub fn needs_setup(&self) -> anyhow::Result<bool> {
        let mut conn = self.pool.get()?;
        Ok(crate::services::setup::is_open(&mut conn)?)
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully (see [`crate::shutdown`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (handle, shutdown, drain) = (self.server.handle(), self.shutdown.clone(), self.drain);
        actix_web::rt::spawn(async move {
            if let Err(e) = shutdown::signal().await {
                tracing::error!(error = %e, "cannot listen for shutdown signals");
                return;
            }
            // Not ready at once; still answering while the balancer notices, then the listener
            // closes and the requests in flight finish.
            shutdown.begin();
            tracing::info!(
                drain_seconds = drain.as_secs(),
                "shutting down: not ready, draining"
            );
            actix_web::rt::time::sleep(drain).await;
            tracing::info!("shutting down: finishing requests in flight");
            handle.stop(true).await;
        });
        let served = self.server.await;
        self.shutdown.begin();
        if let Some((_, metrics)) = &self.metrics {
            metrics.stop(true).await;
        }
        let left = shutdown::GRACE.saturating_sub(shutdown::REQUESTS_GRACE);
        if tokio::time::timeout(left, self.mail_worker).await.is_err() {
            tracing::warn!(
                "shutting down: the email being sent was cut off (it will be sent again)"
            );
        }
        tracing::info!("shut down");
        served
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

fn run(
    listener: TcpListener,
    pool: Pool,
    settings: Settings,
    shutdown: Shutdown,
) -> anyhow::Result<(Server, JoinHandle<()>)> {
    let key = Key::try_from(settings.session_key.as_slice())
        .map_err(|e| anyhow::anyhow!("unusable session key: {e}"))?;
    let secure = settings.secure_cookies();
    let workers = settings.workers;
    // The drain comes out of the requests' share of the grace period.
    let requests_grace = shutdown::REQUESTS_GRACE.saturating_sub(settings.shutdown_drain);
    let frames = std::sync::Arc::new(crate::web::frame_cache::FrameCache::new(pool.clone()));
    let store = DbSessionStore::new(
        pool.clone(),
        actix_web::cookie::time::Duration::hours(SESSION_IDLE_HOURS),
        frames.clone(),
    );
    let Workers {
        mail_worker,
        outbox_wake,
        slack,
        slack_wake,
    } = spawn_workers(&pool, &settings, &shutdown)?;
    let presence = Arc::new(http::presence::PresenceHub::default());
    presence.clone().spawn(pool.clone(), shutdown.clone());
    let state = web::Data::new(AppState {
        pool,
        settings,
        outbox_wake,
        slack,
        slack_wake,
        presence,
        api_rates: Default::default(),
        frames,
        shutdown,
        sign_in_turns: Default::default(),
    });
    let mut server = HttpServer::new(move || {
        let sessions = session_middleware(store.clone(), key.clone(), secure);
        App::new()
            .app_data(state.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(csrf::MAX_FORM_BYTES)
                    .error_handler(http::forms::form_error),
            )
            .app_data(web::PayloadConfig::new(csrf::MAX_FORM_BYTES))
            .wrap(Compress::default())
            .wrap(headers::security_headers(secure))
            .wrap(from_fn(http::observe::middleware))
            .configure(http::routes::open)
            .service(
                web::scope(http::routes::API_SCOPE)
                    .wrap(from_fn(http::api::idempotency::middleware))
                    .configure(http::api::configure)
                    .configure(http::routes::api)
                    .default_service(web::to(http::api::not_found)),
            )
            .service(
                web::scope(http::scim::SCOPE)
                    .configure(http::scim::configure)
                    .configure(http::routes::scim)
                    .default_service(web::to(http::scim::not_found)),
            )
            .service(
                web::scope("")
                    // A malformed id or query is answered like any other page, not as plain text.
                    .app_data(
                        web::PathConfig::default()
                            .error_handler(|_, _| http::error::AppError::NotFound.into()),
                    )
                    .app_data(
                        web::QueryConfig::default()
                            .error_handler(|_, _| http::error::AppError::BadAddress.into()),
                    )
                    .wrap(from_fn(http::htmx::error_fragments))
                    .wrap(from_fn(csrf::verify))
                    .wrap(sessions)
                    .wrap(from_fn(http::prefetch::middleware))
                    .configure(http::routes::session)
                    .default_service(web::to(http::not_found)),
            )
    })
    .listen(listener)?
    // Signals are handled in `Application::run_until_stopped` (readiness first, then the stop).
    .disable_signals()
    .shutdown_timeout(requests_grace.as_secs());
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok((server.run(), mail_worker))
}

/// The workers beside the server, as the handlers reach them.
struct Workers {
    /// Waited for at shutdown (the email being sent finishes).
    mail_worker: JoinHandle<()>,
    outbox_wake: Arc<Notify>,
    slack: SlackApi,
    slack_wake: Arc<Notify>,
}

/// Starts the workers beside the server: email, Slack, the periodic tasks.
fn spawn_workers(pool: &Pool, settings: &Settings, shutdown: &Shutdown) -> anyhow::Result<Workers> {
    let mailer = Arc::new(Mailer::from_settings(settings)?);
    let outbox_wake = Arc::new(Notify::new());
    let mail_worker = mail::worker::spawn(
        pool.clone(),
        mailer,
        settings.outbox,
        outbox_wake.clone(),
        shutdown.clone(),
    );
    let slack_wake = Arc::new(Notify::new());
    let slack = SlackApi::new(&settings.slack.api_url);
    slack::worker::spawn(
        slack::worker::SlackWorker {
            pool: pool.clone(),
            api: slack.clone(),
            key: Arc::new(settings.encryption_key.clone()),
            settings: settings.outbox,
        },
        slack_wake.clone(),
        shutdown.clone(),
    );
    spawn_background_tasks(pool.clone());
    Ok(Workers {
        mail_worker,
        outbox_wake,
        slack,
        slack_wake,
    })
}

/// The session cookie: private (encrypted), HTTP-only, Lax, and secure behind HTTPS; the
/// session ends with the browser or after [`SESSION_IDLE_HOURS`] idle.
fn session_middleware(
    store: DbSessionStore,
    key: Key,
    secure: bool,
) -> SessionMiddleware<DbSessionStore> {
    SessionMiddleware::builder(store, key)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(secure)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(actix_web::cookie::time::Duration::hours(SESSION_IDLE_HOURS)),
        )
        .build()
}

/// Starts `/metrics`' own small server (one worker) on `bind`; it runs on the current runtime.
fn serve_metrics(bind: &str, pool: Pool) -> anyhow::Result<(u16, ServerHandle)> {
    let listener = TcpListener::bind(bind)
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind} for /metrics: {e}"))?;
    let port = listener.local_addr()?.port();
    let pool = web::Data::new(pool);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .service(crate::web::routes::read_only(
                "/metrics",
                crate::metrics::scrape,
            ))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok((port, handle))
}

/// How long what an email or a Slack message said is kept once it was handled (for an operator
/// looking into a delivery); then its links are gone from the database.
const FORGET_BODIES_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// Every ten minutes: deletes expired sessions, withdraws expired invitations (each with its
/// audit event) and forgets what emails and Slack messages handled over [`FORGET_BODIES_AFTER`]
/// ago said. Once a day (first at start): purges memberships removed over 14 days ago.
fn spawn_background_tasks(pool: Pool) {
    let purge_pool = pool.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(24 * 60 * 60));
        loop {
            tick.tick().await;
            let pool = purge_pool.clone();
            let result = web::block(move || -> anyhow::Result<usize> {
                let mut conn = pool.get()?;
                let actor = crate::store::audit::Actor::scheduled();
                Ok(crate::services::purge::purge_removed(
                    &mut conn,
                    &actor,
                    clock::now(),
                )?)
            })
            .await;
            match result {
                Ok(Ok(0)) => {}
                Ok(Ok(purged)) => tracing::info!(purged, "removed memberships purged"),
                Ok(Err(e)) => tracing::warn!(error = %e, "purge failed"),
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    });
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let result = web::block(move || -> anyhow::Result<(usize, usize)> {
                let mut conn = pool.get()?;
                let sessions = sessions::delete_expired(&mut conn, clock::now())?;
                let invitations = invitations::expire_due(&mut conn, clock::now())?;
                let handled_before = clock::now() - FORGET_BODIES_AFTER;
                crate::store::outbox::forget_bodies(&mut conn, handled_before)?;
                crate::store::slack::forget_bodies(&mut conn, handled_before)?;
                Ok((sessions, invitations))
            })
            .await;
            match result {
                Ok(Ok((0, 0))) => {}
                Ok(Ok((sessions, invitations))) => tracing::info!(
                    sessions,
                    invitations,
                    "expired sessions and invitations removed"
                ),
                Ok(Err(e)) => tracing::warn!(error = %e, "background cleanup failed"),
                Err(e) => tracing::warn!(error = %e, "background cleanup failed"),
            }
        }
    });
}
