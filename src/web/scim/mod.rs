//! SCIM 2.0 (RFC 7643/7644, issue 17) at `/scim/v2`: identity providers provision the workspace
//! named by their API key, which must hold the `scim` scope. Such a key acts under the rules that
//! bind an Admin (never on Owners, never granting Owner), through the same services as the pages;
//! the audit log names it "SCIM (key name, key prefix)". Answers are `application/scim+json`; errors use the
//! SCIM error schema with a `scimType` where one applies.

pub mod discovery;
pub mod groups;
pub mod query;
pub mod users;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use serde_json::{Map, Value, json};

use super::AppState;
/// 204, for a deletion (as the API answers it).
pub use super::api::no_content;
use super::api::{ApiKeyAuth, Problem};
use crate::db::{self, AnyConnection, Lock};
use crate::domain::ids::WorkspaceId;
use crate::domain::role::Permission;
use crate::domain::scim_filter::{Cond, Resource};
use crate::services::console::{Acting, ConsoleError};
use crate::services::email_change::EmailChangeError;

/// Where SCIM lives; every path under it is SCIM's (an unknown one answers a SCIM error).
pub const SCOPE: &str = "/scim/v2";
pub const CONTENT_TYPE: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A SCIM error: its status, `scimType` and words.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            None,
            "No such resource in this key's workspace.",
        )
    }

    pub fn invalid_filter(why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some("invalidFilter"),
            why.to_string(),
        )
    }

    /// 400 `invalidValue`: a value in the request that cannot be accepted, the detail naming it.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }
}

/// A resource's weak ETag (and `meta.version`): the moment it last changed, in microseconds.
pub fn weak_etag(updated_at: chrono::NaiveDateTime) -> String {
    format!("W/\"{}\"", updated_at.and_utc().timestamp_micros())
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = HttpResponse::build(self.status);
        response
            .content_type(CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"));
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.clone()));
        }
        response.body(body.to_string())
    }
}

/// The API's refusals (a bad key, the rate limit, a rule) in SCIM's shape, headers kept.
impl From<Problem> for ScimError {
    fn from(problem: Problem) -> Self {
        let answer = problem.error_response();
        let headers = [header::WWW_AUTHENTICATE, header::RETRY_AFTER]
            .into_iter()
            .filter_map(|name| answer.headers().get(&name).map(|v| (name, v.clone())))
            .collect();
        let status = answer.status();
        let scim_type = match status {
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => Some("invalidValue"),
            _ => None,
        };
        Self {
            status: if status == StatusCode::UNPROCESSABLE_ENTITY {
                StatusCode::BAD_REQUEST
            } else {
                status
            },
            scim_type,
            detail: problem.detail.clone(),
            headers,
        }
    }
}

impl From<super::error::AppError> for ScimError {
    fn from(e: super::error::AppError) -> Self {
        Problem::from(e).into()
    }
}

/// A value another member holds (an address, a userName) is SCIM's `uniqueness`.
impl From<ConsoleError> for ScimError {
    fn from(e: ConsoleError) -> Self {
        match e {
            ConsoleError::Taken(_)
            | ConsoleError::EmailChange(
                EmailChangeError::Taken | EmailChangeError::UserNameTaken,
            ) => ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), e.to_string()),
            e => Problem::from(e).into(),
        }
    }
}

impl From<diesel::result::Error> for ScimError {
    fn from(e: diesel::result::Error) -> Self {
        Problem::from(e).into()
    }
}

/// A live API key holding `scim`: who asks.
pub struct ScimAuth(pub ApiKeyAuth);

impl FromRequest for ScimAuth {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ScimError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = ApiKeyAuth::from_request(&req, &mut Payload::None).await?;
            auth.require(Permission::Scim)?;
            Ok(Self(auth))
        })
    }
}

