//! One middleware around every request: a request id (the `X-Request-Id` header, the error page's
//! reference, the log line), one log line per request (`LOG_FORMAT=json`: one JSON object), and
//! the request's metrics.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::domain::ids::AccountId;
use crate::metrics;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered (`None` outside one).
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Who made the request, for the log: set by the extractors that authenticate it.
#[derive(Debug, Clone, Copy)]
pub enum LoggedActor {
    Account(AccountId),
    ApiKey(i64),
}

impl LoggedActor {
    /// Marks the request as made by `self`.
    pub fn mark(self, req: &actix_web::HttpRequest) {
        req.extensions_mut().insert(self);
    }

    fn words(self) -> String {
        match self {
            LoggedActor::Account(id) => format!("account:{}", id.0),
            LoggedActor::ApiKey(id) => format!("api_key:{id}"),
        }
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = crate::tokens::new_token()[..16].to_owned();
    let method = metrics::method_label(req.method());
    // Handlers' errors become responses inside the scope, so the error page can show the id.
    let answer = REQUEST_ID.scope(id.clone(), next.call(req)).await;
    let elapsed = started.elapsed();
    let (route, status, actor) = match &answer {
        Ok(response) => (
            response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
            response.status(),
            response
                .request()
                .extensions()
                .get::<LoggedActor>()
                .map(|actor| actor.words()),
        ),
        // A middleware's refusal (answered further out, without the header).
        Err(e) => (
            "unmatched".to_owned(),
            e.as_response_error().status_code(),
            None,
        ),
    };
    metrics::METRICS.observe_request(method, &route, status, elapsed);
    tracing::info!(
        target: "request",
        request_id = %id,
        method,
        route = %route,
        status = status.as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        actor = actor.as_deref().unwrap_or("-"),
    );
    let mut response = answer?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}
