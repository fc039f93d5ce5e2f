//! Suspend and unsuspend a member (PRODUCT §5), and block or unblock their account organization-
//! wide, from a users-list row or a user's console: a confirmation dialog (a page without
//! JavaScript) that says what happens, then a POST. From the list, htmx reloads the rows in place;
//! otherwise the console shows the new state.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::auth::WorkspaceAccess;
use super::confirm::{self, Confirmation};
use super::console::{acting_of, parse_id, refused, with_acting};
use super::error::AppError;
use super::forms::flash;
use super::htmx::{leave_for, members_changed, wants_fragment};
use super::{AppState, blocking};
use crate::clock;
use crate::domain::ids::MembershipId;
use crate::domain::membership::Transition;
use crate::domain::names::display_name;
use crate::domain::role::Permission;
use crate::services::accounts::{self, BlockError};
use crate::services::console::{self, ConsoleError};
use crate::store::memberships::{self, MemberDetail};
use crate::store::ownership;

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

    /// Where Cancel, or the end of the action, leads: the list (with `list_query`) or the console.
    fn back(&self, slug: &str, id: MembershipId, list_query: &str) -> String {
        if self.is_list() {
            format!("/w/{slug}/users{list_query}")
        } else {
            format!("/w/{slug}/users/{id}")
        }
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
    with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::preview(conn, acting, workspace, id, transition))
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
    with_acting(state, access, move |conn, acting, workspace| {
        Ok(console::suspend(
            conn,
            acting,
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
    // From the console's dialog: the whole console shows the new state.
    Ok(leave_for(req, &from.back(&access.workspace.slug, id, "")))
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
        action: Some(format!("/w/{slug}/users/{id}/suspend{}", from.query())),
        details: Vec::new(),
        button: "Suspend".to_owned(),
        danger: true,
        cancel_url: from.back(slug, id, ""),
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
        action: Some(format!("/w/{slug}/users/{id}/block")),
        details: Vec::new(),
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

/// The revoke dialog's query and form: a search for the picker, the chosen heir.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveForm {
    pub q: String,
    pub reassign_to: String,
    pub from: String,
}

impl RemoveForm {
    fn origin(&self) -> Origin {
        Origin {
            from: self.from.clone(),
        }
    }
}

/// What the revoke dialog shows.
pub struct RemoveView {
    name: String,
    workspace: String,
    /// "3 apps, 1 workflow and 12 contacts"; empty when they own nothing.
    owned: String,
    action: String,
    page_url: String,
    picker_url: String,
    cancel_url: String,
    csrf_token: String,
    q: String,
    chosen: String,
    candidates: Vec<super::users::Choice>,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "users/remove_dialog.html")]
struct RemoveDialog<'a> {
    view: &'a RemoveView,
}

#[derive(askama::Template)]
#[template(path = "users/remove_page.html")]
struct RemovePage<'a> {
    chrome: super::auth::Chrome,
    view: &'a RemoveView,
}

#[derive(askama::Template)]
#[template(path = "users/_picker_options.html")]
struct PickerOptions<'a> {
    view: &'a RemoveView,
}

/// "3 apps, 1 workflow and 12 contacts".
fn owned_words(owned: &[(String, i64)]) -> String {
    let words: Vec<String> = owned
        .iter()
        .map(|(kind, n)| super::views::count(*n, kind, &format!("{kind}s")))
        .collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

async fn remove_view(
    state: &AppState,
    access: &WorkspaceAccess,
    id: MembershipId,
    form: &RemoveForm,
    error: Option<String>,
) -> Result<RemoveView, AppError> {
    let member = preview(state, access, id, Transition::Remove).await?;
    let (workspace, q) = (access.workspace.id, form.q.trim().to_owned());
    let search = q.clone();
    let (owned, candidates) = blocking(state, move |conn| {
        let owned = ownership::owned_by_kind(conn, id)?;
        let filter = memberships::ListFilter {
            search: (!search.is_empty()).then_some(search),
            status: Some(crate::domain::membership::MembershipStatus::Active),
            ..Default::default()
        };
        let page = memberships::list_page(
            conn,
            workspace,
            &filter,
            Default::default(),
            memberships::Cursor::First,
            9,
        )?;
        Ok((owned, page.rows))
    })
    .await?;
    let slug = &access.workspace.slug;
    let from = form.origin();
    Ok(RemoveView {
        name: name(&member),
        workspace: access.workspace.name.clone(),
        owned: owned_words(&owned),
        action: format!("/w/{slug}/users/{id}/remove{}", from.query()),
        page_url: format!("/w/{slug}/users/{id}/remove"),
        picker_url: format!("/w/{slug}/users/{id}/remove/picker"),
        cancel_url: from.back(slug, id, ""),
        csrf_token: access.signed_in.csrf_token.clone(),
        candidates: candidates
            .into_iter()
            .filter(|r| r.id != id)
            .take(8)
            .map(|r| super::users::Choice {
                selected: r.id.to_string() == form.reassign_to,
                value: r.id.to_string(),
                label: format!(
                    "{} ({})",
                    display_name(&r.first_name, &r.last_name, &r.email),
                    r.email
                ),
            })
            .collect(),
        q,
        chosen: form.reassign_to.clone(),
        error,
    })
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::VARY, "HX-Request"))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body)
}