impl ScimAuth {
    /// Runs `f` on the blocking pool as this key acting under the rules that bind an Admin (never
    /// on Owners, never granting Owner), named "SCIM (key name, key prefix)" in the audit log.
    pub async fn acting<T: Send + 'static>(
        &self,
        state: &super::AppState,
        f: impl FnOnce(
            &mut crate::db::AnyConnection,
            &crate::services::console::Acting<'_>,
            crate::domain::ids::WorkspaceId,
        ) -> Result<T, ScimError>
        + Send
        + 'static,
    ) -> Result<T, ScimError> {
        let actor = crate::services::api_keys::scim_actor(&self.0.key, self.0.ip.clone());
        let permissions = crate::domain::api_key::scim_permissions();
        self.0.acting_as(state, actor, permissions, f).await
    }
}

/// `f` as one transaction under the workspace's lock, for [`ScimAuth::acting`]: all of its
/// changes, or none.
pub fn in_transaction<T>(
    f: impl FnOnce(&mut AnyConnection, &Acting<'_>, WorkspaceId) -> Result<T, ScimError>,
) -> impl FnOnce(&mut AnyConnection, &Acting<'_>, WorkspaceId) -> Result<T, ScimError> {
    move |conn, acting, workspace| {
        db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
            f(conn, acting, workspace)
        })
    }
}

/// A PatchOp request (RFC 7644 §3.5.2).
#[derive(Debug, serde::Deserialize)]
pub struct PatchRequest {
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<crate::domain::scim_patch::PatchOp>,
}

/// The versions a change is conditioned on (`If-Match`), if any.
pub fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Refuses (412) a change conditioned on versions that do not include the `current` one.
pub fn check_version(if_match: Option<&str>, current: &str) -> Result<(), ScimError> {
    match if_match {
        Some(tags) if tags.trim() != "*" && !tags.split(',').any(|t| t.trim() == current) => {
            Err(ScimError::new(
                StatusCode::PRECONDITION_FAILED,
                None,
                "It changed since that version (If-Match); read it again.",
            ))
        }
        _ => Ok(()),
    }
}

/// A resource's answer with its version as `ETag`.
pub fn resource_answer(resource: &Value, version: &str) -> HttpResponse {
    let mut response = scim_json(StatusCode::OK, resource);
    if let Ok(etag) = header::HeaderValue::from_str(version) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A GET's `answer`, or 304 with its `ETag` and no body when the request's `If-None-Match`
/// names that version already (RFC 7644 §3.14; weak tags compare as equal).
pub fn unless_current(req: &HttpRequest, answer: HttpResponse) -> HttpResponse {
    let etag = answer.headers().get(header::ETAG).cloned();
    let known = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    match (etag, known) {
        (Some(etag), Some(known))
            if known.trim() == "*"
                || known
                    .split(',')
                    .any(|t| t.trim().as_bytes() == etag.as_bytes()) =>
        {
            HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish()
        }
        _ => answer,
    }
}

/// `answer` as the 201 of a creation, with the new resource's `Location`.
pub fn created(mut answer: HttpResponse, location: &str) -> HttpResponse {
    *answer.status_mut() = StatusCode::CREATED;
    if let Ok(value) = header::HeaderValue::from_str(location) {
        answer.headers_mut().insert(header::LOCATION, value);
    }
    answer
}

/// A SCIM JSON answer.
pub fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body.to_string())
}

/// A ListResponse of `resources` (the page), `total` in all, from 1-based `start`.
pub fn list_response(total: i64, start: i64, resources: Vec<Value>) -> HttpResponse {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// `GET /scim/v2/Users` or `/scim/v2/Groups` (and their `.search`): the `resource`s the query's
/// filter matches, a page of them from `startIndex`, projected, as a ListResponse.
pub async fn list(
    state: &web::Data<AppState>,
    auth: &ScimAuth,
    query: query::ListQuery,
    resource: Resource,
) -> Result<HttpResponse, ScimError> {
    let (cond, start, count) = query::page_of(&query, resource)?;
    let (workspace, projection) = (auth.0.workspace.id, query.projection());
    let (total, resources) = match resource {
        Resource::User => users::page(state, workspace, cond, start - 1, count, projection).await,
        Resource::Group => groups::page(state, workspace, cond, start - 1, count, projection).await,
    }?;
    Ok(list_response(total, start, resources))
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): comma-separated, case-insensitive,
/// `name` or `name.sub`; `id` and `schemas` always stay.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    only: Vec<String>,
    excluded: Vec<String>,
}

