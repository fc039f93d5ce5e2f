//! The API's OpenAPI 3.1 document (`GET /api/v1/openapi.json`), generated from the handlers'
//! `#[utoipa::path]` and the types they answer with, and its reference page (`GET /api/v1/docs`),
//! rendered from the same document by the binary: no outside network.
//!
//! The answers every endpoint shares are added here by rule rather than on each handler, so
//! that none is forgotten: 401 and 429 everywhere, 403 where a scope is needed, 400 where a
//! query or body is read, 404 on paths with ids, 409 and 422 on changes, 413/415 on bodies, and
//! the `Idempotency-Key` header on every POST.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, OpenApi};

use super::{audit, groups, invitations, problem, users, workspace};

/// `{id}` in a path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Read by the document only: the handlers take the path as text.
pub struct IdPath {
    /// The resource's id.
    id: i64,
}

/// A group and one of the workspace's members.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Read by the document only.
pub struct MemberPath {
    /// The group's id.
    id: i64,
    /// The member's id (as in `/api/v1/users/{id}`).
    user_id: i64,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Admin console API",
        version = "1",
        description = "Everything an administrator does in the console, for scripts. Send a \
            workspace API key as `Authorization: Bearer ack_…`: it names the workspace, and its \
            scopes say what it may do. Errors are RFC 9457 problem details \
            (`application/problem+json`) with the console's own messages. POSTs take an \
            `Idempotency-Key`: a retry with the same key within 24 hours gets the first answer \
            again and changes nothing."
    ),
    paths(
        workspace::show,
        workspace::roles,
        users::list,
        users::show,
        users::update,
        users::suspend,
        users::unsuspend,
        users::remove,
        users::restore,
        invitations::list,
        invitations::create,
        invitations::resend,
        invitations::revoke,
        groups::list,
        groups::create,
        groups::show,
        groups::update,
        groups::delete,
        groups::add_member,
        groups::remove_member,
        audit::list,
    ),
    components(schemas(problem::ProblemBody)),
    tags(
        (name = "Workspace", description = "The key's workspace and its roles"),
        (name = "Users", description = "Members: the list, one member, changes and lifecycle"),
        (name = "Invitations", description = "Invite people, resend and revoke invitations"),
        (name = "Groups", description = "Groups and their members"),
        (name = "Audit", description = "The workspace's audit log"),
    )
)]
struct ApiDoc;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// OpenAPI links: the id an answer carries (a JSON pointer into its body) and the operations
/// that take it as `{id}`, so that clients (and schemathesis' stateful tests) can follow them.
const LINKS: &[(&str, &str, &str, &[&str])] = &[
    ("listUsers", "200", "/data/0/id", &USER_OPERATIONS),
    ("getUser", "200", "/id", &USER_OPERATIONS),
    ("listGroups", "200", "/data/0/id", &GROUP_OPERATIONS),
    ("createGroup", "201", "/id", &GROUP_OPERATIONS),
    (
        "listInvitations",
        "200",
        "/data/0/id",
        &INVITATION_OPERATIONS,
    ),
    (
        "createInvitations",
        "201",
        "/data/0/id",
        &INVITATION_OPERATIONS,
    ),
];
const USER_OPERATIONS: [&str; 6] = [
    "getUser",
    "updateUser",
    "suspendUser",
    "unsuspendUser",
    "removeUser",
    "restoreUser",
];
const GROUP_OPERATIONS: [&str; 3] = ["getGroup", "updateGroup", "deleteGroup"];
const INVITATION_OPERATIONS: [&str; 2] = ["resendInvitation", "revokeInvitation"];

/// The document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
        complete(&mut doc);
        doc
    })
}

