//! `Idempotency-Key` on the API's POSTs: the first answer to a key's request is kept 24 hours and
//! sent again, with `Idempotent-Replayed: true`, to a retry with the same Idempotency-Key; the
//! retry changes nothing. The same Idempotency-Key on another request answers 422; a retry while
//! the first request is still being answered, 409.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};

use super::{ApiKeyAuth, Problem};
use crate::domain::idempotency;
use crate::services::idempotency::{self as store, Answer, Outcome};
use crate::web::{AppState, blocking, multipart};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// The largest body a POST with an Idempotency-Key may carry (the JSON extractor's limit).
const MAX_BODY: usize = 1 << 20;

/// The middleware: a POST with an Idempotency-Key is claimed before it is answered, and its
/// answer kept; anything else passes through untouched.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(header) = req.headers().get(HEADER).cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.method() != Method::POST {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // Who asks first: a bad key (401) or the rate limit answers before the header is judged
    // and anything is claimed. The handler's extractor takes this same authentication from the
    // request's extensions.
    let auth = match ApiKeyAuth::extract(req.request().clone()).await {
        Ok(auth) => auth,
        Err(problem) => return Ok(refuse(req, problem)),
    };
    let idem = match header_key(&header) {
        Ok(key) => key,
        Err(problem) => return Ok(refuse(req, problem)),
    };
    let key = auth.key.id;
    req.extensions_mut().insert(auth);
    let fingerprint = match read_fingerprint(&mut req).await? {
        Ok(fingerprint) => fingerprint,
        Err(problem) => return Ok(refuse(req, problem)),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(Problem::internal(anyhow::anyhow!("application state missing")).into());
    };
    let now = state.settings.clock.now();
    let claimed = idem.clone();
    let outcome = blocking(&state, move |conn| {
        Ok(store::claim(conn, key, &claimed, &fingerprint, now)?)
    })
    .await
    .map_err(Problem::from)?;
    if let Some(earlier) = answer_without_handler(outcome) {
        return Ok(req.into_response(earlier));
    }
    // Answer it, then keep the answer (or give the claim up), whatever happened.
    match next.call(req).await {
        Ok(response) => keep(&state, (key, idem, now), response.map_into_boxed_body()).await,
        Err(e) => {
            release(&state, (key, idem, now)).await;
            Err(e)
        }
    }
}

/// The Idempotency-Key as sent, or 400 saying what is wrong with it.
fn header_key(header: &header::HeaderValue) -> Result<String, Problem> {
    let parsed = match header.to_str() {
        Ok(text) => idempotency::parse_key(text),
        Err(_) => Err(idempotency::INVALID_KEY),
    };
    parsed
        .map(str::to_owned)
        .map_err(|why| Problem::new(StatusCode::BAD_REQUEST, why))
}

/// Reads the request's body (put back for the handler) and fingerprints the request with it:
/// its method, path and query, and body. A body over 1 MiB is refused (413, the inner `Err`); a
/// body that cannot be read is the outer error.
async fn read_fingerprint(
    req: &mut ServiceRequest,
) -> Result<Result<String, Problem>, actix_web::Error> {
    let mut payload = req.take_payload();
    let Some(body) = multipart::read_body(&mut payload, MAX_BODY).await? else {
        return Ok(Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than 1 MiB.",
        )));
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let fingerprint = idempotency::fingerprint(req.method().as_str(), &path, &body);
    req.set_payload(Payload::from(body));
    Ok(Ok(fingerprint))
}

/// What a claim answers without asking the handler: the kept answer again (a replay), or why
/// the key cannot be used now; `None` when the claim is this request's to answer.
fn answer_without_handler(outcome: Outcome) -> Option<HttpResponse> {
    let problem = match outcome {
        Outcome::Claimed => return None,
        Outcome::Replay(answer) => return Some(replay(answer)),
        Outcome::Mismatch => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This Idempotency-Key was used for a different request in the last 24 hours; \
             use a new key for a new request.",
        ),
        Outcome::InProgress => Problem::new(
            StatusCode::CONFLICT,
            "The first request with this Idempotency-Key is still being answered; retry in \
             a moment.",
        ),
    };
    Some(problem.error_response())
}

/// A kept answer, sent again with `Idempotent-Replayed: true`.
fn replay(answer: Answer) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((REPLAYED, "true"));
    if !answer.content_type.is_empty() {
        response.content_type(answer.content_type);
    }
    response.body(answer.body)
}

/// Keeps the handler's `response` as the key's answer when it is one to keep (else gives the
/// claim up), and sends it on.
async fn keep(
    state: &AppState,
    claim: Claim,
    response: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let status = response.status();
    if !idempotency::keeps(status.as_u16()) {
        release(state, claim).await;
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| Problem::internal(anyhow::anyhow!("reading the answer: {e}")))?;
    let answer = Answer {
        status: status.as_u16(),
        content_type: head
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let (key, idem, claimed_at) = claim;
    blocking(state, move |conn| {
        Ok(store::finish(conn, key, &idem, claimed_at, &answer)?)
    })
    .await
    .map_err(Problem::from)?;
    Ok(ServiceResponse::new(
        request,
        head.set_body(BoxBody::new(bytes)),
    ))
}

fn refuse(req: ServiceRequest, problem: Problem) -> ServiceResponse<BoxBody> {
    req.into_response(problem.error_response())
}

/// A claim: the API key, the Idempotency-Key, when it was claimed.
type Claim = (i64, String, chrono::NaiveDateTime);

async fn release(state: &AppState, (key, idem, claimed_at): Claim) {
    let released = blocking(state, move |conn| {
        Ok(store::release(conn, key, &idem, claimed_at)?)
    })
    .await;
    if let Err(e) = released {
        tracing::error!(error = %e, "giving up an Idempotency-Key claim failed");
    }
}
