//! `/invite/{token}`: accepting an invitation — a new person sets their name and password, someone
//! with an account signs in; either way they are signed in and land in the workspace.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{SignedIn, client_ip};
use super::error::{AppError, redirect};
use super::forms::FieldErrors;
use super::htmx::render_with_status;
use super::{AppState, blocking, csrf};
use crate::clock;
use crate::domain::ids::AccountId;
use crate::domain::{Email, Name, NewPassword};
use crate::services::invitations::{self, AcceptError, Acceptance};
use crate::services::sign_in::{self, SignInError};
use crate::services::{passwords, two_factor};
use crate::store::invitations::Invitation;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    pub first_name: String,
    pub last_name: String,
    pub password: String,
}

#[derive(Template)]
#[template(path = "invite/accept.html")]
struct AcceptPage {
    csrf_token: String,
    token: String,
    workspace: String,
    inviter: String,
    role: String,
    email: String,
    expires: String,
    /// True when the person already has an account: they sign in instead of registering.
    existing: bool,
    /// Someone else is signed in in this browser.
    signed_in_as: Option<String>,
    /// The invited account is signed in in this browser: joining takes one click.
    signed_in_as_invited: bool,
    form: AcceptForm,
    errors: FieldErrors,
    form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "invite/invalid.html")]
struct InvalidPage<'a> {
    message: &'a str,
    /// Someone signed in is led to their workspaces, not to the sign-in page.
    signed_in: bool,
    /// Too many failures: the link is still good, only not now.
    paused: bool,
    /// The invited account is blocked: no sign-in is offered either.
    blocked: bool,
}

/// One page for every used, expired, revoked or unknown token, without saying which.
fn invalid(message: &str, signed_in: &Option<SignedIn>) -> Result<HttpResponse, AppError> {
    no_form(message, signed_in, false)
}

/// The link's page without the form: `message` says why it cannot be accepted (404; 403 for a
/// blocked account).
fn no_form(
    message: &str,
    signed_in: &Option<SignedIn>,
    blocked: bool,
) -> Result<HttpResponse, AppError> {
    let page = InvalidPage {
        message,
        signed_in: signed_in.is_some(),
        paused: false,
        blocked,
    };
    let status = match blocked {
        true => StatusCode::FORBIDDEN,
        false => StatusCode::NOT_FOUND,
    };
    render_with_status(status, &page)
}

const NO_LONGER_VALID: &str = "This invitation is no longer valid: used already, expired, replaced by a newer \
     one, or revoked. Joined already? Then the workspace is in the console. Otherwise ask your admin for a new one.";

/// True when the invited account is the one signed in in this browser.
fn is_invited(signed_in: &Option<SignedIn>, invitation: &Invitation) -> bool {
    signed_in
        .as_ref()
        .is_some_and(|me| me.account.id == invitation.account_id)
}

fn page(
    invitation: &Invitation,
    token: &str,
    csrf_token: String,
    signed_in: &Option<SignedIn>,
) -> AcceptPage {
    let signed_in_as_invited = is_invited(signed_in, invitation);
    AcceptPage {
        csrf_token,
        token: token.to_owned(),
        workspace: invitation.workspace_name.clone(),
        inviter: invitation
            .inviter
            .clone()
            .unwrap_or_else(|| "An administrator".to_owned()),
        role: invitation.role_name.clone(),
        email: invitation.email.clone(),
        expires: invitation
            .expires_at
            .format("%-d %B %Y, %H:%M UTC")
            .to_string(),
        existing: invitation.account_registered,
        signed_in_as: signed_in
            .as_ref()
            .filter(|_| !signed_in_as_invited)
            .map(|me| me.account.email.clone()),
        signed_in_as_invited,
        form: AcceptForm {
            first_name: invitation.names.0.clone(),
            last_name: invitation.names.1.clone(),
            ..AcceptForm::default()
        },
        errors: FieldErrors::default(),
        form_error: None,
    }
}

async fn find(state: &AppState, token: &str) -> Result<Option<Invitation>, AppError> {
    let token = token.to_owned();
    blocking(state, move |conn| {
        Ok(invitations::find_valid(conn, &token, clock::now())?)
    })
    .await
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    signed_in: Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let asked = token.clone();
    // The invitation, and whether its account is blocked, read at once.
    let found = blocking(&state, move |conn| {
        let Some(invitation) = invitations::find_valid(conn, &asked, clock::now())? else {
            return Ok(None);
        };
        let blocked = invitations::account_blocked(conn, &invitation)?;
        Ok(Some((invitation, blocked)))
    })
    .await?;
    let Some((invitation, blocked)) = found else {
        return invalid(NO_LONGER_VALID, &signed_in);
    };
    // A blocked account can never accept: said at once, rather than after the form is filled in.
    if blocked {
        return no_form(&AcceptError::Blocked.to_string(), &signed_in, true);
    }
    render_with_status(
        StatusCode::OK,
        &page(&invitation, &token, csrf::token(&session)?, &signed_in),
    )
}

