//! The invite dialog (`/w/{slug}/invitations/new`, a page of its own without JavaScript), the
//! invite submit, and the resend and revoke row actions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::as_inviter;
use super::auth::{Chrome, WorkspaceAccess};
use super::confirm::{self, Confirmation};
use super::error::AppError;
use super::forms::HtmlForm;
use super::htmx::wants_fragment;
use super::views::Choice;
use super::{AppState, blocking, views};
use crate::domain::invitation::parse_address_list;
use crate::domain::policy;
use crate::domain::role::Permission;
use crate::services::invitations::{
    self, InviteError, InviteProblems, InviteRequest, InviteSettings,
};
use crate::services::roles;
use crate::store::{apps, groups};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub emails: String,
    pub role: String,
    pub group_id: Vec<i64>,
    pub app_id: Vec<i64>,
}

/// What both the dialog and the page show.
pub struct InviteView {
    pub slug: String,
    pub workspace: String,
    pub csrf_token: String,
    pub emails: String,
    pub roles: Vec<Choice>,
    pub groups: Vec<Choice>,
    pub apps: Vec<Choice>,
    pub problems: InviteProblems,
    pub seats: Option<String>,
}

#[derive(Template)]
#[template(path = "invitations/dialog.html")]
struct InviteDialog {
    view: InviteView,
}

#[derive(Template)]
#[template(path = "invitations/page.html")]
struct InvitePage {
    chrome: Chrome,
    view: InviteView,
}

