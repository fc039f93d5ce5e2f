//! HTTP: thin handlers by page, extractors, errors and middleware.

pub mod accept;
pub mod apps;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod confirm;
pub mod console;
pub mod csrf;
pub mod email_change;
pub mod error;
pub mod export;
pub mod forms;
pub mod groups;
pub mod headers;
pub mod health;
pub mod home;
pub mod htmx;
pub mod invitations;
pub mod lifecycle;
pub mod login;
pub mod me;
pub mod multipart;
pub mod org;
pub mod roles;
pub mod session_store;
pub mod settings;
pub mod setup;
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
}

/// Runs database work (and anything slow, like argon2) on the blocking pool.
pub async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
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
        Some(mut conn) if matches!(*conn, AnyConnection::Sqlite(_)) => f(&mut conn),
        Some(mut conn) => web::block(move || f(&mut conn)).await?,
        None => {
            let pool = pool.clone();
            web::block(move || f(&mut *pool.get()?)).await?
        }
    }
}

/// The console's pages (everything that needs a session).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home::index)
        .service(setup::show)
        .service(setup::submit)
        .service(login::show)
        .service(login::submit)
        .service(login::logout)
        .service(me::profile)
        .service(me::update_profile)
        .service(me::cancel_email_change)
        .service(me::upload_avatar)
        .service(me::remove_avatar)
        .service(me::avatar_png)
        .service(me::change_password)
        .service(me::end_session)
        .service(users::workspace_home)
        .service(export::users_csv)
        .service(users::list)
        // Before the console's `/{tab}`, which would take `suspend` for a tab.
        .service(audit::log_csv)
        .service(audit::org_log_csv)
        .service(audit::org_log)
        .service(org::accounts_page)
        .service(org::confirm_block)
        .service(org::block)
        .service(org::unblock)
        .service(org::change_org_role)
        .service(org::workspaces_page)
        .service(org::create_workspace)
        .service(audit::log)
        .service(groups::list)
        .service(groups::create)
        .service(groups::show)
        .service(groups::picker)
        .service(groups::picker_page)
        .service(groups::update)
        .service(groups::add_members)
        .service(groups::add_by_emails)
        .service(groups::remove_member)
        .service(groups::confirm_delete)
        .service(groups::delete)
        .service(apps::list)
        .service(apps::create)
        .service(apps::show)
        .service(apps::permissions)
        .service(apps::update)
        .service(apps::give_access)
        .service(apps::change_level)
        .service(apps::revoke)
        .service(apps::confirm_delete)
        .service(apps::delete)
        .service(settings::show)
        .service(settings::rename)
        .service(settings::change_slug)
        .service(settings::change_plan)
        .service(settings::delete)
        .service(roles::list)
        .service(roles::create)
        .service(roles::show)
        .service(roles::update)
        .service(roles::confirm_delete)
        .service(roles::delete)
        .service(lifecycle::confirm_suspend)
        .service(lifecycle::suspend)
        .service(lifecycle::unsuspend)
        .service(lifecycle::confirm_block)
        .service(lifecycle::block)
        .service(lifecycle::unblock)
        .service(lifecycle::confirm_remove)
        .service(lifecycle::remove_picker)
        .service(lifecycle::remove)
        .service(lifecycle::confirm_restore)
        .service(lifecycle::restore)
        .service(console::overview)
        .service(console::show_tab)
        .service(console::update_profile)
        .service(console::cancel_email_change)
        .service(console::upload_avatar)
        .service(console::remove_avatar)
        .service(console::change_role)
        .service(console::end_session)
        .service(console::end_all_sessions)
        .service(invitations::new)
        .service(invitations::create)
        .service(invitations::resend)
        .service(invitations::confirm_revoke)
        .service(invitations::revoke)
        .service(accept::show)
        .service(accept::submit)
        .service(email_change::show)
        .service(email_change::confirm);
}

/// Not found, for every path nothing else answers.
pub async fn not_found() -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&AppError::NotFound)
}