/// What accepting with the form gave.
enum Attempt {
    /// Refused before trying: the messages are in `errors`.
    Unfit,
    Joined(invitations::Accepted),
    /// The password is not the account's.
    WrongPassword,
    /// The right password of an account with two-factor on: nothing is accepted until the
    /// second step is passed; the link is opened again after it, signed in.
    SecondStep {
        account: AccountId,
        epoch: i64,
    },
    Refused(AcceptError),
}

impl From<Result<invitations::Accepted, AcceptError>> for Attempt {
    fn from(result: Result<invitations::Accepted, AcceptError>) -> Self {
        result.map_or_else(Attempt::Refused, Attempt::Joined)
    }
}

/// Accepts with the form: the invited account signed in already joins as it is; an existing
/// account proves itself with its password (and its second step); someone new registers with
/// their names and a password.
async fn attempt(
    state: &AppState,
    invitation: &Invitation,
    token: &str,
    form: &AcceptForm,
    signed_in_as_invited: bool,
    ip: Option<String>,
    errors: &mut FieldErrors,
) -> Result<Attempt, AppError> {
    let (token, now) = (token.to_owned(), clock::now());
    if signed_in_as_invited {
        return blocking(state, move |conn| {
            Ok(invitations::accept(conn, &token, Acceptance::SignedIn, ip, now).into())
        })
        .await;
    }
    if invitation.account_registered {
        if form.password.is_empty() {
            errors.add("password", "Enter your password.");
            return Ok(Attempt::Unfit);
        }
        let (password, invitation) = (form.password.clone(), invitation.clone());
        return blocking(state, move |conn| {
            if invitations::account_blocked(conn, &invitation)? {
                return Ok(Attempt::Refused(AcceptError::Blocked));
            }
            let Some(account) = invitations::account_with_password(conn, &invitation, &password)?
            else {
                return Ok(Attempt::WrongPassword);
            };
            if two_factor::is_on(conn, account.id)? {
                return Ok(Attempt::SecondStep {
                    account: account.id,
                    epoch: account.session_epoch,
                });
            }
            // Signed in with the password, as on /login: `finish_sign_in` records it.
            Ok(invitations::accept(conn, &token, Acceptance::SignedIn, ip.clone(), now).into())
        })
        .await;
    }
    let first = errors.check("first_name", Name::parse(&form.first_name));
    let last = errors.check("last_name", Name::parse(&form.last_name));
    let password = errors.check("password", NewPassword::parse(&form.password));
    let (Some(first), Some(last), Some(password)) = (first, last, password) else {
        return Ok(Attempt::Unfit);
    };
    blocking(state, move |conn| {
        let hash = passwords::hash_password(&password)?;
        let acceptance = Acceptance::Register {
            first_name: &first,
            last_name: &last,
            password_hash: &hash,
        };
        Ok(invitations::accept(conn, &token, acceptance, ip, now).into())
    })
    .await
}

/// 429 (with `Retry-After`) while this address, or — joining with a password — the invited
/// account, is paused after too many failures.
async fn paused(
    state: &AppState,
    invitation: Option<&Invitation>,
    ip: Option<String>,
    now: chrono::NaiveDateTime,
    signed_in: bool,
) -> Result<Option<HttpResponse>, AppError> {
    let joining_as = invitation
        .filter(|i| i.account_registered)
        .and_then(|i| Email::parse(&i.email).ok());
    let refused = blocking(state, move |conn| {
        let checked = match &joining_as {
            Some(email) => sign_in::before_check(conn, email, ip.as_deref(), now).map(|_| ()),
            None => sign_in::check_address(conn, ip.as_deref(), now),
        };
        match checked {
            Err(SignInError::Database(e)) => Err(e.into()),
            Err(refused) => Ok(refused.wait().map(|wait| (refused.to_string(), wait))),
            Ok(()) => Ok(None),
        }
    })
    .await?;
    let Some((message, wait)) = refused else {
        return Ok(None);
    };
    let mut response = render_with_status(
        StatusCode::TOO_MANY_REQUESTS,
        &InvalidPage {
            message: &message,
            signed_in,
            paused: true,
            blocked: false,
        },
    )?;
    super::headers::retry_after(&mut response, wait);
    Ok(Some(response))
}

