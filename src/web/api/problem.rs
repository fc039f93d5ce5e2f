//! RFC 9457 problem details: every refusal of the API, as `application/problem+json`, with the
//! same words the pages use.

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::policy::Refusal;
use crate::domain::role::Permission;
use crate::services::console::ConsoleError;
use crate::web::error::AppError;

/// A problem answer (boxed: it travels in every handler's `Err`).
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemBody>);

impl std::ops::Deref for Problem {
    type Target = ProblemBody;

    fn deref(&self) -> &ProblemBody {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemBody {
        &mut self.0
    }
}

/// The RFC 9457 members, and for a 429 its `Retry-After`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// The status's name (`Unprocessable Entity`).
    #[schema(value_type = String)]
    pub title: &'static str,
    pub status: u16,
    /// What went wrong, in the console's words.
    pub detail: String,
    /// For 422: the message of each refused field, by field name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
    /// For an invitation refused as a whole: each address refused and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedAddress>,
    #[serde(skip)]
    retry_after: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefusedAddress {
    pub email: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemBody {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: BTreeMap::new(),
            refused: Vec::new(),
            retry_after: None,
        }))
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Send a live API key of this console as `Authorization: Bearer ack_…`; this one is \
             missing, unknown, revoked or expired.",
        )
    }

    pub fn missing_scope(permission: Permission) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!(
                "This API key lacks the scope “{}” ({}).",
                permission.key(),
                permission.description()
            ),
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Nothing here: no such resource in this key's workspace.",
        )
    }

    pub fn too_many_requests(wait_seconds: i64) -> Self {
        let mut problem = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("This API key made too many requests; try again in {wait_seconds} s."),
        );
        problem.retry_after = Some(wait_seconds.max(1));
        problem
    }

    /// 422 with one message per field.
    pub fn invalid(errors: BTreeMap<String, String>) -> Self {
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Some fields are not acceptable; see `errors`.",
        );
        problem.errors = errors;
        problem
    }

    /// One refused field.
    pub fn field(field: &str, message: impl ToString) -> Self {
        Self::invalid(BTreeMap::from([(field.to_owned(), message.to_string())]))
    }

    pub fn internal(error: anyhow::Error) -> Self {
        tracing::error!(error = format!("{error:#}"), "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side; it was logged. Try again.",
        )
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type("application/problem+json")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"api\""));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(serde_json::to_string(&*self.0).unwrap_or_default())
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Problem::not_found(),
            AppError::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, why),
            AppError::Conflict(why) => Problem::new(StatusCode::CONFLICT, why),
            AppError::Internal(e) => Problem::internal(e),
            // Sessions, CSRF and redirects belong to the pages; none is reached from here.
            other => {
                Problem::internal(anyhow::anyhow!("unexpected page error in the API: {other}"))
            }
        }
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<&Refusal> for Problem {
    fn from(refusal: &Refusal) -> Self {
        AppError::from(refusal).into()
    }
}

impl From<ConsoleError> for Problem {
    fn from(e: ConsoleError) -> Self {
        match e {
            ConsoleError::Invalid(why) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, why),
            other => AppError::from(other).into(),
        }
    }
}
