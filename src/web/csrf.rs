//! CSRF protection for every state-changing request: the session holds a random token; forms send
//! it (masked, see [`token`]) as the hidden field `csrf_token`, htmx as the header `X-CSRF-Token`.
//! A mismatch is 403.

use actix_session::{Session, SessionExt};
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::error::AppError;
use super::multipart;
use super::session_store::keys;
use crate::tokens;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";
/// The largest form body read to find the token; larger bodies get 413 before any handler runs.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// The session's token as a page carries it, created on first use (also for signed-out visitors of
/// /login and /setup) and masked afresh for every answer: a random pad, then the token XOR the
/// pad. The secret never shows as the same bytes twice, so compressing a page that also reflects
/// what someone typed reveals nothing of it (BREACH).
pub fn token(session: &Session) -> Result<String, AppError> {
    let secret = match secret(session) {
        Some(secret) => secret,
        None => {
            let secret = tokens::new_token();
            session.insert(keys::CSRF, &secret)?;
            secret
        }
    };
    Ok(mask(secret.as_bytes()))
}

/// The session's token itself, unmasked (what the session row stores: it tells which row is this
/// browser's).
pub fn secret(session: &Session) -> Option<String> {
    session.get::<String>(keys::CSRF).ok().flatten()
}

fn mask(secret: &[u8]) -> String {
    let pad = tokens::random_bytes(secret.len());
    let masked = secret.iter().zip(&pad).map(|(s, p)| s ^ p);
    let bytes: Vec<u8> = pad.iter().copied().chain(masked).collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The secret a masked token carries (`None`: not one).
fn unmask(masked: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(masked).ok()?;
    let (pad, masked) = bytes.split_at(bytes.len() / 2);
    (pad.len() == masked.len()).then(|| pad.iter().zip(masked).map(|(p, m)| p ^ m).collect())
}

#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Middleware: refuses any POST/PUT/PATCH/DELETE whose token does not match the session's.
/// It wraps the cookie-session routes only: the JSON API and SCIM (bearer keys, no cookies) are
/// scopes of their own that it never sees.
pub async fn verify(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !is_state_changing(req.method()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let expected = req.get_session().get::<String>(keys::CSRF).ok().flatten();
    let mut provided = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let upload = multipart::boundary(&content_type);
    if let (None, Some(boundary)) = (&provided, upload) {
        // An upload form: its token is one of the parts.
        if declared_length(&req).is_some_and(|len| len > multipart::MAX_BODY_BYTES) {
            return Ok(too_large(req, true));
        }
        let mut payload = req.take_payload();
        let Some(bytes) = multipart::read_body(&mut payload, multipart::MAX_BODY_BYTES).await?
        else {
            return Ok(too_large(req, true));
        };
        provided = multipart::parts(&bytes, &boundary)
            .into_iter()
            .find(|p| p.name == FIELD)
            .and_then(|p| String::from_utf8(p.data.to_vec()).ok());
        req.set_payload(Payload::from(bytes));
    }
    if provided.is_none() && is_form {
        if declared_length(&req).is_some_and(|len| len > MAX_FORM_BYTES) {
            return Ok(too_large(req, false));
        }
        let bytes = match req.extract::<web::Bytes>().await {
            Ok(bytes) => bytes,
            Err(e)
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                return Ok(too_large(req, false));
            }
            Err(e) => return Err(e),
        };
        provided = serde_html_form::from_bytes::<TokenField>(&bytes)
            .ok()
            .and_then(|f| f.csrf_token);
        // Hand the body back for the handler's own form extractor.
        req.set_payload(Payload::from(bytes));
    }

    let valid = matches!(
        (&expected, provided.as_deref().and_then(unmask)),
        (Some(e), Some(p)) if tokens::constant_time_eq(e.as_bytes(), &p)
    );
    if valid {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // A form with a token, and no session to hold its secret any more (signed out elsewhere,
    // suspended, blocked, expired): answered as a signed-out visitor's form is — sign in again —
    // not as a stale form, which a reload would not mend. A form anyone may send (sign-in, a
    // reset or invitation link) is mended by a reload: said so, the link kept in the address bar.
    let error = match (&expected, &provided) {
        (None, Some(_)) if !is_public_form(req.path()) => AppError::SignInRequired {
            next: "/".to_owned(),
        },
        _ => AppError::Csrf,
    };
    Ok(req.into_response(error.error_response()))
}

/// The forms of pages that need no sign-in (their GET makes a fresh session and token).
fn is_public_form(path: &str) -> bool {
    matches!(path, "/setup" | "/login" | "/password/forgot")
        || ["/password/reset/", "/invite/", "/email-change/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

fn declared_length(req: &ServiceRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// 413, said as every refusal is: a page, or for htmx the words in the page's flash area (this
/// answer is made before `htmx::error_fragments` could frame it).
fn too_large(req: ServiceRequest, upload: bool) -> ServiceResponse<BoxBody> {
    let response = if req.headers().contains_key("hx-request") {
        let words = super::error::too_large_words(upload);
        super::htmx::in_flash(StatusCode::PAYLOAD_TOO_LARGE, words)
    } else {
        AppError::TooLarge { upload }.error_response()
    };
    req.into_response(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_differs_every_time_and_carries_the_secret() {
        let secret = tokens::new_token();
        let (one, two) = (mask(secret.as_bytes()), mask(secret.as_bytes()));
        assert_ne!(one, two);
        assert!(!one.contains(&secret));
        assert_eq!(unmask(&one).unwrap(), secret.as_bytes());
        assert_eq!(unmask(&two).unwrap(), secret.as_bytes());
        // The bare secret, or anything else, is no masked token of it.
        assert_ne!(unmask(&secret).unwrap_or_default(), secret.as_bytes());
        assert_eq!(unmask("not base64 ***"), None);
        assert_eq!(unmask("AA"), None, "one byte: no pad and token");
    }
}
