//! Security headers on every response.

use actix_web::middleware::DefaultHeaders;

/// No inline script or style, no framing, no MIME sniffing, no referrer leaving the site.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new();
    // Reached over https (`BASE_URL`): browsers keep to https for a year.
    let headers = if https {
        headers.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        headers
    };
    headers
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// `Retry-After` in whole seconds (rounded up) on a 429.
pub fn retry_after(response: &mut actix_web::HttpResponse, wait: chrono::Duration) {
    let seconds = crate::domain::throttle::retry_after_seconds(wait);
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(seconds),
    );
}