impl Projection {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let list = |text: Option<&str>| -> Vec<String> {
            text.unwrap_or_default()
                .split(',')
                .map(|a| {
                    let a = a.trim();
                    // A URN prefix names the core schema: keep the attribute after it.
                    let a = if crate::domain::scim_filter::names_a_urn(a) {
                        a.rsplit(':').next().unwrap_or(a)
                    } else {
                        a
                    };
                    a.to_ascii_lowercase()
                })
                .filter(|a| !a.is_empty())
                .collect()
        };
        Self {
            only: list(attributes),
            excluded: list(excluded),
        }
    }

    /// Whether the answer keeps `name` (`members` is left out under `excludedAttributes=members`).
    pub fn wants(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        !self.excluded.contains(&name)
            && (self.only.is_empty()
                || self
                    .only
                    .iter()
                    .any(|a| *a == name || a.starts_with(&format!("{name}."))))
    }

    pub fn apply(&self, resource: Value) -> Value {
        // No projection asked (a full sync's every page): the resource as it is, with no work
        // per attribute.
        if self.only.is_empty() && self.excluded.is_empty() {
            return resource;
        }
        let Value::Object(fields) = resource else {
            return resource;
        };
        let always = |name: &str| matches!(name, "id" | "schemas");
        let mut kept = Map::new();
        for (name, value) in fields {
            let lower = name.to_ascii_lowercase();
            if always(&lower) {
                kept.insert(name, value);
                continue;
            }
            if self.excluded.contains(&lower) {
                continue;
            }
            // Some sub-attributes asked (`name.familyName`, `emails.value`, `meta.created`), or
            // some left out (`excludedAttributes=name.givenName`).
            let prefix = format!("{lower}.");
            let subs = |list: &[String]| -> Vec<String> {
                list.iter()
                    .filter_map(|a| a.strip_prefix(&prefix).map(str::to_owned))
                    .collect()
            };
            let value = if self.only.is_empty() || self.only.contains(&lower) {
                value
            } else {
                let asked = subs(&self.only);
                if asked.is_empty() {
                    continue;
                }
                each_object(value, |k| asked.contains(&k))
            };
            let dropped = subs(&self.excluded);
            let value = if dropped.is_empty() {
                value
            } else {
                each_object(value, |k| !dropped.contains(&k))
            };
            kept.insert(name, value);
        }
        Value::Object(kept)
    }
}

/// `value` (an object, or an array of them) with only the fields whose lower-case name `keep`s.
fn each_object(value: Value, keep: impl Fn(String) -> bool) -> Value {
    let pick = |v: Value| match v {
        Value::Object(inner) => Value::Object(
            inner
                .into_iter()
                .filter(|(k, _)| keep(k.to_ascii_lowercase()))
                .collect(),
        ),
        other => other,
    };
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(pick).collect()),
        other => pick(other),
    }
}

/// What SCIM's extractors answer for a query, path or body they cannot read: a SCIM error.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| {
        ScimError::invalid_value(format!("The query string is not acceptable: {e}")).into()
    }))
    .app_data(
        web::JsonConfig::default()
            .limit(1 << 20)
            .content_type(|mime| matches!(mime.essence_str(), CONTENT_TYPE | "application/json"))
            .error_handler(|e, _| {
                use actix_web::error::JsonPayloadError::{Overflow, OverflowKnownLength};
                // Too large is 413 (RFC 7644 §3.12), with no scimType; anything else unreadable.
                let (status, kind) = match &e {
                    Overflow { .. } | OverflowKnownLength { .. } => {
                        (StatusCode::PAYLOAD_TOO_LARGE, None)
                    }
                    _ => (StatusCode::BAD_REQUEST, Some("invalidSyntax")),
                };
                ScimError::new(
                    status,
                    kind,
                    format!("The request body is not acceptable JSON: {e}"),
                )
                .into()
            }),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| ScimError::not_found().into()));
}

