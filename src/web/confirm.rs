//! Confirmation before a consequential action: a modal dialog for htmx, a page of its own without
//! JavaScript; either way the action itself is a POST with the CSRF token. The same dialog says why
//! an action cannot be done yet, when it cannot.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::AppState;
use super::auth::{Chrome, SignedIn, WorkspaceAccess};
use super::error::AppError;
use super::htmx::wants_fragment;

pub struct Confirmation {
    pub title: String,
    pub message: String,
    /// Listed under the message (who holds a role…).
    pub details: Vec<String>,
    /// Where the confirming POST goes; `None` when the action cannot be done now (the message says
    /// why) and only Close is offered.
    pub action: Option<String>,
    pub button: String,
    pub danger: bool,
    /// Where Cancel leads on the page form.
    pub cancel_url: String,
    pub csrf_token: String,
}

impl Confirmation {
    /// Deleting what the page at `base` shows, through `{base}/delete`.
    pub fn delete(
        access: &WorkspaceAccess,
        base: String,
        title: String,
        message: String,
        button: String,
    ) -> Self {
        Self {
            title,
            message,
            details: Vec::new(),
            action: Some(format!("{base}/delete")),
            button,
            danger: true,
            cancel_url: base,
            csrf_token: access.signed_in.csrf_token.clone(),
        }
    }
}

impl Confirmation {
    /// Blocking an account organization-wide (from a member's console or the organization's
    /// accounts): the same words wherever it is asked; `action` is where the POST goes.
    pub fn block(
        name: &str,
        email: &str,
        action: String,
        cancel_url: String,
        csrf_token: &str,
    ) -> Self {
        Self {
            title: format!("Block {name}?"),
            message: format!(
                "{name} ({email}) can no longer sign in anywhere in the organization: every \
                 session of theirs ends at once and they cannot accept invitations. Their \
                 memberships, roles and everything they own stay as they are, and you can unblock \
                 them at any time."
            ),
            details: Vec::new(),
            action: Some(action),
            button: "Block account".to_owned(),
            danger: true,
            cancel_url,
            csrf_token: csrf_token.to_owned(),
        }
    }
}

/// After a confirmed deletion: the message for the next page, and the whole page goes to the
/// workspace's list of such things (`/w/{slug}/{list}`).
pub fn deleted(
    req: &HttpRequest,
    access: &WorkspaceAccess,
    message: &str,
    list: &str,
) -> Result<HttpResponse, AppError> {
    super::forms::flash(&access.signed_in.session, message)?;
    Ok(super::htmx::leave_for(
        req,
        &format!("/w/{}/{list}", access.workspace.slug),
    ))
}

#[derive(Template)]
#[template(path = "confirm/dialog.html")]
struct Dialog<'a> {
    confirm: &'a Confirmation,
}

#[derive(Template)]
#[template(path = "confirm/page.html")]
struct Page<'a> {
    chrome: Chrome,
    confirm: &'a Confirmation,
}

pub async fn render(
    req: &HttpRequest,
    state: &AppState,
    access: &WorkspaceAccess,
    section: &'static str,
    confirm: Confirmation,
) -> Result<HttpResponse, AppError> {
    let chrome = if wants_fragment(req) {
        None
    } else {
        Some(access.chrome(state, section).await?)
    };
    respond(chrome, &confirm)
}

/// The same outside a workspace (the organization's pages).
pub async fn render_signed_in(
    req: &HttpRequest,
    state: &AppState,
    me: &SignedIn,
    confirm: Confirmation,
) -> Result<HttpResponse, AppError> {
    let chrome = if wants_fragment(req) {
        None
    } else {
        Some(me.chrome(state).await?)
    };
    respond(chrome, &confirm)
}

/// The dialog (no frame) or the page.
fn respond(chrome: Option<Chrome>, confirm: &Confirmation) -> Result<HttpResponse, AppError> {
    let body = match chrome {
        None => Dialog { confirm }.render()?,
        Some(chrome) => Page { chrome, confirm }.render()?,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "HX-Request"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
