//! Suspend and unsuspend a member (PRODUCT §5), from a users-list row or a user's console: a
//! confirmation dialog (a page without JavaScript) that says what happens, then a POST. From the
//! list, htmx reloads the rows in place; otherwise the console shows the new state.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::auth::WorkspaceAccess;
use super::confirm::{self, Confirmation};
use super::console::{acting_of, parse_id, refused};
use super::error::{AppError, redirect};
use super::forms::flash;
use super::htmx::{members_changed, wants_fragment};
use super::{AppState, blocking};
use crate::clock;
use crate::domain::ids::MembershipId;
use crate::domain::membership::Transition;
use crate::domain::names::display_name;
use crate::domain::role::Permission;
use crate::services::console::{self, Acting};
use crate::store::memberships::MemberDetail;

/// Where the action was started: `list` answers htmx with the rows' reload.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Origin {
    pub from: String,
}

impl Origin {
    fn is_list(&self) -> bool {
        self.from == "list"
    }

    fn query(&self) -> &'static str {
        if self.is_list() { "?from=list" } else { "" }
    }
}

fn name(member: &MemberDetail) -> String {
    display_name(&member.first_name, &member.last_name, &member.email)
}

/// The member, if `transition` would be allowed now (the same judgement as the action's).
async fn preview(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    transition: Transition,
) -> Result<MemberDetail, AppError> {
    let (actor, membership, permissions) = acting_of(access);
    let workspace = access.workspace.id;
    blocking(state, move |conn| {
        let acting = Acting {
            actor: &actor,
            membership,
            permissions,
        };
        Ok(console::preview(conn, &acting, workspace, id, transition))
    })
    .await?
    .map_err(refused)
}

async fn apply(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    suspending: bool,
) -> Result<MemberDetail, AppError> {
    let (actor, membership, permissions) = acting_of(access);
    let workspace = access.workspace.id;
    blocking(state, move |conn| {
        let acting = Acting {
            actor: &actor,
            membership,
            permissions,
        };
        Ok(console::suspend(
            conn,
            &acting,
            workspace,
            id,
            suspending,
            clock::now(),
        ))
    })
    .await?
    .map_err(refused)
}

/// After the action: rows reloaded in place (htmx from the list), or the console with a message.
fn done(
    req: &HttpRequest,
    access: &WorkspaceAccess,
    from: &Origin,
    id: MembershipId,
    message: &str,
) -> Result<HttpResponse, AppError> {
    if wants_fragment(req) && from.is_list() {
        return members_changed(message);
    }
    flash(&access.signed_in.session, message)?;
    let slug = &access.workspace.slug;
    let to = if from.is_list() {
        format!("/w/{slug}/users")
    } else {
        format!("/w/{slug}/users/{id}")
    };
    if wants_fragment(req) {
        // From the console's dialog: the whole console shows the new state.
        return Ok(HttpResponse::Ok()
            .insert_header(("hx-redirect", to))
            .finish());
    }
    Ok(redirect(&to))
}

#[get("/w/{slug}/users/{id}/suspend")]
pub async fn confirm_suspend(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersSuspend)?;
    let id = parse_id(&path.1)?;
    let member = preview(&state, &access, id, Transition::Suspend).await?;
    let slug = &access.workspace.slug;
    let confirmation = Confirmation {
        title: format!("Suspend {}?", name(&member)),
        message: format!(
            "{} loses access to {} at once: their next request here is refused and their sessions in \
             this workspace end. They keep their seat, their role, their groups and everything they \
             own, and you can unsuspend them at any time.",
            name(&member),
            access.workspace.name
        ),
        action: format!("/w/{slug}/users/{id}/suspend{}", from.query()),
        button: "Suspend".to_owned(),
        danger: true,
        cancel_url: if from.is_list() {
            format!("/w/{slug}/users")
        } else {
            format!("/w/{slug}/users/{id}")
        },
        csrf_token: access.signed_in.csrf_token.clone(),
    };
    confirm::render(&req, &state, &access, "users", confirmation).await
}

#[post("/w/{slug}/users/{id}/suspend")]
pub async fn suspend(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersSuspend)?;
    let id = parse_id(&path.1)?;
    let member = apply(&state, &access, id, true).await?;
    let message = format!(
        "{} is suspended: their access to this workspace ended.",
        name(&member)
    );
    done(&req, &access, &from, id, &message)
}

#[post("/w/{slug}/users/{id}/unsuspend")]
pub async fn unsuspend(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersSuspend)?;
    let id = parse_id(&path.1)?;
    let member = apply(&state, &access, id, false).await?;
    let message = format!("{} is active again.", name(&member));
    done(&req, &access, &from, id, &message)
}
