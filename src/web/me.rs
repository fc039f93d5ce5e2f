//! `/me`: a person's own profile — names, time zone, password, sessions — and their workspaces
//! (the only page a Member sees).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::auth::{Chrome, SignedIn, client_ip};
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, ProfileForm};
use super::htmx::render_with_status;
use super::{AppState, blocking, multipart, views};
use crate::clock;
use crate::db::AnyConnection;
use crate::domain::NewPassword;
use crate::domain::ids::AccountId;
use crate::domain::membership::MembershipStatus;
use crate::domain::timezone::Timezone;
use crate::services::email_change::{self, EmailChangeError};
use crate::services::profile::ProfileChange;
use crate::services::profile::{self as own, ProfileError};
use crate::store::audit::Actor;
use crate::store::{account_tokens, avatars, memberships, sessions};

pub struct MembershipView {
    pub name: String,
    pub slug: String,
    pub role: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    /// The workspace's first page they may open (`users`, `groups`…), linked; none when their
    /// role opens none, or their membership is not active.
    pub console: Option<&'static str>,
}

pub struct SessionRow {
    pub id: i64,
    pub browser: String,
    pub ip: String,
    pub created: (String, String),
    pub last_seen: String,
    pub current: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Template)]
#[template(path = "me.html")]
struct ProfilePage {
    chrome: Chrome,
    email: String,
    org_role: &'static str,
    created: (String, String),
    profile: ProfileForm,
    timezones: Vec<&'static str>,
    /// An unconfirmed new address and when its link was sent.
    pending_email: Option<(String, String)>,
    /// One's own address is always one's own to change here (with the password).
    email_locked: Option<String>,
    avatar: views::Avatar,
    errors: FieldErrors,
    memberships: Vec<MembershipView>,
    sessions: Vec<SessionRow>,
    /// "On since 4 December 2026", or none.
    two_factor_since: Option<String>,
}

async fn page(
    state: &AppState,
    me: &SignedIn,
    typed: Option<ProfileForm>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let account_id = me.account.id;
    let org_wide = me.account.org_role.administers_all_workspaces();
    let (mine, live, pending, avatar_key) = blocking(state, move |conn| {
        let now = clock::now();
        Ok((
            memberships::list_for_account(conn, account_id)?,
            sessions::list_for_account(conn, account_id, now)?,
            account_tokens::pending_email_change(conn, account_id, now)?,
            avatars::key_of(conn, account_id)?,
        ))
    })
    .await?;
    let memberships = mine
        .into_iter()
        .map(|m| MembershipView {
            console: (m.status == MembershipStatus::Active)
                .then(|| match org_wide {
                    true => Some("users"),
                    false => crate::domain::policy::home_page(m.permissions),
                })
                .flatten(),
            name: m.workspace_name,
            slug: m.slug,
            role: m.role_name,
            status_key: m.status.key(),
            status_label: m.status.label(),
        })
        .collect();
    let now = clock::now();
    let this_browser = super::csrf::secret(&me.session);
    let sessions = live
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            browser: s
                .user_agent
                .map(|ua| views::browser_name(&ua))
                .unwrap_or_else(|| "Unknown browser".to_owned()),
            ip: s.ip.unwrap_or_else(|| "—".to_owned()),
            // To the minute, in their zone: two sessions of one day are told apart.
            created: (
                views::rfc3339(s.created_at),
                views::in_timezone(s.created_at, me.zone()),
            ),
            last_seen: views::relative(s.last_seen_at, now, me.zone()),
            current: s.csrf_token.is_some() && s.csrf_token == this_browser,
        })
        .collect();
    let account = &me.account;
    let page = ProfilePage {
        chrome: me.chrome(state).await?,
        email: account.email.clone(),
        org_role: account.org_role.label(),
        two_factor_since: account
            .two_factor_since
            .map(|t| views::long_local_date(t, me.zone())),
        created: views::date(account.created_at, me.zone()),
        profile: typed.unwrap_or_else(|| ProfileForm::of(account)),
        avatar: views::Avatar::new(
            account.id.0,
            &account.first_name,
            &account.last_name,
            &account.email,
            avatar_key.as_deref(),
        ),
        timezones: Timezone::all_names(),
        pending_email: pending.map(|p| {
            let zone = Timezone::parse(&account.timezone).unwrap_or_default();
            (p.new_email, views::in_timezone(p.created_at, zone))
        }),
        email_locked: None,
        errors,
        memberships,
        sessions,
    };
    render_with_status(status, &page)
}

