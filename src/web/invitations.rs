//! The invite dialog (`/w/{slug}/invitations/new`, a page of its own without JavaScript), the
//! invite submit, and the resend and revoke row actions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::acting::as_inviter;
use super::auth::{Chrome, WorkspaceAccess};
use super::confirm::{self, Confirmation};
use super::error::AppError;
use super::forms::HtmlForm;
use super::htmx::wants_fragment;
use super::invite_form::{InviteForm, InviteView, admin_warning, view};
use super::{AppState, blocking, views};
use crate::domain::invitation::parse_address_list;
use crate::domain::role::Permission;
use crate::services::invitations::{self, InviteError, InviteProblems, InviteRequest};

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
    };
    let settings = state.invite_settings();
    let outcome = as_inviter(&state, &access, move |conn, inviter, now| {
        invitations::invite_members(conn, inviter, &request, &settings, now)
    })
    .await?;
    match outcome {
        Ok(made) => {
            state.outbox_wake.notify_one();
            let sent = made.len() as i64;
            let message = format!(
                "{} sent.{}",
                views::count(sent, "invitation", "invitations"),
                admin_warning(&state, &access, &form.role).await?
            );
            after_action(&req, &access, &message)
        }
        Err(InviteError::Invalid(problems)) => {
            // The field keeps what was typed; the bad addresses are listed with their reasons.
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
        access.show_after(access.people_or("invitations/new"), message)
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
    let (settings, workspace) = (state.invite_settings(), access.workspace.id);
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
