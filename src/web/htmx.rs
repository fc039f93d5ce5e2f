//! htmx without a second template set: the same URL answers a whole page, or for an htmx request
//! only the part that changes. Errors of htmx requests become a message in the page.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use super::auth::{Chrome, SignedIn};
use super::error::{AppError, ErrorMessage, ErrorTitle, WholePage};

/// True for an htmx request that wants a fragment (not a history restore, which needs the page).
pub fn wants_fragment(req: &HttpRequest) -> bool {
    let headers = req.headers();
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

/// After an action confirmed in a dialog: htmx leaves for `to` (`HX-Redirect`: the whole page shows
/// the new state and the message); a plain form gets 303 See Other to it.
pub fn leave_for(req: &HttpRequest, to: &str) -> HttpResponse {
    if wants_fragment(req) {
        HttpResponse::Ok()
            .insert_header(("hx-redirect", to))
            .finish()
    } else {
        super::error::redirect(to)
    }
}

/// Renders `page` whole, or only `fragment` for htmx; either way with `Vary: HX-Request` so caches
/// keep the two apart.
pub fn page_or_fragment<P: Template>(
    req: &HttpRequest,
    page: &P,
    fragment: impl FnOnce(&P) -> askama::Result<String>,
) -> Result<HttpResponse, AppError> {
    let body = if wants_fragment(req) {
        fragment(page)?
    } else {
        page.render()?
    };
    Ok(varying_html(actix_web::http::StatusCode::OK, body))
}

/// An HTML answer that is a whole page or, for htmx, a fragment of it: `Vary: HX-Request` keeps
/// the two apart in caches, and neither is stored.
pub fn varying_html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "HX-Request"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// Renders a template with a status (422 for a form with messages).
pub fn render_with_status(
    status: actix_web::http::StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(template.render()?))
}

#[derive(Template)]
#[template(
    source = r#"<div class="alert alert-error" role="alert">{{ message }}</div>"#,
    ext = "html"
)]
struct Flash<'a> {
    message: &'a str,
}

/// For htmx requests, replaces a refused (403/409/413) page with a message swapped into `#flash`,
/// and turns whole-page redirects (sign-in) into `HX-Redirect` so the browser leaves the page.
pub async fn error_fragments(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let htmx = req.headers().contains_key("hx-request");
    let res = next.call(req).await?.map_into_boxed_body();
    if !htmx {
        return Ok(framed(res).await);
    }
    let status = res.status();
    if status == actix_web::http::StatusCode::SEE_OTHER
        && res.response().extensions().get::<WholePage>().is_some()
    {
        if let Some(location) = res.headers().get(header::LOCATION).cloned() {
            let (req, _) = res.into_parts();
            let response = HttpResponse::Ok()
                .insert_header((HeaderName::from_static("hx-redirect"), location))
                .finish();
            return Ok(ServiceResponse::new(req, response));
        }
        return Ok(res);
    }
    let message = res.response().extensions().get::<ErrorMessage>().cloned();
    match message {
        Some(ErrorMessage(message)) if status.is_client_error() || status.is_server_error() => {
            let (req, old) = res.into_parts();
            Ok(ServiceResponse::new(req, in_flash(old.status(), &message)))
        }
        _ => Ok(res),
    }
}

/// A refusal's words for an htmx request: swapped into the page's `#flash`, whatever the asking
/// element targets.
pub fn in_flash(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    let body = Flash { message }.render().unwrap_or_default();
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body);
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("hx-retarget"),
        HeaderValue::from_static("#flash"),
    );
    headers.insert(
        HeaderName::from_static("hx-reswap"),
        HeaderValue::from_static("innerHTML"),
    );
    // Whatever part of the answer the asking element selects (`hx-select`), the message is the
    // whole of this one.
    headers.insert(
        HeaderName::from_static("hx-reselect"),
        HeaderValue::from_static("unset"),
    );
    response
}

#[derive(Template)]
#[template(path = "error_framed.html")]
struct FramedError<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
}

/// A refused or missing page (4xx) for someone signed in: the same words inside the console's
/// frame (its header: their name, their profile, Sign out), not the bare page a visitor gets. Anything
/// that fails on the way leaves the plain page as it was.
async fn framed(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    // A form's address opened as a page (a refused form reloaded): the page the form is on.
    if res.status() == actix_web::http::StatusCode::NOT_FOUND
        && res.request().method() == actix_web::http::Method::GET
        && let Some(page) = super::page_of_form(res.request().path())
    {
        let (req, _) = res.into_parts();
        return ServiceResponse::new(req, super::error::redirect(&page));
    }
    let words = {
        let extensions = res.response().extensions();
        extensions
            .get::<ErrorMessage>()
            .cloned()
            .zip(extensions.get::<ErrorTitle>().copied())
    };
    let Some((ErrorMessage(message), ErrorTitle(title))) =
        words.filter(|_| res.status().is_client_error())
    else {
        return res;
    };
    let (req, plain) = res.into_parts();
    let state = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .cloned();
    // Inside a workspace they may open, the workspace's own frame (its side navigation and
    // switcher), else the console's header alone.
    let workspace = match req.path().starts_with("/w/") {
        true => super::auth::WorkspaceAccess::from_request(&req, &mut Payload::None)
            .await
            .ok(),
        false => None,
    };
    let chrome = match (state, workspace) {
        (Some(state), Some(access)) => access.chrome(&state, "").await.ok(),
        (Some(state), None) => match SignedIn::from_request(&req, &mut Payload::None).await {
            Ok(me) => me.chrome(&state).await.ok(),
            Err(_) => None,
        },
        _ => None,
    };
    let body = chrome.and_then(|chrome| {
        FramedError {
            chrome,
            title,
            message: &message,
        }
        .render()
        .ok()
    });
    let Some(body) = body else {
        return ServiceResponse::new(req, plain);
    };
    let mut framed = HttpResponse::build(plain.status());
    for (name, value) in plain.headers() {
        if name != header::CONTENT_LENGTH && name != header::CACHE_CONTROL {
            framed.append_header((name.clone(), value.clone()));
        }
    }
    // It names the person and carries their form token: never kept by a cache.
    framed.insert_header((header::CACHE_CONTROL, "no-store"));
    ServiceResponse::new(req, framed.body(body))
}

/// The answer to an htmx row action (invitations, suspensions…): the message in the flash area,
/// and the `members-changed` event on which the users list reloads its rows in place.
pub fn members_changed(message: &str) -> Result<HttpResponse, AppError> {
    #[derive(Template)]
    #[template(
        source = r#"<div id="flash" hx-swap-oob="innerHTML"><div class="alert alert-success" role="status">{{ message }}</div></div>"#,
        ext = "html"
    )]
    struct Done<'a> {
        message: &'a str,
    }
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("hx-trigger", "members-changed"))
        .body(Done { message }.render()?))
}
