//! `/w/{slug}/settings` (issue 6): the workspace's name (`settings.manage`), and for Owners its URL
//! slug, plan and seat limit, and deletion. Seat usage is shown to everyone who may open the page;
//! who may open it at all is [`policy::may_open_settings`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::as_viewer;
use super::auth::{Chrome, WorkspaceAccess};
use super::error::{AppError, redirect};
use super::forms::{FieldErrors, flash};
use super::htmx::render_with_status;
use super::views::Choice;
use super::{AppState, blocking, views};
use crate::clock;
use crate::db::AnyConnection;
use crate::domain::plan::Plan;
use crate::domain::policy;
use crate::domain::role::Permission;
use crate::domain::{Name, Slug};
use crate::services::landing;
use crate::services::workspaces::{self as service, WorkspaceError};
use crate::store::accounts::Account;
use crate::store::workspaces::Workspace;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NameForm {
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SlugForm {
    pub slug: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    pub plan: String,
    /// Empty: the plan's own limit.
    pub seat_limit: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    /// The workspace's slug, typed to confirm.
    pub confirm: String,
}

/// A refusal that belongs beside a field of the page's forms.
fn settings_error(e: WorkspaceError, errors: &mut FieldErrors) -> Result<(), AppError> {
    let field = match e {
        WorkspaceError::SlugTaken => "slug",
        WorkspaceError::SeatsInUse(_) => "seat_limit",
        WorkspaceError::PlanTooSmall(_) => "plan",
        WorkspaceError::NotConfirmed => "confirm",
        other => return Err(AppError::from(other)),
    };
    errors.add(field, e);
    Ok(())
}

/// After a change: the message for the next page, and the settings at the workspace's slug.
fn back_to_settings(
    access: &WorkspaceAccess,
    slug: &str,
    message: &str,
) -> Result<HttpResponse, AppError> {
    flash(&access.signed_in.session, message)?;
    Ok(redirect(&format!("/w/{slug}/settings")))
}

/// What the forms show: the workspace as it is, or what a refused form brought back as typed.
struct Typed {
    name: String,
    slug: String,
    plan: String,
    seat_limit: String,
    confirm: String,
    errors: FieldErrors,
}

impl Typed {
    fn of(workspace: &Workspace) -> Self {
        // A limit equal to the plan's own shows as empty, so changing only the plan takes the
        // new plan's limit.
        let chosen = workspace
            .seat_limit
            .filter(|limit| Some(*limit) != workspace.plan.default_seat_limit());
        Self {
            name: workspace.name.clone(),
            slug: workspace.slug.clone(),
            plan: workspace.plan.key().to_owned(),
            seat_limit: chosen.map(|limit| limit.to_string()).unwrap_or_default(),
            confirm: String::new(),
            errors: FieldErrors::default(),
        }
    }
}

/// The seats in use, as the bar shows them.
pub struct SeatUsage {
    pub used: i64,
    pub limit: Option<i64>,
    /// Where the bar starts warning: nine tenths of the limit.
    pub high: i64,
    /// "7 of 10 seats used"
    pub text: String,
}

#[derive(Template)]
#[template(path = "settings/show.html")]
struct SettingsPage {
    chrome: Chrome,
    slug: String,
    name: String,
    plan: &'static str,
    seats: SeatUsage,
    /// "3 members and 1 pending invitation"
    members: String,
    plans: Vec<Choice>,
    can_rename: bool,
    is_owner: bool,
    require_two_factor: bool,
    /// The viewer's own two-factor sign-in is on (asking it of others needs it first).
    own_two_factor: bool,
    /// For Owners: how many Owners and Admins here have two-factor sign-in off, in words.
    two_factor_off: Option<String>,
    /// The link to the workspace's API keys, for those who may read them.
    api_keys: bool,
    /// The link to the Slack connection, for those who manage it or read everything.
    slack: bool,
    /// For Owners: the Slack workspace this one is connected to, which a deletion disconnects.
    slack_team: Option<String>,
    typed: Typed,
}

/// "Team: up to 50 seats", for the plan menu.
fn plan_label(plan: Plan) -> String {
    match plan.default_seat_limit() {
        Some(seats) if plan.limit_is_chosen() => {
            format!("{plan}: up to {} seats", views::number(seats))
        }
        Some(seats) => format!("{plan}: {} seats", views::number(seats)),
        None => format!("{plan}: any number of seats"),
    }
}

async fn render(
    state: &AppState,
    access: &WorkspaceAccess,
    typed: Typed,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let chrome = access.chrome(state, "settings").await?;
    let w = &access.workspace;
    // For Owners: who has two-factor off, and the Slack connection a deletion would end.
    let (two_factor_off, slack_team) = match access.can(Permission::Owner) {
        true => {
            let id = w.id;
            let (off, slack) = blocking(state, move |conn| {
                Ok((
                    service::without_two_factor(conn, id)?,
                    crate::store::slack::find(conn, id)?,
                ))
            })
            .await?;
            let off = match off {
                0 => "Every Owner and Admin here has it on.".to_owned(),
                1 => "1 Owner or Admin here has it off.".to_owned(),
                n => format!("{} Owners and Admins here have it off.", views::number(n)),
            };
            (Some(off), slack.map(|c| c.team_name))
        }
        false => (None, None),
    };
    let used = w.counts.seats_used();
    let plans = Plan::ALL
        .into_iter()
        .map(|p| Choice {
            value: p.key().to_owned(),
            label: plan_label(p),
            selected: p.key() == typed.plan,
        })
        .collect();
    let page = SettingsPage {
        chrome,
        slug: w.slug.clone(),
        name: w.name.clone(),
        plan: w.plan.name(),
        seats: SeatUsage {
            used,
            limit: w.seat_limit,
            high: w.seat_limit.map_or(0, |limit| limit - limit / 10),
            text: views::seats_used(used, w.seat_limit),
        },
        members: format!(
            "{} and {}",
            views::count(w.counts.active + w.counts.suspended, "member", "members"),
            views::count(
                w.counts.invited,
                "pending invitation",
                "pending invitations"
            )
        ),
        plans,
        can_rename: access.can(Permission::SettingsManage),
        is_owner: access.can(Permission::Owner),
        require_two_factor: w.require_two_factor,
        own_two_factor: access.signed_in.account.two_factor_since.is_some(),
        two_factor_off,
        slack_team,
        api_keys: access
            .permissions
            .holds_any(&[Permission::ApiKeysManage, Permission::AuditView]),
        slack: access
            .permissions
            .holds_any(&[Permission::SlackManage, Permission::AuditView]),
        typed,
    };
    render_with_status(status, &page)
}

/// The page form refused: 422 with the messages beside the fields, the rest as it is.
async fn refused(
    state: &AppState,
    access: &WorkspaceAccess,
    keep: impl FnOnce(&mut Typed),
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let mut typed = Typed::of(&access.workspace);
    keep(&mut typed);
    typed.errors = errors;
    render(state, access, typed, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn show(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    if !policy::may_open_settings(access.permissions) {
        return Err(AppError::Forbidden(format!(
            "Your role in {} does not allow opening its settings.",
            access.workspace.name
        )));
    }
    let typed = Typed::of(&access.workspace);
    render(&state, &access, typed, StatusCode::OK).await
}

pub async fn rename(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::SettingsManage)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    if let Some(name) = errors.check("name", Name::parse(&form.name)) {
        let id = access.workspace.id;
        as_viewer(&state, &access, move |conn, actor, now| {
            service::rename(conn, actor, id, &name, now)
        })
        .await??;
        return back_to_settings(&access, &access.workspace.slug, "Name saved.");
    }
    refused(&state, &access, |t| t.name = form.name, errors).await
}

pub async fn change_slug(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<SlugForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::Owner)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    if let Some(slug) = errors.check("slug", Slug::parse(&form.slug)) {
        let (id, new) = (access.workspace.id, slug.clone());
        let changed = as_viewer(&state, &access, move |conn, actor, now| {
            service::change_slug(conn, actor, id, &new, now)
        })
        .await?;
        match changed {
            Ok(()) => {
                let message = if slug.as_str() == access.workspace.slug {
                    format!("The URL name is /w/{slug} already: nothing changed.")
                } else {
                    format!(
                        "The workspace is now at /w/{slug}; links to /w/{} lead here.",
                        access.workspace.slug
                    )
                };
                return back_to_settings(&access, slug.as_str(), &message);
            }
            Err(e) => settings_error(e, &mut errors)?,
        }
    }
    refused(&state, &access, |t| t.slug = form.slug, errors).await
}

pub async fn change_plan(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::Owner)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let plan = Plan::from_key(&form.plan);
    if plan.is_none() {
        errors.add("plan", "Choose a plan.");
    }
    let chosen = plan.and_then(|plan| {
        errors
            .check("seat_limit", plan.seat_limit(&form.seat_limit))
            .map(|limit| (plan, limit))
    });
    if let Some((plan, limit)) = chosen {
        let id = access.workspace.id;
        let changed = as_viewer(&state, &access, move |conn, actor, now| {
            service::change_plan(conn, actor, id, plan, limit, now)
        })
        .await?;
        match changed {
            Ok(()) => {
                let message = format!(
                    "{plan} plan, {}.",
                    match limit {
                        Some(seats) => views::count(seats, "seat", "seats"),
                        None => "no seat limit".to_owned(),
                    }
                );
                return back_to_settings(&access, &access.workspace.slug, &message);
            }
            Err(e) => settings_error(e, &mut errors)?,
        }
    }
    let keep = |t: &mut Typed| {
        t.plan = form.plan;
        t.seat_limit = form.seat_limit;
    };
    refused(&state, &access, keep, errors).await
}