/// Runs a change to one's own account on the blocking pool: `change` gets the person as the actor
/// of its audit event, their account and the clock's time. Its refusal comes back as it is.
async fn as_me<T, E, F>(
    state: &AppState,
    me: &SignedIn,
    change: F,
) -> Result<Result<T, E>, AppError>
where
    F: FnOnce(&mut AnyConnection, &Actor, AccountId, NaiveDateTime) -> Result<T, E>
        + Send
        + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (actor, account) = (me.actor(), me.account.id);
    blocking(state, move |conn| {
        Ok(change(conn, &actor, account, clock::now()))
    })
    .await
}

/// After a change to one's own account: `message` for the next page, and back to `/me`.
fn back_to_me(me: &SignedIn, message: &str) -> Result<HttpResponse, AppError> {
    back_to_me_if(me, true, message)
}

/// As [`back_to_me`], the message a warning when the action `changed` nothing.
fn back_to_me_if(me: &SignedIn, changed: bool, message: &str) -> Result<HttpResponse, AppError> {
    super::forms::flash_or_warn(&me.session, !changed, message)?;
    Ok(redirect("/me"))
}

/// The page again with the form's messages (422), the profile as typed when it was the form.
async fn refused(
    state: &AppState,
    me: &SignedIn,
    typed: Option<ProfileForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    page(state, me, typed, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn profile(state: web::Data<AppState>, me: SignedIn) -> Result<HttpResponse, AppError> {
    page(&state, &me, None, FieldErrors::default(), StatusCode::OK).await
}

/// The profile form of `/me`: the profile, and the current password a new address asks for.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OwnProfileForm {
    #[serde(flatten)]
    pub profile: ProfileForm,
    pub email_password: String,
}

/// A new email address takes the current password, checked and counted like a sign-in: a session
/// left open must not be enough to move the account to another mailbox (its password resets
/// follow the address). `Err` holds the message beside the field.
async fn password_for_new_email(
    state: &AppState,
    me: &SignedIn,
    req: &HttpRequest,
    password: String,
) -> Result<Result<(), String>, AppError> {
    if password.is_empty() {
        return Ok(Err(
            "Enter your current password to change your email address.".to_owned(),
        ));
    }
    let check = match super::login::OwnCheck::start(state, me, req).await? {
        Ok(check) => check,
        Err(paused) => return Ok(Err(paused)),
    };
    if super::verify_password(me.account.password_hash.clone(), password).await? {
        return Ok(Ok(()));
    }
    check.wrong(state, me).await?;
    Ok(Err("That password is not correct.".to_owned()))
}

pub async fn update_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<OwnProfileForm>,
) -> Result<HttpResponse, AppError> {
    let OwnProfileForm {
        profile: form,
        email_password,
    } = form.into_inner();
    let mut errors = FieldErrors::default();
    let Some(parsed) = form.parse(&mut errors) else {
        return refused(&state, &me, Some(form), errors).await;
    };
    if !parsed
        .email
        .as_str()
        .eq_ignore_ascii_case(&me.account.email)
        && let Err(why) = password_for_new_email(&state, &me, &req, email_password).await?
    {
        errors.add("email_password", why);
        return refused(&state, &me, Some(form), errors).await;
    }
    let change = ProfileChange {
        first_name: parsed.first_name,
        last_name: parsed.last_name,
        timezone: parsed.timezone,
        email: parsed.email,
    };
    let base_url = state.settings.base_url.clone();
    let saved = as_me(&state, &me, move |conn, actor, account, now| {
        own::update_own_profile(conn, actor, account, &change, &base_url, now)
    })
    .await?;
    let confirming = match saved {
        Ok(confirming) => confirming,
        Err(ProfileError::EmailChange(
            e @ (EmailChangeError::Taken
            | EmailChangeError::UserNameTaken
            | EmailChangeError::TooOften { .. }),
        )) => {
            errors.add("email", e);
            return refused(&state, &me, Some(form), errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    if confirming.is_some() {
        state.outbox_wake.notify_one();
    }
    back_to_me(&me, &views::profile_saved(confirming, true))
}

pub async fn cancel_email_change(
    state: web::Data<AppState>,
    me: SignedIn,
) -> Result<HttpResponse, AppError> {
    let cancelled = as_me(&state, &me, |conn, actor, account, now| {
        email_change::cancel(conn, actor, None, account, now)
    })
    .await??;
    back_to_me_if(&me, cancelled, views::email_change_cancelled(cancelled))
}

pub async fn upload_avatar(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    mut body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let upload = multipart::file_field(&req, &mut body, "avatar").await?;
    let outcome = match multipart::decode_picture(upload).await? {
        Ok(png) => Ok(as_me(&state, &me, move |conn, actor, account, now| {
            own::set_avatar(conn, actor, None, account, &png, now)
        })
        .await?),
        Err(bad_picture) => Err(bad_picture),
    };
    match outcome {
        Ok(saved) => {
            saved?;
            back_to_me(&me, "Picture saved.")
        }
        Err(bad_picture) => {
            let mut errors = FieldErrors::default();
            errors.add("avatar", bad_picture);
            refused(&state, &me, None, errors).await
        }
    }
}

pub async fn remove_avatar(
    state: web::Data<AppState>,
    me: SignedIn,
) -> Result<HttpResponse, AppError> {
    let removed = as_me(&state, &me, |conn, actor, account, now| {
        own::remove_avatar(conn, actor, None, account, now)
    })
    .await??;
    back_to_me_if(&me, removed, &views::picture_removed(removed, "your"))
}

pub async fn avatar_png(
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    if key.is_empty()
        || key.len() > 100
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::NotFound);
    }
    let png = blocking(&state, move |conn| Ok(avatars::png(conn, &key)?))
        .await?
        .ok_or(AppError::NotFound)?;
    // Each upload gets a new address, so a picture never changes under its address.
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .body(png))
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    if form.current_password.is_empty() {
        errors.add("current_password", "Enter your current password.");
    }
    let new = errors.check("new_password", NewPassword::parse(&form.new_password));
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return refused(&state, &me, None, errors).await;
    };
    let check = match super::login::OwnCheck::start(&state, &me, &req).await? {
        Ok(check) => check,
        Err(paused) => {
            errors.add("current_password", paused);
            return refused(&state, &me, None, errors).await;
        }
    };
    // argon2 twice, on the blocking pool, holding no database connection.
    let (stored, current) = (me.account.password_hash.clone(), form.current_password);
    let prepared =
        web::block(move || own::PasswordChange::prepare(stored.as_deref(), &current, &new))
            .await??;
    let outcome = match prepared {
        Some(change) => {
            as_me(&state, &me, move |conn, actor, account, now| {
                own::change_password(conn, actor, account, &change, now)
            })
            .await?
        }
        None => Err(ProfileError::WrongPassword),
    };
    match outcome {
        Ok(epoch) => {
            // Every session ended; this browser signs in again at once.
            let account = me.account.id;
            super::auth::start_session(&me.session, account, epoch, &req, client_ip(&req))?;
            back_to_me(
                &me,
                "Password changed. You were signed out everywhere else.",
            )
        }
        Err(ProfileError::WrongPassword) => {
            check.wrong(&state, &me).await?;
            let mut errors = FieldErrors::default();
            errors.add("current_password", "The current password is not correct.");
            refused(&state, &me, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn end_session(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let session = id.into_inner();
    let ended = as_me(&state, &me, move |conn, actor, account, now| {
        own::end_own_session(conn, actor, account, session, now)
    })
    .await??;
    // An id that is not (or no longer) one of one's own sessions ends nothing, and says so.
    let message = if ended {
        "Session ended."
    } else {
        "That session had already ended."
    };
    back_to_me_if(&me, ended, message)
}
