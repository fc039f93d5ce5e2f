//! Suspend and unsuspend a member (PRODUCT §5), and block or unblock their account organization-
//! wide, from a users-list row or a user's console: a confirmation dialog (a page without
//! JavaScript) that says what happens, then a POST. From the list, htmx reloads the rows in place;
//! otherwise the console shows the new state.

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
use crate::services::accounts::{self, BlockError};
use crate::services::console::{self, Acting};
use crate::store::memberships::{self, MemberDetail};

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

/// The member's account, if the viewer may block (or unblock) it now.
async fn block_preview(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    to_block: bool,
    write: bool,
) -> Result<MemberDetail, AppError> {
    let (actor, _, _) = acting_of(access);
    let (workspace, org_role) = (access.workspace.id, access.signed_in.account.org_role);
    blocking(state, move |conn| {
        let member = memberships::detail(conn, workspace, id)?.ok_or(AppError::NotFound)?;
        let outcome = if write {
            accounts::set_blocked(
                conn,
                &actor,
                org_role,
                Some(workspace),
                member.account_id,
                to_block,
                clock::now(),
            )
        } else {
            accounts::preview(conn, &actor, org_role, member.account_id, to_block)
        };
        outcome.map_err(|e| match e {
            BlockError::NotFound => AppError::NotFound,
            BlockError::Refused(why) => AppError::Forbidden(why),
            BlockError::Database(e) => e.into(),
        })?;
        Ok(member)
    })
    .await
}

#[get("/w/{slug}/users/{id}/block")]
pub async fn confirm_block(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    let id = parse_id(&path.1)?;
    let member = block_preview(&state, &access, id, true, false).await?;
    let slug = &access.workspace.slug;
    let confirmation = Confirmation {
        title: format!("Block {}?", name(&member)),
        message: format!(
            "{} ({}) can no longer sign in anywhere in the organization: every session of theirs \
             ends at once and they cannot accept invitations. Their memberships, roles and \
             everything they own stay as they are, and you can unblock them at any time.",
            name(&member),
            member.email
        ),
        action: format!("/w/{slug}/users/{id}/block"),
        button: "Block account".to_owned(),
        danger: true,
        cancel_url: format!("/w/{slug}/users/{id}"),
        csrf_token: access.signed_in.csrf_token.clone(),
    };
    confirm::render(&req, &state, &access, "users", confirmation).await
}

#[post("/w/{slug}/users/{id}/block")]
pub async fn block(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    let id = parse_id(&path.1)?;
    let member = block_preview(&state, &access, id, true, true).await?;
    let message = format!(
        "{} is blocked: every session of theirs ended.",
        name(&member)
    );
    done(&req, &access, &Origin::default(), id, &message)
}

#[post("/w/{slug}/users/{id}/unblock")]
pub async fn unblock(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersView)?;
    let id = parse_id(&path.1)?;
    let member = block_preview(&state, &access, id, false, true).await?;
    let message = format!("{} is unblocked and can sign in again.", name(&member));
    done(&req, &access, &Origin::default(), id, &message)
}
