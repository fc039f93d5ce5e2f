//! `/login` and `/logout`: session sign-in with a generic message for bad credentials.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{SignedIn, client_ip, safe_next};
use super::error::{AppError, redirect};
use super::forms::FieldErrors;
use super::htmx::render_with_status;
use super::{AppState, blocking, csrf};
use crate::clock;
use crate::domain::Email;
use crate::domain::membership::AccountStatus;
use crate::services::landing::landing_path;
use crate::services::setup;
use crate::services::sign_in::{self, SignInError, Tried};
use crate::services::two_factor;
use crate::store::organization;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    pub next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    pub next: String,
    pub signed_out: Option<String>,
    pub email_changed: Option<String>,
    /// Sent back from the second step of two-factor sign-in, whose wait was over.
    pub expired: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    org_name: String,
    csrf_token: String,
    next: String,
    form: LoginForm,
    errors: FieldErrors,
    form_error: Option<String>,
    notice: Option<&'static str>,
}

async fn org_name(state: &AppState) -> Result<String, AppError> {
    blocking(state, |conn| Ok(organization::get(conn)?.name)).await
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
    signed_in: Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    if let Some(me) = signed_in {
        let target = match safe_next(&query.next) {
            Some(next) => next.to_owned(),
            None => blocking(&state, move |conn| Ok(landing_path(conn, &me.account)?)).await?,
        };
        return Ok(redirect(&target));
    }
    if blocking(&state, |conn| Ok(setup::is_open(conn)?)).await? {
        return Ok(redirect("/setup"));
    }
    let page = LoginPage {
        org_name: org_name(&state).await?,
        csrf_token: csrf::token(&session)?,
        next: safe_next(&query.next).unwrap_or_default().to_owned(),
        form: LoginForm::default(),
        errors: FieldErrors::default(),
        form_error: None,
        notice: match (&query.signed_out, &query.email_changed, &query.expired) {
            (Some(_), _, _) => Some("You have signed out."),
            // Someone without a password yet: not "sign in with the new one".
            (None, Some(next), _) if next == "invited" => Some(
                "Your email address was changed, and your invitation was sent to it again: open \
                 the link in that email to join. The old address was told of the change.",
            ),
            (None, Some(next), _) if next == "welcome" => Some(
                "Your email address was changed, and a link to choose your password was sent to \
                 it: open it to sign in. The old address was told of the change.",
            ),
            (None, Some(next), _) if next == "ask" => Some(
                "Your email address was changed. You have no password yet and your invitation \
                 has expired: ask an administrator of your workspace for a new one.",
            ),
            (None, Some(_), _) => Some(
                "Your email address was changed: sign in with the new one. The old address was \
                 told of the change.",
            ),
            (None, None, Some(_)) => Some(
                "Your sign-in was not finished within 10 minutes, or something changed meanwhile \
                 (a new password, two-factor sign-in reset, signed out everywhere): sign in \
                 again.",
            ),
            (None, None, None) => None,
        },
    };
    render_with_status(StatusCode::OK, &page)
}

/// The form again, as typed (but never the password), with its messages.
async fn form_page(
    state: &AppState,
    session: &Session,
    errors: FieldErrors,
    form_error: Option<String>,
    form: LoginForm,
    next: String,
) -> Result<LoginPage, AppError> {
    Ok(LoginPage {
        org_name: org_name(state).await?,
        csrf_token: csrf::token(session)?,
        next,
        form: LoginForm {
            password: String::new(),
            ..form
        },
        errors,
        form_error,
        notice: None,
    })
}

/// After the password check: the landing page to go to (`None`: the second step of two-factor
/// sign-in comes first), or why not. Records the success or the failure.
fn judge(
    conn: &mut crate::db::AnyConnection,
    account: Option<crate::store::accounts::Account>,
    right: bool,
    email: &Email,
    ip: Option<&str>,
    now: chrono::NaiveDateTime,
) -> Result<
    Result<(Option<String>, crate::store::accounts::Account), SignInError>,
    diesel::result::Error,
