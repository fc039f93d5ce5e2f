//! Confirmation before a consequential action: a modal dialog for htmx, a page of its own without
//! JavaScript; either way the action itself is a POST with the CSRF token. The same dialog says why
//! an action cannot be done yet, when it cannot.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::AppState;
use super::auth::{Chrome, SignedIn, WorkspaceAccess};
use super::error::AppError;
use super::htmx::wants_fragment;
use crate::domain::Reason;

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
    /// The optional reason a suspension or a block asks for.
    pub reason: Option<ReasonField>,
}

/// The optional reason of a suspension, block or removal, as typed, with its error.
#[derive(Debug, Default)]
pub struct ReasonField {
    pub value: String,
    pub error: Option<String>,
}

/// The field `reason` of a suspend, block or remove form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason: String,
}

impl ReasonForm {
    /// The reason given, or the field as typed with its error.
    pub fn parse(&self) -> Result<Option<Reason>, ReasonField> {
        Reason::parse(&self.reason).map_err(|e| ReasonField {
            value: self.reason.clone(),
            error: Some(e.to_string()),
        })
    }
}

impl Confirmation {
    /// A consequential action in a workspace, behind a red `button` that posts to `action` (none:
    /// it cannot be done now and the message says why); Cancel leads to `cancel_url`.
    pub fn dangerous(
        access: &WorkspaceAccess,
        title: String,
        message: String,
        action: Option<String>,
        button: &str,
        cancel_url: String,
    ) -> Self {
        Self {
            title,
            message,
            details: Vec::new(),
            action,
            button: button.to_owned(),
            danger: true,
            cancel_url,
            csrf_token: access.signed_in.csrf_token.clone(),
            reason: None,
        }
    }

    /// Deleting what the page at `base` shows, through `{base}/delete`.
    pub fn delete(
        access: &WorkspaceAccess,
        base: String,
        title: String,
        message: String,
        button: &str,
    ) -> Self {
        let action = Some(format!("{base}/delete"));
        Self::dangerous(access, title, message, action, button, base)
    }
}

impl Confirmation {
    /// Blocking an account organization-wide (from a member's console or the organization's
    /// accounts): the same words wherever it is asked; `action` is where the POST goes, `reason`
    /// the field as typed.
    pub fn block(
        name: &str,
        email: &str,
        action: String,
        cancel_url: String,
        csrf_token: &str,
        reason: ReasonField,
    ) -> Self {
        // "Ada Lovelace (ada@example.com)"; someone without a name is their address, said once.
        let who = match name == email {
            true => email.to_owned(),
            false => format!("{name} ({email})"),
        };
        Self {
            title: format!("Block {name}?"),
            message: format!(
                "{who} can no longer sign in anywhere in the organization: every \
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
            reason: Some(reason),
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
    render_in(req, access.chrome(state, section), confirm).await
}

/// The same outside a workspace (the organization's pages).
pub async fn render_signed_in(
    req: &HttpRequest,
    state: &AppState,
    me: &SignedIn,
    section: &'static str,
    confirm: Confirmation,
) -> Result<HttpResponse, AppError> {
    render_in(req, me.chrome_in(state, section), confirm).await
}

/// The dialog alone for htmx, else a page in the frame `chrome` reads (only then awaited).
async fn render_in(
    req: &HttpRequest,
    chrome: impl Future<Output = Result<Chrome, AppError>>,
    confirm: Confirmation,
) -> Result<HttpResponse, AppError> {
    let chrome = if wants_fragment(req) {
        None
    } else {
        Some(chrome.await?)
    };
    respond(chrome, &confirm)
}

/// The dialog (no frame) or the page; 422 when its reason was refused.
fn respond(chrome: Option<Chrome>, confirm: &Confirmation) -> Result<HttpResponse, AppError> {
    let body = match chrome {
        None => Dialog { confirm }.render()?,
        Some(chrome) => Page { chrome, confirm }.render()?,
    };
    let invalid = confirm.reason.as_ref().is_some_and(|r| r.error.is_some());
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(super::htmx::varying_html(status, body))
}
