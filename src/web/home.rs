//! `/`: where a visitor starts.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::auth::SignedIn;
use super::error::{AppError, redirect};
use super::{AppState, blocking};
use crate::services::setup;

/// Signed in: their console (or profile). Signed out: sign-in, or first-run setup on a new install.
pub async fn index(
    state: web::Data<AppState>,
    session: Session,
    signed_in: Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    if let Some(me) = signed_in {
        let account = me.account.clone();
        let path = blocking(&state, move |conn| {
            Ok(crate::services::landing::landing_path(conn, &account)?)
        })
        .await?;
        return Ok(redirect(&path));
    }
    drop(session);
    let open = blocking(&state, |conn| Ok(setup::is_open(conn)?)).await?;
    Ok(redirect(if open { "/setup" } else { "/login" }))
}