pub(super) async fn view(
    state: &AppState,
    access: &WorkspaceAccess,
    form: &InviteForm,
    problems: InviteProblems,
) -> Result<InviteView, AppError> {
    let workspace = access.workspace.id;
    let permissions = access.permissions;
    let (role_choices, group_names, app_names) = blocking(state, move |conn| {
        let roles = roles::choices(conn, workspace)?;
        let groups = if permissions.contains(Permission::GroupsManage) {
            groups::names(conn, workspace)?
        } else {
            Vec::new()
        };
        let apps = if permissions.contains(Permission::AppsManage) {
            apps::names(conn, workspace)?
        } else {
            Vec::new()
        };
        Ok((roles, groups, apps))
    })
    .await?;
    let chosen_role = if form.role.is_empty() {
        "member"
    } else {
        form.role.as_str()
    };
    let roles = role_choices
        .into_iter()
        // Only the roles this person may grant are offered (only Owners invite Owners).
        .filter(|r| policy::may_grant_role(permissions, r.permissions).is_ok())
        .map(|r| Choice {
            selected: r.key == chosen_role,
            value: r.key,
            label: r.name,
        })
        .collect();
    let groups = group_names
        .into_iter()
        .map(|(id, name)| Choice {
            selected: form.group_id.contains(&id),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let apps = app_names
        .into_iter()
        .map(|(id, kind, name)| Choice {
            selected: form.app_id.contains(&id),
            value: id.to_string(),
            label: format!("{name} ({kind})"),
        })
        .collect();
    let w = &access.workspace;
    let seats = w.seat_limit.map(|limit| {
        format!(
            "{} plan: {} of {} seats in use",
            w.plan.name(),
            views::number(w.counts.seats_used()),
            views::number(limit)
        )
    });
    Ok(InviteView {
        slug: w.slug.clone(),
        workspace: w.name.clone(),
        csrf_token: access.signed_in.csrf_token.clone(),
        emails: form.emails.clone(),
        roles,
        groups,
        apps,
        problems,
        seats,
    })
}

fn render(
    req: &HttpRequest,
    status: StatusCode,
    dialog: InviteDialog,
    chrome: impl FnOnce() -> Option<Chrome>,
) -> Result<HttpResponse, AppError> {
    let body = if wants_fragment(req) {
        dialog.render()?
    } else {
        let chrome =
            chrome().ok_or_else(|| AppError::Internal(anyhow::anyhow!("page frame missing")))?;
        InvitePage {
            chrome,
            view: dialog.view,
        }
        .render()?
    };
    Ok(super::htmx::varying_html(status, body))
}

async fn respond(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    status: StatusCode,
    view: InviteView,
) -> Result<HttpResponse, AppError> {
    let chrome = if wants_fragment(req) {
        None
    } else {
        Some(access.chrome(state, "users").await?)
    };
    render(req, status, InviteDialog { view }, || chrome)
}

pub async fn new(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let view = view(
        &state,
        &access,
        &InviteForm::default(),
        InviteProblems::default(),
    )
    .await?;
    respond(&req, &state, &access, StatusCode::OK, view).await
}

pub fn invite_settings(state: &AppState) -> InviteSettings {
    InviteSettings {
        base_url: state.settings.base_url.clone(),
        ttl_days: state.settings.invite_ttl_days,
    }
}

/// htmx: a message in the page's flash area, and an event that makes the list reload its rows.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let mut form = form.0;
    super::forms::unique(&mut form.group_id);
    super::forms::unique(&mut form.app_id);
    let addresses = parse_address_list(&form.emails);
    let request = InviteRequest {
        workspace: access.workspace.id,
        addresses: addresses.clone(),
        role: form.role.clone(),
        group_ids: form.group_id.clone(),
        app_ids: form.app_id.clone(),
        names: Default::default(),
    };
    let settings = invite_settings(&state);
    let outcome = as_inviter(&state, &access, move |conn, inviter, now| {
        invitations::invite_members(conn, inviter, &request, &settings, now)
    })
    .await?;
    match outcome {
        Ok(made) => {
            state.outbox_wake.notify_one();
            let message = format!(
                "{} sent",
                views::count(made.len() as i64, "invitation", "invitations")
            );
            after_action(&req, &access, &message)
        }
        Err(InviteError::Invalid(problems)) => {
            // The field keeps the good addresses; the bad ones are listed with their reasons.
            let kept = addresses
                .valid
                .iter()
                .filter(|e| !problems.addresses.iter().any(|(a, _)| a == e.as_str()))
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let form = InviteForm {
                emails: if problems.addresses.is_empty() {
                    form.emails.clone()
                } else {
                    kept
                },
                ..form
            };
            let view = view(&state, &access, &form, problems).await?;
            respond(
                &req,
                &state,
                &access,
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
            .await
        }
        Err(InviteError::Database(e)) => Err(e.into()),
        Err(InviteError::Render(e)) => Err(e.into()),
    }
}

fn after_action(
    req: &HttpRequest,
    access: &WorkspaceAccess,
    message: &str,
) -> Result<HttpResponse, AppError> {
    if wants_fragment(req) {
        super::htmx::members_changed(message)
    } else {
        access.show_after("users", message)
    }
}

pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let id = path.into_inner().1;
    let (settings, workspace) = (invite_settings(&state), access.workspace.id);
    as_inviter(&state, &access, move |conn, inviter, now| {
        invitations::resend(conn, inviter, workspace, id, &settings, now)
    })
    .await??;
    state.outbox_wake.notify_one();
    after_action(
        &req,
        &access,
        "Invitation sent again; the previous link no longer works.",
    )
}

pub async fn confirm_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    access.require(Permission::UsersInvite)?;
    let id = path.into_inner().1;
    let (workspace, permissions) = (access.workspace.id, access.permissions);
    // The same checks as the revoke itself: an Admin does not even see an Owner's invitation here.
    let invitation = blocking(&state, move |conn| {
        Ok(invitations::find_for_action(
            conn,
            workspace,
            id,
            permissions,
        ))
    })
    .await?
    .map_err(AppError::from)?;
    let slug = &access.workspace.slug;
    let confirmation = Confirmation::dangerous(
        &access,
        "Revoke invitation?".to_owned(),
        format!(
            "The invitation link sent to {} stops working at once and their seat is freed. You can invite them again later.",
            invitation.email
        ),
        Some(format!("/w/{slug}/invitations/{id}/revoke")),
        "Revoke invitation",
        format!("/w/{slug}/users"),
    );
    confirm::render(&req, &state, &access, "users", confirmation).await
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersInvite)?;
    let id = path.into_inner().1;
    let workspace = access.workspace.id;
    let email = as_inviter(&state, &access, move |conn, inviter, now| {
        invitations::revoke(conn, inviter, workspace, id, now)
    })
    .await??;
    after_action(&req, &access, &format!("Invitation for {email} revoked."))
}
