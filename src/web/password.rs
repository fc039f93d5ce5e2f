//! `/password/forgot` and `/password/reset/{token}`: a forgotten password, reset through a link
//! sent by email. Both answer 429 to an address with too many recent failures; asking for a link
//! and posting to a dead link count as failures of the address.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::client_ip;
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, flash};
use super::htmx::render_with_status;
use super::{AppState, blocking, csrf};
use crate::domain::{Email, NewPassword};
use crate::services::landing::landing_path;
use crate::services::password_reset::{self, LINK_MINUTES, ResetError};
use crate::services::sign_in::{self, SignInError};
use crate::services::two_factor::{Passed, TwoFactorError};
use crate::store::accounts::Account;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    pub email: String,
}

#[derive(Template, Default)]
#[template(path = "password/forgot.html")]
struct ForgotPage {
    csrf_token: String,
    email: String,
    errors: FieldErrors,
    form_error: Option<String>,
    sent: bool,
    minutes: i64,
}

pub async fn forgot(session: Session) -> Result<HttpResponse, AppError> {
    let page = ForgotPage {
        csrf_token: csrf::token(&session)?,
        ..ForgotPage::default()
    };
    render_with_status(StatusCode::OK, &page)
}

/// The address's wait as a 429 page, if it has one.
async fn address_gate<T: Template>(
    state: &AppState,
    ip: Option<String>,
    page: impl FnOnce(String) -> T,
) -> Result<Option<HttpResponse>, AppError> {
    let now = state.settings.clock.now();
    let checked = blocking(state, move |conn| {
        Ok(sign_in::check_address(conn, ip.as_deref(), now))
    })
    .await?;
    match checked {
        Ok(()) => Ok(None),
        Err(SignInError::Database(e)) => Err(e.into()),
        Err(refused) => {
            let mut response =
                render_with_status(StatusCode::TOO_MANY_REQUESTS, &page(refused.to_string()))?;
            if let Some(wait) = refused.wait() {
                super::headers::retry_after(&mut response, wait);
            }
            Ok(Some(response))
        }
    }
}

/// The same page, status and (nearly) time whether or not an account uses the address: the
/// lookup and the email happen after the answer.
pub async fn request_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let csrf_token = csrf::token(&session)?;
    let ip = client_ip(&req);
    let typed = form.email.clone();
    let gate_token = csrf_token.clone();
    if let Some(refused) = address_gate(&state, ip.clone(), |message| ForgotPage {
        csrf_token: gate_token,
        email: typed,
        form_error: Some(message),
        ..ForgotPage::default()
    })
    .await?
    {
        return Ok(refused);
    }
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", Email::parse(&form.email)) else {
        let page = ForgotPage {
            csrf_token,
            email: form.email,
            errors,
            ..ForgotPage::default()
        };
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (pool, base_url, wake) = (
        state.pool.clone(),
        state.settings.base_url.clone(),
        state.outbox_wake.clone(),
    );
    let now = state.settings.clock.now();
    let shown = email.as_str().to_owned();
    actix_web::rt::spawn(async move {
        let sent = web::block(move || -> anyhow::Result<()> {
            let mut conn = pool.get()?;
            sign_in::count_address_failure(&mut conn, ip.as_deref(), now)?;
            password_reset::request(&mut conn, &email, ip.as_deref(), &base_url, now)?;
            Ok(())
        })
        .await;
        match sent {
            Ok(Ok(())) => wake.notify_one(),
            Ok(Err(e)) => tracing::error!(error = %e, "password reset request failed"),
            Err(e) => tracing::error!(error = %e, "password reset request failed"),
        }
    });
    let page = ForgotPage {
        csrf_token,
        email: shown,
        sent: true,
        minutes: LINK_MINUTES,
        ..ForgotPage::default()
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    pub password: String,
    /// An account with two-factor on: a code from its app, or a recovery code.
    pub code: String,
}

#[derive(Template, Default)]
#[template(path = "password/reset.html")]
struct ResetPage {
    csrf_token: String,
    token: String,
    email: String,
    /// Two-factor sign-in is on: the link alone does not set a password, a code is asked too.
    two_factor: bool,
    errors: FieldErrors,
    form_error: Option<String>,
    problem: Option<String>,
}

fn dead_link() -> Result<HttpResponse, AppError> {
    render_with_status(
        StatusCode::GONE,
        &ResetPage {
            problem: Some(ResetError::DeadLink.to_string()),
            ..ResetPage::default()
        },
    )
}

/// Opening the link shows the form and changes nothing (mail scanners follow links).
pub async fn show_reset(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let lookup = token.clone();
    let now = state.settings.clock.now();
    let found = blocking(&state, move |conn| {
        Ok(password_reset::find(conn, &lookup, now))
    })
    .await?;
    match found {
        Ok(account) => render_with_status(
            StatusCode::OK,
            &ResetPage {
                csrf_token: csrf::token(&session)?,
                token,
                two_factor: account.two_factor_since.is_some(),
                email: account.email,
                ..ResetPage::default()
            },
        ),
        Err(ResetError::DeadLink) => dead_link(),
        Err(e) => Err(e.into()),
    }
}