async fn render_remove(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    view: &RemoveView,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    use askama::Template;
    let body = if wants_fragment(req) {
        RemoveDialog { view }.render()?
    } else {
        RemovePage {
            chrome: access.chrome(state, "users").await?,
            view,
        }
        .render()?
    };
    Ok(html(status, body))
}

#[get("/w/{slug}/users/{id}/remove")]
pub async fn confirm_remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    form: web::Query<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersRemove)?;
    let id = parse_id(&path.1)?;
    let view = remove_view(&state, &access, id, &form, None).await?;
    render_remove(
        &req,
        &state,
        &access,
        &view,
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// The picker's options for a search (htmx type-ahead inside the revoke dialog).
#[get("/w/{slug}/users/{id}/remove/picker")]
pub async fn remove_picker(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    form: web::Query<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    use askama::Template;
    access.require(Permission::UsersRemove)?;
    let id = parse_id(&path.1)?;
    let view = remove_view(&state, &access, id, &form, None).await?;
    Ok(html(
        actix_web::http::StatusCode::OK,
        PickerOptions { view: &view }.render()?,
    ))
}

#[post("/w/{slug}/users/{id}/remove")]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersRemove)?;
    let id = parse_id(&path.1)?;
    let mut form = form.into_inner();
    form.from = from.from.clone();
    let reassign_to = match form.reassign_to.trim() {
        "" => None,
        text => match MembershipId::parse(text) {
            Some(heir) => Some(heir),
            None => {
                let view = remove_view(
                    &state,
                    &access,
                    id,
                    &form,
                    Some("Choose a member from the list, or leave it unassigned.".to_owned()),
                )
                .await?;
                return render_remove(
                    &req,
                    &state,
                    &access,
                    &view,
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let outcome = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::remove(
            conn,
            acting,
            workspace,
            id,
            reassign_to,
            clock::now(),
        ))
    })
    .await?;
    let removed = match outcome {
        Ok(removed) => removed,
        Err(ConsoleError::Invalid(why)) => {
            let view = remove_view(&state, &access, id, &form, Some(why)).await?;
            return render_remove(
                &req,
                &state,
                &access,
                &view,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(refused(e)),
    };
    let handed = match (&removed.reassigned_to, removed.moved) {
        (_, 0) => String::new(),
        (Some(heir), n) => format!(
            " {} went to {heir}.",
            super::views::count(n as i64, "thing they owned", "things they owned")
        ),
        (None, n) => format!(
            " {} left unassigned.",
            super::views::count(n as i64, "thing they owned is", "things they owned are")
        ),
    };
    let message = format!(
        "{} was removed: their access ended.{handed} You can restore the membership for 14 days.",
        name(&removed.member)
    );
    done(&req, &access, &form.origin(), id, &message)
}

#[get("/w/{slug}/users/{id}/restore")]
pub async fn confirm_restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersRemove)?;
    let id = parse_id(&path.1)?;
    let member = preview(&state, &access, id, Transition::Restore).await?;
    let slug = &access.workspace.slug;
    let confirmation = Confirmation {
        title: format!("Restore {}?", name(&member)),
        message: format!(
            "{} gets their access back as {}, with their groups and direct grants. What was left \
             unassigned when they were removed returns to them; what was reassigned stays with its \
             new owner. The membership takes a seat again.",
            name(&member),
            member.role_name
        ),
        action: Some(format!("/w/{slug}/users/{id}/restore{}", from.query())),
        details: Vec::new(),
        button: "Restore".to_owned(),
        danger: false,
        cancel_url: from.back(slug, id, "?status=removed"),
        csrf_token: access.signed_in.csrf_token.clone(),
    };
    confirm::render(&req, &state, &access, "users", confirmation).await
}

#[post("/w/{slug}/users/{id}/restore")]
pub async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, String)>,
    from: web::Query<Origin>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersRemove)?;
    let id = parse_id(&path.1)?;
    let member = with_acting(&state, &access, move |conn, acting, workspace| {
        Ok(console::restore(conn, acting, workspace, id, clock::now()))
    })
    .await?
    .map_err(refused)?;
    let message = format!("{} is restored and active again.", name(&member));
    done(&req, &access, &from, id, &message)
}