/// Adds what every endpoint shares (see the module's comment) and the bearer scheme.
fn complete(doc: &mut Value) {
    doc["components"]["securitySchemes"] = json!({
        "api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key (`ack_…`), made on the workspace's settings \
                page or with `admin-console api-key create`. The scopes listed on each \
                operation are the permissions the key needs (any one of the listed \
                alternatives).",
        }
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                complete_operation(path, method, op);
            }
        }
    }
    for (from, status, pointer, targets) in LINKS {
        let links: Map<String, Value> = targets
            .iter()
            .filter(|target| *target != from)
            .map(|target| {
                let link = json!({
                    "operationId": target,
                    "parameters": {"id": format!("$response.body#{pointer}")},
                });
                ((*target).to_owned(), link)
            })
            .collect();
        let op = paths
            .values_mut()
            .flat_map(|item| {
                item.as_object_mut()
                    .into_iter()
                    .flat_map(|m| m.values_mut())
            })
            .find(|op| op["operationId"] == *from);
        if let Some(op) = op {
            op["responses"][*status]["links"] = Value::Object(links);
        }
    }
}

/// The answers an operation shares with the others (see the module's comment), by status.
fn shared_answers(path: &str, method: &str, op: &Value) -> Vec<(u16, &'static str)> {
    let scoped = op["security"].as_array().is_some_and(|alts| {
        alts.iter()
            .any(|a| a["api_key"].as_array().is_some_and(|s| !s.is_empty()))
    });
    let has_query = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let has_body = op.get("requestBody").is_some();
    let (post, change) = (method == "post", method != "get");
    let mut shared: Vec<(u16, &'static str)> = vec![
        (
            401,
            "No key, or a key that is unknown, revoked or expired (`WWW-Authenticate: Bearer`).",
        ),
        (
            429,
            "Above this key's rate (600 a minute unless configured); `Retry-After` says when to come back.",
        ),
    ];
    if scoped {
        shared.push((403, "The key lacks the scope (named), or the action is not allowed on this member (why, in words)."));
    }
    if has_query || has_body || post {
        shared.push((400, "A query, body or Idempotency-Key that cannot be read."));
    }
    if path.contains('{') {
        shared.push((404, "No such resource in this key's workspace."));
    }
    if change {
        shared.push((409, "The resource's state does not allow this (for example, suspending a suspended member), or a request with this Idempotency-Key is still being answered."));
        shared.push((422, "Fields refused (`errors`, one message per field; `refused` for invitations), or an Idempotency-Key reused for a different request."));
    } else if has_query {
        shared.push((
            422,
            "A query parameter refused (`errors`, one message per parameter).",
        ));
    }
    if has_body || post {
        shared.push((413, "The body is larger than 1 MiB."));
    }
    if has_body {
        shared.push((415, "The body is not `application/json`."));
    }
    shared
}

/// Adds to one operation the answers it shares with the others, and on a POST the
/// `Idempotency-Key` header.
fn complete_operation(path: &str, method: &str, op: &mut Value) {
    let shared = shared_answers(path, method, op);
    let responses = op["responses"].as_object_mut().expect("responses");
    for (status, description) in shared {
        responses
            .entry(status.to_string())
            .or_insert(problem_answer(status, description));
    }
    if method == "post" {
        let parameters = op
            .as_object_mut()
            .expect("an operation")
            .entry("parameters")
            .or_insert_with(|| json!([]));
        if let Some(list) = parameters.as_array_mut() {
            list.push(json!({
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "description": "Any unique text (a UUID): a retry with the same key within \
                    24 hours gets the first answer again (`Idempotent-Replayed: true`) and \
                    changes nothing.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
            }));
        }
    }
}

/// A shared answer: a problem, and for 401 and 429 the header that goes with it.
fn problem_answer(status: u16, description: &str) -> Value {
    let mut response = json!({
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    });
    let header = match status {
        401 => Some(("WWW-Authenticate", "`Bearer realm=\"api\"`")),
        429 => Some(("Retry-After", "Seconds until this key may ask again.")),
        _ => None,
    };
    if let Some((name, description)) = header {
        response["headers"] = json!({
            name: {"description": description, "required": true, "schema": {"type": "string"}}
        });
    }
    response
}

/// `GET /api/v1/openapi.json`
pub async fn json_document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(document())
}

/// One operation on the reference page (prose already HTML, from `prose`).
struct OperationView {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    scopes: String,
    parameters: Vec<ParameterView>,
    body: Option<String>,
    responses: Vec<(String, String, String)>,
}

