//! `/email-change/{token}`: the link sent to a new address. Opening it shows what would change;
//! only the button (a POST, so mail scanners that follow links change nothing) makes the change.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::auth::{SignedIn, client_ip};
use super::error::{AppError, redirect};
use super::forms::flash;
use super::htmx::render_with_status;
use super::{AppState, blocking, csrf};
use crate::clock;
use crate::services::email_change::{self, EmailChangeError, NextStep};

#[derive(Template, Default)]
#[template(path = "email_change/confirm.html")]
struct ConfirmPage {
    csrf_token: String,
    token: String,
    name: String,
    old_email: String,
    new_email: String,
    problem: Option<String>,
}

fn problem(e: EmailChangeError) -> Result<HttpResponse, AppError> {
    let (status, message) = match e {
        EmailChangeError::DeadLink => (StatusCode::NOT_FOUND, e.to_string()),
        EmailChangeError::NoLongerAllowed | EmailChangeError::Blocked => {
            (StatusCode::FORBIDDEN, e.to_string())
        }
        EmailChangeError::Taken => (
            StatusCode::CONFLICT,
            "Another account took this address since the change was asked for, so nothing \
             changed. Ask for the change again with another address."
                .to_owned(),
        ),
        EmailChangeError::UserNameTaken => (StatusCode::CONFLICT, e.to_string()),
        e => return Err(e.into()),
    };
    render_with_status(
        status,
        &ConfirmPage {
            problem: Some(message),
            ..ConfirmPage::default()
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let lookup = token.clone();
    let found = blocking(&state, move |conn| {
        Ok(email_change::find(conn, &lookup, clock::now()))
    })
    .await?;
    let (pending, account) = match found {
        Ok(found) => found,
        Err(e) => return problem(e),
    };
    render_with_status(
        StatusCode::OK,
        &ConfirmPage {
            csrf_token: csrf::token(&session)?,
            token,
            name: account.display_name(),
            old_email: account.email,
            new_email: pending.new_email,
            ..ConfirmPage::default()
        },
    )
}

/// The button: the address changes, then 303 — to `/me` with a message for someone signed in,
/// else to sign-in, which says the address changed.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    signed_in: Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (ip, invites) = (client_ip(&req), state.invite_settings());
    let confirmed = blocking(&state, move |conn| {
        Ok(email_change::confirm(
            conn,
            &token,
            ip,
            &invites,
            clock::now(),
        ))
    })
    .await?;
    match confirmed {
        Ok((account, email, next)) => {
            state.outbox_wake.notify_one();
            Ok(match signed_in {
                Some(me) => {
                    // The link may be opened in a browser signed in as someone else.
                    let message = if me.account.id == account {
                        format!("Your email address is now {}.", email.as_str())
                    } else {
                        format!("That account's email address is now {}.", email.as_str())
                    };
                    flash(&me.session, &message)?;
                    redirect("/me")
                }
                None => redirect(&format!(
                    "/login?email_changed={}",
                    match next {
                        NextStep::SignIn => "1",
                        NextStep::OpenInvitation => "invited",
                        NextStep::ChoosePassword => "welcome",
                        NextStep::AskAnAdministrator => "ask",
                    }
                )),
            })
        }
        Err(e) => problem(e),
    }
}