/// `POST /scim/v2/.search` (RFC 7644 §3.4.3): Users, then Groups, paged as one list. A filter
/// applies to each type whose attributes it names; a type it names no attribute of is left out
/// (`userName sw "a"` finds Users only); one naming neither is `invalidFilter`.
pub async fn search_everywhere(
    state: web::Data<AppState>,
    auth: ScimAuth,
    body: web::Json<query::SearchRequest>,
) -> Result<HttpResponse, ScimError> {
    let query: query::ListQuery = body.into_inner().into();
    let none = |(_, start, count)| (Some(Cond::Const(false)), start, count);
    let (for_users, for_groups) = match (
        query::page_of(&query, Resource::User),
        query::page_of(&query, Resource::Group),
    ) {
        (Err(e), Err(_)) => return Err(e),
        (Ok(u), Ok(g)) => (u, g),
        (Ok(u), Err(_)) => (u.clone(), none(u)),
        (Err(_), Ok(g)) => (none(g.clone()), g),
    };
    let (user_cond, start, count) = for_users;
    let workspace = auth.0.workspace.id;
    let projection = query.projection();
    let (user_total, mut resources) = users::page(
        &state,
        workspace,
        user_cond,
        start - 1,
        count,
        projection.clone(),
    )
    .await?;
    let (group_total, groups) = groups::page(
        &state,
        workspace,
        for_groups.0,
        (start - 1 - user_total).max(0),
        count - resources.len() as i64,
        projection,
    )
    .await?;
    resources.extend(groups);
    Ok(list_response(user_total + group_total, start, resources))
}

/// Every other request under `/scim/v2`: 405 with `Allow` for a known path asked with another
/// method (`POST /ServiceProviderConfig`), else 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = super::api::allowed_methods("/scim/", req.path());
    if allowed.is_empty() {
        return ScimError::not_found().error_response();
    }
    answers_only(&allowed.join(", ")).error_response()
}

/// 405, with `Allow`.
fn answers_only(allow: &str) -> ScimError {
    let mut error = ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("This address answers {allow} only."),
    );
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        error.headers.push((header::ALLOW, value));
    }
    error
}

/// The resource id in a path: 404 when it names none; `.search` in its place is the search's
/// address (`/Users/.search`) asked with another method than POST: 405.
fn resource_id(
    resource: crate::domain::scim_filter::Resource,
    text: &str,
) -> Result<i64, ScimError> {
    if text == ".search" {
        return Err(answers_only("POST"));
    }
    resource.parse_id(text).ok_or_else(ScimError::not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_what_is_asked_and_always_the_id() {
        let user = json!({
            "schemas": ["s"], "id": "7", "userName": "a@b.c",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "a@b.c", "type": "work"}], "active": true
        });
        let only = Projection::new(Some("userName,name.familyName,emails.value"), None)
            .apply(user.clone());
        assert_eq!(
            only,
            json!({"schemas": ["s"], "id": "7", "userName": "a@b.c",
                   "name": {"familyName": "Lovelace"}, "emails": [{"value": "a@b.c"}]})
        );
        let without = Projection::new(None, Some("emails,ACTIVE")).apply(user.clone());
        assert!(without.get("emails").is_none() && without.get("active").is_none());
        assert!(without.get("userName").is_some());
        // Sub-attributes left out, of an object and of each entry of a list.
        let without = Projection::new(None, Some("name.givenName,emails.type")).apply(user);
        assert_eq!(without["name"], json!({"familyName": "Lovelace"}));
        assert_eq!(without["emails"], json!([{"value": "a@b.c"}]));
        assert_eq!(without["userName"], "a@b.c");
    }
}