> {
    Ok(match account {
        Some(account) if right && account.status == AccountStatus::Blocked => {
            Err(SignInError::Blocked)
        }
        Some(account) if right && two_factor::is_on(conn, account.id)? => Ok((None, account)),
        Some(account) if right => match sign_in::record_success(conn, &account, ip, now) {
            Ok(()) => Ok((Some(landing_path(conn, &account)?), account)),
            Err(e) => Err(e),
        },
        account => {
            sign_in::record_failure(conn, email, account.as_ref(), ip, now, Tried::SigningIn)?;
            Err(SignInError::InvalidCredentials)
        }
    })
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    let next = safe_next(&form.next).unwrap_or_default().to_owned();
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        let page = form_page(&state, &session, errors, None, form, next).await?;
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let ip = client_ip(&req);
    // Checked and counted in turn (`web::turns`): the pause read next is the previous attempt's.
    let _turn = state
        .sign_in_turns
        .take(Some(email.as_str()), ip.as_deref())
        .await;
    let now = state.settings.clock.now();
    let (typed, where_from) = (email.clone(), ip.clone());
    let checked = blocking(&state, move |conn| {
        Ok(sign_in::before_check(
            conn,
            &typed,
            where_from.as_deref(),
            now,
        ))
    })
    .await?;
    let outcome = match checked {
        Ok(account) => {
            let hash = account.as_ref().and_then(|a| a.password_hash.clone());
            let right = super::verify_password(hash, form.password.clone()).await?;
            blocking(&state, move |conn| {
                Ok(judge(conn, account, right, &email, ip.as_deref(), now)?)
            })
            .await?
        }
        Err(refused) => Err(refused),
    };
    match outcome {
        Ok((None, account)) => {
            super::two_factor::await_second_step(
                &state,
                &session,
                account.id,
                account.session_epoch,
                &next,
            )?;
            Ok(redirect("/login/two-factor"))
        }
        Ok((Some(landing), account)) => {
            super::auth::start_session(
                &session,
                account.id,
                account.session_epoch,
                &req,
                client_ip(&req),
            )?;
            Ok(redirect(if next.is_empty() { &landing } else { &next }))
        }
        Err(SignInError::Database(e)) => Err(e.into()),
        Err(e) => {
            let status = match e.wait() {
                Some(_) => StatusCode::TOO_MANY_REQUESTS,
                None => StatusCode::UNAUTHORIZED,
            };
            let page = form_page(
                &state,
                &session,
                FieldErrors::default(),
                Some(e.to_string()),
                form,
                next,
            )
            .await?;
            let mut response = render_with_status(status, &page)?;
            if let Some(wait) = e.wait() {
                super::headers::retry_after(&mut response, wait);
            }
            Ok(response)
        }
    }
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    signed_in: Option<SignedIn>,
) -> Result<HttpResponse, AppError> {
    if let Some(me) = signed_in {
        let ip = client_ip(&req);
        blocking(&state, move |conn| {
            Ok(sign_in::record_sign_out(
                conn,
                &me.account,
                ip,
                clock::now(),
            )?)
        })
        .await?;
    }
    session.purge();
    Ok(redirect("/login?signed_out=1"))
}

/// A check of the signed-in person's own password or two-factor code outside signing in (a new
/// password, turning two-factor off, new recovery codes), taken in turn and under the account's
/// and the address's sign-in pauses: a stolen session does not guess them freely.
pub struct OwnCheck {
    _turn: super::turns::Held,
    email: Email,
    ip: Option<String>,
}

impl OwnCheck {
    /// Waits its turn; `Err` holds why it may not be tried now (paused: in words).
    pub async fn start(
        state: &AppState,
        me: &SignedIn,
        req: &HttpRequest,
    ) -> Result<Result<Self, String>, AppError> {
        let email = Email::parse(&me.account.email)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let ip = client_ip(req);
        let turn = state
            .sign_in_turns
            .take(Some(email.as_str()), ip.as_deref())
            .await;
        let (typed, from, now) = (email.clone(), ip.clone(), state.settings.clock.now());
        let checked = blocking(state, move |conn| {
            Ok(sign_in::before_check(conn, &typed, from.as_deref(), now))
        })
        .await?;
        Ok(match checked {
            Ok(_) => Ok(Self {
                _turn: turn,
                email,
                ip,
            }),
            Err(SignInError::Database(e)) => return Err(e.into()),
            Err(refused) => Err(refused.to_string()),
        })
    }

    /// It was wrong: counted as a failed sign-in would be.
    pub async fn wrong(self, state: &AppState, me: &SignedIn) -> Result<(), AppError> {
        let (account, now) = (me.account.clone(), state.settings.clock.now());
        blocking(state, move |conn| {
            Ok(sign_in::record_failure(
                conn,
                &self.email,
                Some(&account),
                self.ip.as_deref(),
                now,
                Tried::Oneself,
            )?)
        })
        .await
    }
}