struct ParameterView {
    name: String,
    place: String,
    kind: String,
    required: bool,
    description: String,
}

/// A schema and its fields on the reference page.
struct SchemaView {
    name: String,
    fields: Vec<(String, String, bool, String)>,
}

#[derive(Template)]
#[template(path = "api/reference.html")]
struct Reference {
    title: String,
    /// Where this console is reached, for the example.
    base_url: String,
    description: String,
    tags: Vec<(String, String, Vec<OperationView>)>,
    schemas: Vec<SchemaView>,
}

/// `GET /api/v1/docs`: the reference page, from the document.
pub async fn reference(
    state: actix_web::web::Data<crate::web::AppState>,
) -> Result<HttpResponse, super::Problem> {
    let mut page = reference_page(document());
    page.base_url = state.settings.base_url.trim_end_matches('/').to_owned();
    let html = page
        .render()
        .map_err(|e| super::Problem::internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The document's prose as HTML: escaped, with its `code` spans as `<code>`.
fn prose(v: &Value) -> String {
    let mut html = String::new();
    for (i, part) in v.as_str().unwrap_or_default().split('`').enumerate() {
        let escaped = askama::filters::escape(part, askama::filters::Html)
            .map(|e| e.to_string())
            .unwrap_or_default();
        if i % 2 == 1 {
            html.push_str(&format!("<code>{escaped}</code>"));
        } else {
            html.push_str(&escaped);
        }
    }
    html
}

/// A schema's type in words: `string`, `integer | null`, `array of GroupJson`, `UserJson`.
fn type_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let Some(all) = schema["allOf"].as_array().or(schema["oneOf"].as_array()) {
        return all.iter().map(type_name).collect::<Vec<_>>().join(" | ");
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().map(text).collect::<Vec<_>>().join(" | "),
        Value::String(kind) => kind.clone(),
        _ => "any".to_owned(),
    };
    if kind.starts_with("array") {
        format!("{kind} of {}", type_name(&schema["items"]))
    } else {
        kind
    }
}

/// The reference page's content: the document's operations by tag, then its schemas.
fn reference_page(doc: &Value) -> Reference {
    let empty = Map::new();
    let mut tags: Vec<(String, String, Vec<OperationView>)> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| (text(&t["name"]), prose(&t["description"]), Vec::new()))
                .collect()
        })
        .unwrap_or_default();
    for (path, item) in doc["paths"].as_object().unwrap_or(&empty) {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let view = operation_view(path, method, op);
            let tag = op["tags"][0].as_str().unwrap_or("API");
            match tags.iter_mut().find(|(name, _, _)| name == tag) {
                Some((_, _, ops)) => ops.push(view),
                None => tags.push((tag.to_owned(), String::new(), vec![view])),
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .unwrap_or(&empty)
        .iter()
        .map(|(name, schema)| schema_view(name, schema))
        .collect();
    Reference {
        title: text(&doc["info"]["title"]),
        description: prose(&doc["info"]["description"]),
        base_url: String::new(),
        tags,
        schemas,
    }
}

/// One operation (`method` on `path`) as the reference page shows it.
fn operation_view(path: &str, method: &str, op: &Value) -> OperationView {
    let scopes = scopes(op);
    OperationView {
        anchor: text(&op["operationId"]),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: prose(&op["summary"]),
        description: prose(&op["description"]),
        scopes: if scopes.is_empty() {
            "any live key".to_owned()
        } else {
            scopes
        },
        parameters: op["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(parameter_view).collect())
            .unwrap_or_default(),
        body: op["requestBody"]["content"]["application/json"]
            .get("schema")
            .map(type_name),
        responses: op["responses"]
            .as_object()
            .map(|responses| {
                responses
                    .iter()
                    .map(|(status, r)| {
                        let schema = r["content"]
                            .as_object()
                            .and_then(|c| c.values().next())
                            .map(|m| type_name(&m["schema"]))
                            .unwrap_or_default();
                        (status.clone(), prose(&r["description"]), schema)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The scopes an operation needs: each requirement's all together (`groups.manage and
/// users.view`), requirements as alternatives (`users.edit or users.change_role`); empty when any
/// live key will do.
fn scopes(op: &Value) -> String {
    op["security"]
        .as_array()
        .map(|alts| {
            alts.iter()
                .map(|a| {
                    a["api_key"]
                        .as_array()
                        .map(|all| all.iter().map(text).collect::<Vec<_>>().join(" and "))
                        .unwrap_or_default()
                })
                .filter(|all| !all.is_empty())
                .collect::<Vec<_>>()
                .join(" or ")
        })
        .unwrap_or_default()
}

fn parameter_view(p: &Value) -> ParameterView {
    ParameterView {
        name: text(&p["name"]),
        place: text(&p["in"]),
        kind: type_name(&p["schema"]),
        required: p["required"].as_bool().unwrap_or(false),
        description: prose(&p["description"]),
    }
}

/// A schema's fields: its own, and for each schema it extends (`allOf`) a line standing for
/// all of that one's.
fn schema_view(name: &str, schema: &Value) -> SchemaView {
    let empty = Map::new();
    let required = required_fields(schema);
    let mut fields: Vec<(String, String, bool, String)> = Vec::new();
    let parts = schema["allOf"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![schema.clone()]);
    for part in &parts {
        if part.get("$ref").is_some() {
            fields.push((
                format!("…{}", type_name(part)),
                String::new(),
                true,
                "All of its fields.".into(),
            ));
        }
        let part_required = required_fields(part);
        for (field, s) in part["properties"].as_object().unwrap_or(&empty) {
            fields.push((
                field.clone(),
                type_name(s),
                required.contains(&field.as_str()) || part_required.contains(&field.as_str()),
                prose(&s["description"]),
            ));
        }
    }
    SchemaView {
        name: name.to_owned(),
        fields,
    }
}

/// The names a schema lists as `required`.
fn required_fields(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_shared_answers_and_scopes() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let users = &doc["paths"]["/api/v1/users"]["get"];
        for status in ["200", "400", "401", "403", "429"] {
            assert!(users["responses"][status].is_object(), "{status}");
        }
        assert!(users["responses"]["404"].is_null(), "no id in the path");
        let suspend = &doc["paths"]["/api/v1/users/{id}/suspend"]["post"];
        for status in ["200", "403", "404", "409", "422", "413"] {
            assert!(suspend["responses"][status].is_object(), "{status}");
        }
        assert!(
            suspend["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Idempotency-Key")
        );
        assert_eq!(suspend["security"][0]["api_key"][1], "users.suspend");
        let workspace = &doc["paths"]["/api/v1/workspace"]["get"];
        assert!(workspace["responses"]["403"].is_null(), "any live key");
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        assert_eq!(
            doc["paths"]["/api/v1/users"]["get"]["responses"]["200"]["links"]["suspendUser"]["parameters"]
                ["id"],
            "$response.body#/data/0/id"
        );
    }

    /// Every route of the API but the document and its page: what the document must describe.
    fn api_routes() -> Vec<(&'static str, &'static str)> {
        crate::web::routes::ALL
            .iter()
            .copied()
            .filter(|(_, path)| path.starts_with("/api/v1/"))
            .filter(|(_, path)| !["/api/v1/openapi.json", "/api/v1/docs"].contains(path))
            .collect()
    }

    #[test]
    fn every_route_of_the_api_is_documented_and_nothing_else() {
        let doc = document();
        let routes = api_routes();
        for (method, path) in &routes {
            assert!(doc["paths"][*path][*method].is_object(), "{method} {path}");
        }
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum();
        assert_eq!(documented, routes.len());
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| {
                METHODS
                    .iter()
                    .filter_map(|m| item[*m]["operationId"].as_str())
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), routes.len(), "operation ids are unique");
    }

    #[test]
    fn the_reference_page_lists_every_operation() {
        let page = reference_page(document());
        let count: usize = page.tags.iter().map(|(_, _, ops)| ops.len()).sum();
        assert_eq!(count, api_routes().len());
        let html = page.render().unwrap();
        assert!(html.contains("/api/v1/users/{id}/remove"));
        assert!(html.contains("users.remove"));
    }
}