/// The account a reset link is for, or the answer instead: 429 while the address waits (the
/// form as it was, whose password it is for and its code field: the link is read as opening it
/// reads it, nothing counted), 410 for a dead link (a failure the address is counted for).
async fn link_account(
    state: &AppState,
    token: &str,
    csrf_token: &str,
    ip: Option<String>,
    now: chrono::NaiveDateTime,
) -> Result<Result<Account, HttpResponse>, AppError> {
    let lookup = token.to_owned();
    let found = blocking(state, move |conn| {
        Ok(password_reset::find(conn, &lookup, now))
    })
    .await?;
    let shown = found.as_ref().ok();
    let page = |message| ResetPage {
        csrf_token: csrf_token.to_owned(),
        token: token.to_owned(),
        email: shown.map(|a| a.email.clone()).unwrap_or_default(),
        two_factor: shown.is_some_and(|a| a.two_factor_since.is_some()),
        form_error: Some(message),
        ..ResetPage::default()
    };
    if let Some(refused) = address_gate(state, ip.clone(), page).await? {
        return Ok(Err(refused));
    }
    match found {
        Ok(account) => Ok(Ok(account)),
        Err(ResetError::DeadLink) => {
            blocking(state, move |conn| {
                Ok(sign_in::count_address_failure(conn, ip.as_deref(), now)?)
            })
            .await?;
            dead_link().map(Err)
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets the password, ends every session of the account, signs this browser in and says so.
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let ip = client_ip(&req);
    let now = state.settings.clock.now();
    let csrf_token = csrf::token(&session)?;
    let account = match link_account(&state, &token, &csrf_token, ip.clone(), now).await? {
        Ok(account) => account,
        Err(answer) => return Ok(answer),
    };
    let where_from = ip.clone();
    // A mailbox alone does not take over an account with two-factor on: its code is asked too,
    // and checked (counted, paused) as at sign-in, before anything changes.
    let two_factor = account.two_factor_since.is_some();
    let mut errors = FieldErrors::default();
    let password = errors.check("password", NewPassword::parse(&form.password));
    let code = form.code.trim().to_owned();
    if two_factor && code.is_empty() {
        errors.add(
            "code",
            "Enter a code from your authenticator app, or one of your recovery codes.",
        );
    }
    let refused = |errors: FieldErrors, form_error: Option<String>| ResetPage {
        csrf_token: csrf_token.clone(),
        token: token.clone(),
        email: account.email.clone(),
        two_factor,
        errors,
        form_error,
        ..ResetPage::default()
    };
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &refused(errors, None));
    };
    // Its code is checked in turn, as a sign-in's is (`web::turns`).
    let _turn = match two_factor {
        true => Some(
            state
                .sign_in_turns
                .take(Some(&account.email), ip.as_deref())
                .await,
        ),
        false => None,
    };
    let (key, link) = (state.settings.encryption_key.clone(), token.clone());
    let done = blocking(&state, move |conn| {
        let second = two_factor.then_some((key.as_slice(), code.as_str()));
        Ok(
            match password_reset::reset(conn, &link, &password, second, where_from.as_deref(), now)
            {
                Ok((account, passed)) => Ok((landing_path(conn, &account)?, account, passed)),
                Err(e) => Err(e),
            },
        )
    })
    .await?;
    match done {
        Ok((landing, account, passed)) => {
            signed_in(&state, &session, &req, ip, &account, passed, &landing).await
        }
        Err(e) => reset_refused(e, refused),
    }
}

/// The answer to a reset the service refused: the link is dead, or the code is wrong, paused or
/// missing.
fn reset_refused(
    e: ResetError,
    refused: impl FnOnce(FieldErrors, Option<String>) -> ResetPage,
) -> Result<HttpResponse, AppError> {
    match e {
        ResetError::DeadLink => dead_link(),
        ResetError::WrongCode => {
            super::two_factor::code_refused(&SignInError::InvalidCredentials, refused)
        }
        ResetError::Paused(e) => super::two_factor::code_refused(&e, refused),
        e @ ResetError::CodeNeeded => {
            let mut errors = FieldErrors::default();
            errors.add("code", e);
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &refused(errors, None))
        }
        ResetError::TwoFactor(TwoFactorError::Unreadable) => {
            Err(super::two_factor::unreadable_key())
        }
        e => Err(e.into()),
    }
}

/// After the new password is saved: this browser is signed in (asked for a code first when
/// two-factor was turned on since the link was opened), and told so.
async fn signed_in(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    ip: Option<String>,
    account: &Account,
    passed: Option<Passed>,
    landing: &str,
) -> Result<HttpResponse, AppError> {
    let recovery_left = match passed {
        Some(Passed::RecoveryCode { left }) => Some(left),
        _ => None,
    };
    let saved = "Your new password is saved and you are signed in. Every other session of your \
                 account was signed out.";
    if passed.is_some() {
        // Its second factor was checked with the reset.
        let (id, at, now) = (account.id, ip.clone(), state.settings.clock.now());
        // The new password is saved: the sign-in goes ahead whatever happens to its record.
        let _ = blocking(state, move |conn| {
            super::two_factor::record_signed_in(conn, id, at.as_deref(), now);
            Ok(())
        })
        .await;
        super::auth::start_session(session, account.id, account.session_epoch, req, ip)?;
    } else if !super::two_factor::finish_sign_in(
        state,
        session,
        req,
        account.id,
        account.session_epoch,
    )
    .await?
    {
        // Turned on since the link was opened: the new password alone does not sign in.
        return Ok(redirect("/login/two-factor"));
    }
    match recovery_left {
        Some(left) => flash(
            session,
            &format!("{saved} {}", super::two_factor::recovery_code_used(left)),
        )?,
        None => flash(session, saved)?,
    }
    Ok(redirect(landing))
}
