//! `/me`: a person's own profile — names, time zone, password, sessions — and their workspaces
//! (the only page a Member sees).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{Chrome, SignedIn, client_ip};
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, flash};
use super::htmx::render_with_status;
use super::{AppState, blocking, login, views};
use crate::clock;
use crate::domain::membership::MembershipStatus;
use crate::domain::timezone::Timezone;
use crate::domain::{Name, NewPassword};
use crate::services::profile::{self as own, ProfileError};
use crate::store::audit::Actor;
use crate::store::{memberships, sessions};

pub struct MembershipView {
    pub name: String,
    pub slug: String,
    pub role: String,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub console: bool,
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
pub struct ProfileForm {
    pub first_name: String,
    pub last_name: String,
    pub timezone: String,
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
    errors: FieldErrors,
    memberships: Vec<MembershipView>,
    sessions: Vec<SessionRow>,
}

fn actor(me: &SignedIn) -> Actor {
    Actor {
        account_id: Some(me.account.id),
        label: me.account.display_name(),
        ip: me.ip.clone(),
    }
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
    let (mine, live) = blocking(state, move |conn| {
        Ok((
            memberships::list_for_account(conn, account_id)?,
            sessions::list_for_account(conn, account_id, clock::now())?,
        ))
    })
    .await?;
    let memberships = mine
        .into_iter()
        .map(|m| MembershipView {
            console: m.status == MembershipStatus::Active
                && (org_wide || !m.permissions.is_empty()),
            name: m.workspace_name,
            slug: m.slug,
            role: m.role_name,
            status_key: m.status.key(),
            status_label: m.status.label(),
        })
        .collect();
    let now = clock::now();
    let sessions = live
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            browser: s
                .user_agent
                .map(|ua| views::browser_name(&ua))
                .unwrap_or_else(|| "Unknown browser".to_owned()),
            ip: s.ip.unwrap_or_else(|| "—".to_owned()),
            created: views::date(s.created_at),
            last_seen: views::relative(s.last_seen_at, now),
            current: s.csrf_token.as_deref() == Some(me.csrf_token.as_str()),
        })
        .collect();
    let account = &me.account;
    let page = ProfilePage {
        chrome: me.chrome(state).await?,
        email: account.email.clone(),
        org_role: account.org_role.label(),
        created: views::date(account.created_at),
        profile: typed.unwrap_or_else(|| ProfileForm {
            first_name: account.first_name.clone(),
            last_name: account.last_name.clone(),
            timezone: account.timezone.clone(),
        }),
        timezones: Timezone::all_names(),
        errors,
        memberships,
        sessions,
    };
    render_with_status(status, &page)
}

#[get("/me")]
pub async fn profile(state: web::Data<AppState>, me: SignedIn) -> Result<HttpResponse, AppError> {
    page(&state, &me, None, FieldErrors::default(), StatusCode::OK).await
}

#[post("/me/profile")]
pub async fn update_profile(
    state: web::Data<AppState>,
    me: SignedIn,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let first = errors.check("first_name", Name::parse(&form.first_name));
    let last = errors.check("last_name", Name::parse(&form.last_name));
    let timezone = errors.check("timezone", Timezone::parse(&form.timezone));
    let (Some(first), Some(last), Some(timezone)) = (first, last, timezone) else {
        return page(
            &state,
            &me,
            Some(form),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (actor, account) = (actor(&me), me.account.id);
    blocking(&state, move |conn| {
        Ok(own::update_own_profile(
            conn,
            &actor,
            account,
            &first,
            &last,
            timezone,
            clock::now(),
        ))
    })
    .await?
    .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    flash(&me.session, "Profile saved.")?;
    Ok(redirect("/me"))
}

#[post("/me/password")]
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
        return page(&state, &me, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (actor, account, current) = (actor(&me), me.account.id, form.current_password);
    let outcome = blocking(&state, move |conn| {
        Ok(own::change_password(
            conn,
            &actor,
            account,
            &current,
            &new,
            clock::now(),
        ))
    })
    .await?;
    match outcome {
        Ok(epoch) => {
            // Every session ended; this browser signs in again at once.
            login::start_session(&me.session, account, epoch, &req, client_ip(&req))?;
            flash(
                &me.session,
                "Password changed. You were signed out everywhere else.",
            )?;
            Ok(redirect("/me"))
        }
        Err(ProfileError::WrongPassword) => {
            let mut errors = FieldErrors::default();
            errors.add("current_password", "The current password is not correct.");
            page(&state, &me, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(AppError::Internal(anyhow::Error::new(e))),
    }
}

#[post("/me/sessions/{id}/end")]
pub async fn end_session(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (actor, account, session) = (actor(&me), me.account.id, id.into_inner());
    blocking(&state, move |conn| {
        Ok(own::end_own_session(
            conn,
            &actor,
            account,
            session,
            clock::now(),
        ))
    })
    .await?
    .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    flash(&me.session, "Session ended.")?;
    Ok(redirect("/me"))
}
