//! `/setup`: first run only — organization, first workspace and owner. 404 once an account exists.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::client_ip;
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, slug_typed_or_suggested};
use super::htmx::render_with_status;
use super::{AppState, blocking, csrf};
use crate::clock;
use crate::domain::{Email, Name, NewPassword};
use crate::services::passwords;
use crate::services::setup::{self, SetupError, SetupInput};

/// The form as typed (PRODUCT form contract); missing fields read as empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    pub organization_name: String,
    pub workspace_name: String,
    pub workspace_slug: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    /// The code the server prints when it starts: whoever reaches a new install first cannot make
    /// it theirs without having seen the server's output.
    pub setup_code: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf_token: String,
    form: SetupForm,
    errors: FieldErrors,
    form_error: Option<String>,
}

async fn ensure_open(state: &AppState) -> Result<(), AppError> {
    if blocking(state, |conn| Ok(setup::is_open(conn)?)).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    ensure_open(&state).await?;
    let page = SetupPage {
        csrf_token: csrf::token(&session)?,
        form: SetupForm::default(),
        errors: FieldErrors::default(),
        form_error: None,
    };
    render_with_status(StatusCode::OK, &page)
}

/// Parses the form into domain values, or the messages for each field.
fn parse(form: &SetupForm) -> Result<(SetupInput, NewPassword), FieldErrors> {
    let mut errors = FieldErrors::default();
    match parse_fields(form, &mut errors) {
        Some(parsed) if errors.is_empty() => Ok(parsed),
        _ => Err(errors),
    }
}

/// Each field parsed, a refused one with its message in `errors`; `None` when any was refused.
fn parse_fields(form: &SetupForm, errors: &mut FieldErrors) -> Option<(SetupInput, NewPassword)> {
    let organization_name = errors.check("organization_name", Name::parse(&form.organization_name));
    let workspace_name = errors.check("workspace_name", Name::parse(&form.workspace_name));
    let workspace_slug = slug_typed_or_suggested(
        errors,
        "workspace_slug",
        &form.workspace_slug,
        workspace_name.as_ref(),
    );
    let email = errors.check("email", Email::parse(&form.email));
    let first_name = errors.check("first_name", Name::parse(&form.first_name));
    let last_name = errors.check("last_name", Name::parse(&form.last_name));
    let password = errors.check("password", NewPassword::parse(&form.password));
    let input = SetupInput {
        organization_name: organization_name?,
        workspace_name: workspace_name?,
        workspace_slug: workspace_slug?,
        email: email?,
        first_name: first_name?,
        last_name: last_name?,
        password_hash: String::new(),
    };
    Some((input, password?))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    ensure_open(&state).await?;
    let form = form.into_inner();
    let invalid = |form: SetupForm,
                   errors: FieldErrors,
                   session: &Session|
     -> Result<HttpResponse, AppError> {
        let page = SetupPage {
            csrf_token: csrf::token(session)?,
            form: SetupForm {
                password: String::new(),
                ..form
            },
            errors,
            form_error: None,
        };
        render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let parsed = parse(&form);
    let code = crate::tokens::setup_code(&state.settings.session_key);
    if !crate::tokens::setup_code_matches(&form.setup_code, &code) {
        let mut errors = parsed.err().unwrap_or_default();
        errors.add(
            "setup_code",
            match form.setup_code.trim() {
                "" => "Enter the setup code the server printed when it started.",
                _ => "That is not the setup code the server printed when it started.",
            },
        );
        return invalid(form, errors, &session);
    }
    let (mut input, password) = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => return invalid(form, errors, &session),
    };
    // The URL name judged (the one suggested from the name when it was left empty).
    let judged = input.workspace_slug.to_string();
    let done = blocking(&state, move |conn| {
        input.password_hash = passwords::hash_password(&password)?;
        let slug = input.workspace_slug.clone();
        Ok(setup::complete_setup(conn, &input, clock::now()).map(|done| (done, slug)))
    })
    .await?;
    match done {
        Ok((done, slug)) => {
            super::auth::start_session(
                &session,
                done.account_id,
                done.session_epoch,
                &req,
                client_ip(&req),
            )?;
            Ok(redirect(&format!("/w/{slug}/users")))
        }
        Err(SetupError::SlugTaken) => {
            let mut errors = FieldErrors::default();
            errors.add("workspace_slug", "That URL name is taken. Choose another.");
            let form = SetupForm {
                workspace_slug: judged,
                ..form
            };
            invalid(form, errors, &session)
        }
        Err(SetupError::EmailTaken) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "email",
                "This address has an account already: choose another, or make it an owner with \
                 the create-owner command.",
            );
            invalid(form, errors, &session)
        }
        Err(SetupError::AlreadyDone) => Err(AppError::NotFound),
        Err(SetupError::Database(e)) => Err(e.into()),
    }
}