/// A wrong password counts toward the account's and the address's pauses.
async fn wrong_password(
    state: &AppState,
    email: &str,
    ip: Option<String>,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let email = email.to_owned();
    blocking(state, move |conn| {
        if let Ok(email) = Email::parse(&email) {
            let account = crate::store::accounts::find_by_email(conn, &email)?;
            sign_in::record_failure(
                conn,
                &email,
                account.as_ref(),
                ip.as_deref(),
                now,
                sign_in::Tried::SigningIn,
            )?;
        }
        Ok(())
    })
    .await
}

/// A link that names no valid invitation: the same page for all, and a failure counted toward
/// the address's pause (guessing links is guessing passwords).
async fn unknown_link(
    state: &AppState,
    ip: Option<String>,
    now: chrono::NaiveDateTime,
    signed_in: &Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    blocking(state, move |conn| {
        Ok(sign_in::count_address_failure(conn, ip.as_deref(), now)?)
    })
    .await?;
    invalid(NO_LONGER_VALID, signed_in)
}

/// After joining: the welcome, and the workspace's first page for their role (a Member's is
/// their profile) — or the second step of two-factor sign-in first.
fn welcome(
    session: &Session,
    invitation: &Invitation,
    accepted: &invitations::Accepted,
    signed_in: bool,
) -> Result<HttpResponse, AppError> {
    let welcome = format!(
        "Welcome to {}: you joined as {}.",
        invitation.workspace_name, invitation.role_name
    );
    super::forms::flash(session, &welcome)?;
    Ok(redirect(&if signed_in {
        format!("/w/{}", accepted.workspace_slug)
    } else {
        "/login/two-factor".to_owned()
    }))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
    signed_in: Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let form = form.into_inner();
    let ip = client_ip(&req);
    let invitation = find(&state, &token).await?;
    // The invited account signed in proves nothing more: no sign-in pause holds its join back.
    let signed_in_as_invited = invitation
        .as_ref()
        .is_some_and(|i| is_invited(&signed_in, i));
    // Otherwise checked and counted in turn (`web::turns`).
    let joining_as = invitation.as_ref().map(|i| i.email.as_str());
    let _turn = match signed_in_as_invited {
        false => Some(state.sign_in_turns.take(joining_as, ip.as_deref()).await),
        true => None,
    };
    let now = state.settings.clock.now();
    if !signed_in_as_invited
        && let Some(response) = paused(
            &state,
            invitation.as_ref(),
            ip.clone(),
            now,
            signed_in.is_some(),
        )
        .await?
    {
        return Ok(response);
    }
    let Some(invitation) = invitation else {
        return unknown_link(&state, ip, now, &signed_in).await;
    };
    let mut errors = FieldErrors::default();
    let outcome = attempt(
        &state,
        &invitation,
        &token,
        &form,
        signed_in_as_invited,
        ip.clone(),
        &mut errors,
    )
    .await?;
    let registered_meanwhile = matches!(outcome, Attempt::Refused(AcceptError::AlreadyRegistered));
    let wrong_password_typed = matches!(outcome, Attempt::WrongPassword);
    let form_error = match outcome {
        Attempt::Joined(accepted) => {
            let signed_in = signed_in_as_invited
                || super::two_factor::finish_sign_in(
                    &state,
                    &session,
                    &req,
                    accepted.account_id,
                    accepted.session_epoch,
                )
                .await?;
            return welcome(&session, &invitation, &accepted, signed_in);
        }
        Attempt::SecondStep { account, epoch } => {
            let back = format!("/invite/{token}");
            super::two_factor::await_second_step(&state, &session, account, epoch, &back)?;
            return Ok(redirect("/login/two-factor"));
        }
        Attempt::Refused(AcceptError::Invalid) => return invalid(NO_LONGER_VALID, &signed_in),
        Attempt::Refused(AcceptError::Database(e)) => return Err(e.into()),
        Attempt::Refused(e @ AcceptError::Blocked) => Some((StatusCode::FORBIDDEN, e.to_string())),
        Attempt::Refused(e @ (AcceptError::Seats(_) | AcceptError::AlreadyRegistered)) => {
            Some((StatusCode::CONFLICT, e.to_string()))
        }
        Attempt::WrongPassword => {
            wrong_password(&state, &invitation.email, ip.clone(), now).await?;
            // Beside the field, as on /login.
            errors.add("password", "That password is not correct.");
            None
        }
        Attempt::Unfit => None,
    };
    let mut again = page(&invitation, &token, csrf::token(&session)?, &signed_in);
    again.form = AcceptForm {
        password: String::new(),
        ..form
    };
    again.errors = errors;
    // After a concurrent registration the form becomes the sign-in form.
    again.existing = invitation.account_registered || registered_meanwhile;
    let status = match (&form_error, wrong_password_typed) {
        (Some((status, _)), _) => *status,
        (None, true) => StatusCode::UNAUTHORIZED,
        (None, false) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    again.form_error = form_error.map(|(_, message)| message);
    render_with_status(status, &again)
}