/// Where someone goes once the workspace they were in is deleted: org admins to the
/// organization's workspaces, everyone else where they would land on signing in (another
/// workspace, or their profile).
fn after_deletion(conn: &mut AnyConnection, account: &Account) -> Result<String, AppError> {
    if account.org_role.administers_all_workspaces() {
        Ok("/org/workspaces".to_owned())
    } else {
        Ok(landing::landing_path(conn, account)?)
    }
}

pub async fn delete(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::Owner)?;
    let confirm = form.into_inner().confirm;
    let (actor, id, account) = (
        access.signed_in.actor(),
        access.workspace.id,
        access.signed_in.account.clone(),
    );
    let typed = confirm.clone();
    let deleted = blocking(&state, move |conn| {
        let deleted = service::delete(conn, &actor, id, &typed, clock::now());
        Ok(match deleted {
            Ok((workspace, slack)) => Ok((workspace, slack, after_deletion(conn, &account)?)),
            Err(e) => Err(e),
        })
    })
    .await?;
    match deleted {
        Ok((workspace, slack, to)) => {
            let message = format!(
                "Workspace {} (/w/{}) deleted.",
                workspace.name, workspace.slug
            );
            let session = &access.signed_in.session;
            let Some(slack) = slack else {
                flash(session, &message)?;
                return Ok(redirect(&to));
            };
            // Its Slack connection went with it: its token is revoked in Slack now, and the
            // organization's log says whether it was. The deletion is done whatever Slack
            // answers: a failure is said, not an error page.
            let token = crate::services::slack::token_of(&slack, &state.settings.encryption_key);
            let revocation =
                super::slack::revoke_unless_shared(&state, id, slack.team_id.clone(), token)
                    .await
                    .unwrap_or(crate::services::slack::Revocation::NotRevoked);
            let (actor, said, now) = (access.signed_in.actor(), revocation.clone(), clock::now());
            let team = slack.team_name.clone();
            let logged = blocking(&state, move |conn| {
                let gone = (workspace.slug.as_str(), &slack);
                Ok(crate::services::slack::gone_with_workspace(
                    conn, &actor, gone, &said, now,
                )?)
            })
            .await;
            // The deletion is done: a log that could not be written is said in the server's.
            if let Err(e) = logged {
                tracing::warn!(error = %e, "the Slack connection's end was not logged");
            }
            match super::slack::token_words(&team, &revocation) {
                None => flash(session, &message)?,
                Some((words, warning)) => {
                    let message = format!("{message} Its Slack connection is gone, but {words}");
                    super::forms::flash_or_warn(session, warning, &message)?;
                }
            }
            Ok(redirect(&to))
        }
        Err(e) => {
            let mut errors = FieldErrors::default();
            settings_error(e, &mut errors)?;
            refused(&state, &access, |t| t.confirm = confirm, errors).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TwoFactorForm {
    /// The checkbox: present when ticked.
    pub require: Option<String>,
}

/// "Require two-factor sign-in for Owners and Admins" (Owners). Turning it on takes one's own
/// two-factor first, so that the Owner is not sent away from the page they are on.
pub async fn require_two_factor(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: web::Form<TwoFactorForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::Owner)?;
    let required = form.into_inner().require.is_some();
    if required && access.signed_in.account.two_factor_since.is_none() {
        let mut errors = FieldErrors::default();
        errors.add(
            "require",
            "Turn on your own two-factor sign-in first (Your profile → Two-factor sign-in).",
        );
        return refused(&state, &access, |_| {}, errors).await;
    }
    let (actor, id) = (access.signed_in.actor(), access.workspace.id);
    let now = state.settings.clock.now();
    blocking(&state, move |conn| {
        service::set_require_two_factor(conn, &actor, id, required, now).map_err(AppError::from)
    })
    .await?;
    let message = if required {
        "Owners and Admins now need two-factor sign-in to use this workspace."
    } else {
        "Two-factor sign-in is no longer required here."
    };
    back_to_settings(&access, &access.workspace.slug, message)
}
