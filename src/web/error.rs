//! One error type for every handler: what the person sees, and what only the log sees.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::domain::policy::Refusal;
use crate::services::accounts::BlockError;
use crate::services::apps::ChangeError as AppChangeError;
use crate::services::console::ConsoleError;
use crate::services::email_change::EmailChangeError;
use crate::services::groups::GroupError;
use crate::services::invitations::InvitationActionError;
use crate::services::profile::ProfileError;
use crate::services::workspaces::WorkspaceError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not found, with what may have become of it and what to do (a form sent twice): 404.
    #[error("{0}")]
    NoLonger(String),
    /// An address whose query the console cannot read (`?after=abc`).
    #[error("bad address")]
    BadAddress,
    /// A form whose fields the console cannot read (`membership_id=abc`): no page sends one.
    #[error("bad form")]
    BadForm,
    /// Refused by a permission or rule; the text says why, in words.
    #[error("{0}")]
    Forbidden(String),
    /// A rule refused the change (e.g. the last owner); the text says why.
    #[error("{0}")]
    Conflict(String),
    /// A value of a form that no page offers (a role deleted meanwhile): 422, the text says why.
    #[error("{0}")]
    Invalid(String),
    #[error("the form's security token is missing or stale")]
    Csrf,
    /// A body larger than the console reads: a form over 256 KiB, or an upload over 8 MiB.
    #[error("request body too large")]
    TooLarge { upload: bool },
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// Somewhere else to go (a renamed workspace, a member sent to their profile).
    #[error("redirect to {0}")]
    Redirect(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Why a body too large is refused, and what to do: a form's, an upload's.
pub fn too_large_words(upload: bool) -> &'static str {
    if upload {
        "Nothing was changed: this file is larger than the console reads (8 MB). A picture takes \
         1 MB at most, an import file 5 MB: choose a smaller one, or split the import."
    } else {
        "Nothing was changed: this form sent more than the console reads at once. Send fewer \
         addresses at a time (500 at most); what you typed is still in the form."
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

/// A decision of the policy: a rule refuses (403), a state is in the way (409).
impl From<&Refusal> for AppError {
    fn from(refusal: &Refusal) -> Self {
        if refusal.is_conflict() {
            AppError::Conflict(refusal.to_string())
        } else {
            AppError::Forbidden(refusal.to_string())
        }
    }
}

impl From<ConsoleError> for AppError {
    fn from(e: ConsoleError) -> Self {
        match e {
            ConsoleError::NotFound => AppError::NotFound,
            ConsoleError::Refused(why) => AppError::Forbidden(why),
            ConsoleError::Conflict(why) | ConsoleError::Taken(why) => AppError::Conflict(why),
            ConsoleError::Invalid(why) => AppError::Invalid(why),
            ConsoleError::Database(e) => e.into(),
            ConsoleError::EmailChange(e) => e.into(),
            ConsoleError::Profile(e) => e.into(),
        }
    }
}

/// What reaches here of a profile's errors is nothing a person can fix (a wrong password or an
/// address taken are answered beside their field first).
impl From<ProfileError> for AppError {
    fn from(e: ProfileError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

/// See `From<ProfileError>`: a dead link or a taken address are answered by the page first.
/// A page that can say it better answers first; what reaches here is said as it is.
impl From<EmailChangeError> for AppError {
    fn from(e: EmailChangeError) -> Self {
        match e {
            EmailChangeError::Taken | EmailChangeError::UserNameTaken => {
                AppError::Conflict(e.to_string())
            }
            EmailChangeError::NoLongerAllowed | EmailChangeError::Blocked => {
                AppError::Forbidden(e.to_string())
            }
            EmailChangeError::DeadLink => AppError::NotFound,
            e => AppError::Internal(anyhow::Error::new(e)),
        }
    }
}

/// A dead reset link is answered by the page first.
impl From<crate::services::password_reset::ResetError> for AppError {
    fn from(e: crate::services::password_reset::ResetError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<BlockError> for AppError {
    fn from(e: BlockError) -> Self {
        match e {
            BlockError::NotFound => AppError::NotFound,
            BlockError::Refused(why) => AppError::Forbidden(why),
            BlockError::Conflict(why) => AppError::Conflict(why),
            BlockError::Database(e) => e.into(),
        }
    }
}

/// An app's change refused outside a form: something gone is 404, anything else a conflict.
impl From<AppChangeError> for AppError {
    fn from(e: AppChangeError) -> Self {
        match e {
            AppChangeError::NotFound | AppChangeError::NoSuchGrant => AppError::NotFound,
            AppChangeError::Database(e) => e.into(),
            AppChangeError::Refused(why) => AppError::Forbidden(why),
            other => AppError::Conflict(other.to_string()),
        }
    }
}

/// A group's change refused outside a form: a group gone is 404, anything else a conflict.
impl From<GroupError> for AppError {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::NotFound | GroupError::NotAMember => AppError::NotFound,
            GroupError::Refused(why) => AppError::Forbidden(why),
            GroupError::Database(e) => e.into(),
            other => AppError::Conflict(other.to_string()),
        }
    }
}

/// A settings change refused outside a form: a workspace gone is 404, anything else a conflict.
impl From<WorkspaceError> for AppError {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::NotFound => AppError::NotFound,
            WorkspaceError::Refused(why) => AppError::Forbidden(why),
            WorkspaceError::Database(e) => e.into(),
            other => AppError::Conflict(other.to_string()),
        }
    }
}

/// Resending or revoking an invitation that is gone, too soon, or not the actor's to touch.
impl From<InvitationActionError> for AppError {
    fn from(e: InvitationActionError) -> Self {
        match e {
            InvitationActionError::NotFound => AppError::Conflict(e.to_string()),
            InvitationActionError::Forbidden(why) => AppError::Forbidden(why),
            InvitationActionError::TooSoon(why) => AppError::Conflict(why),
            InvitationActionError::Blocked => AppError::Conflict(e.to_string()),
            InvitationActionError::Database(e) => e.into(),
            InvitationActionError::Render(e) => e.into(),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("no database connection available"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("session write failed"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("template rendering failed"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    request_id: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NoLonger(_) => StatusCode::NOT_FOUND,
            AppError::BadAddress | AppError::BadForm => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::SignInRequired { .. } | AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            AppError::SignInRequired { next } => {
                let location = if next.is_empty() || next == "/" {
                    "/login".to_owned()
                } else {
                    format!(
                        "/login?{}",
                        serde_html_form::to_string([("next", next)]).unwrap_or_default()
                    )
                };
                return whole_page_redirect(&location);
            }
            AppError::Redirect(location) => return whole_page_redirect(location),
            _ => {}
        }
        let (title, message, request_id) = match self {
            AppError::NotFound => ("Page not found", "There is nothing at this address, or you may not see it.".to_owned(), None),
            AppError::BadAddress => ("Address not understood", "Part of this address is not one the console understands. Go back and follow a link instead.".to_owned(), None),
            AppError::BadForm => ("Form not understood", "This form sent a value the console cannot read. Go back, reload the page and try again.".to_owned(), None),
            AppError::NoLonger(reason) => ("No longer here", reason.clone(), None),
            AppError::Forbidden(reason) => ("Not allowed", reason.clone(), None),
            AppError::Conflict(reason) => ("That cannot be done", reason.clone(), None),
            AppError::Invalid(reason) => ("Not accepted", reason.clone(), None),
            AppError::TooLarge { upload } => (
                "Too much at once",
                too_large_words(*upload).to_owned(),
                None,
            ),
            AppError::Csrf => (
                "Form expired",
                "This form's security token is missing or out of date. Go back, reload the page and try again.".to_owned(),
                None,
            ),
            AppError::Internal(error) => {
                let id = super::observe::request_id()
                    .unwrap_or_else(|| crate::tokens::new_token()[..16].to_owned());
                tracing::error!(request_id = %id, error = ?error, "request failed");
                ("Something went wrong", "The console could not complete this request. It has been logged.".to_owned(), Some(id))
            }
            AppError::SignInRequired { .. } | AppError::Redirect(_) => unreachable!("answered above"),
        };
        let body = ErrorPage {
            title,
            message: &message,
            request_id,
        }
        .render()
        .unwrap_or_else(|_| format!("{title}: {message}"));
        let mut response = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body);
        // For htmx requests, `htmx::error_fragments` turns this into a message in the page's flash area.
        response.extensions_mut().insert(ErrorMessage(message));
        response.extensions_mut().insert(ErrorTitle(title));
        response
    }
}

/// The heading of an error response, for `htmx::error_fragments` to frame the page again.
#[derive(Debug, Clone, Copy)]
pub struct ErrorTitle(pub &'static str);

/// The words of an error response, for `htmx::error_fragments` to show in place.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

/// Marks a redirect that htmx must follow as a whole page (sign-in, another workspace), rather
/// than swapping the target page into a fragment's place.
#[derive(Debug, Clone, Copy)]
pub struct WholePage;

fn whole_page_redirect(location: &str) -> HttpResponse {
    let mut response = redirect(location);
    response.extensions_mut().insert(WholePage);
    response
}

/// 303 See Other: after a POST, and for every redirect of the console.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
