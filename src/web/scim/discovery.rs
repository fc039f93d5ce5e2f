//! SCIM discovery (RFC 7644 §4): what this service provider supports, its resource types and their
//! schemas — exactly what is built, so that an identity provider's client configures itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{ScimAuth, ScimError, list_response, scim_json};
use crate::web::AppState;

pub use super::groups::GROUP_SCHEMA;
pub use crate::domain::scim_filter::USER_SCHEMA;

/// The base address of this SCIM service (`https://console.example.com/scim/v2`).
pub fn base(state: &AppState) -> String {
    format!(
        "{}{}",
        state.settings.base_url.trim_end_matches('/'),
        super::SCOPE
    )
}

fn meta(state: &AppState, resource_type: &str, path: &str) -> Value {
    json!({"resourceType": resource_type, "location": format!("{}/{path}", base(state))})
}

pub async fn service_provider_config(state: web::Data<AppState>, _auth: ScimAuth) -> HttpResponse {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": format!("{}/api/v1/docs", state.settings.base_url.trim_end_matches('/')),
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": super::query::MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "API key",
                "description": "A workspace API key holding the scim scope, made by an Owner on \
                    the workspace's API keys page, sent as Authorization: Bearer ack_…",
                "primary": true
            }],
            "meta": meta(&state, "ServiceProviderConfig", "ServiceProviderConfig"),
        }),
    )
}

/// The resource types: (id, endpoint, description, schema).
const RESOURCE_TYPES: [(&str, &str, &str, &str); 2] = [
    ("User", "/Users", "A member of the workspace", USER_SCHEMA),
    (
        "Group",
        "/Groups",
        "A group of the workspace's members",
        GROUP_SCHEMA,
    ),
];

fn resource_type_json(
    state: &AppState,
    (id, endpoint, description, schema): (&str, &str, &str, &str),
) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": id,
        "name": id,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "meta": meta(state, "ResourceType", &format!("ResourceTypes/{id}")),
    })
}

pub async fn resource_types(state: web::Data<AppState>, _auth: ScimAuth) -> HttpResponse {
    let all: Vec<Value> = RESOURCE_TYPES
        .into_iter()
        .map(|t| resource_type_json(&state, t))
        .collect();
    list_response(all.len() as i64, 1, all)
}

pub async fn resource_type(
    state: web::Data<AppState>,
    _auth: ScimAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, ScimError> {
    let found = RESOURCE_TYPES
        .into_iter()
        .find(|t| t.0 == path.0)
        .ok_or_else(ScimError::not_found)?;
    Ok(scim_json(
        StatusCode::OK,
        &resource_type_json(&state, found),
    ))
}

/// One attribute's definition (RFC 7643 §7).
fn attribute(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn user_schema(state: &AppState) -> Value {
    let mut user_name = attribute(
        "userName",
        "string",
        "The member's email address, or a username (the address then in emails): unique in the \
         workspace, compared case-insensitively.",
    );
    user_name["required"] = json!(true);
    user_name["uniqueness"] = json!("server");
    let mut external_id = attribute("externalId", "string", "The identity provider's own id.");
    external_id["caseExact"] = json!(true);
    let mut emails = attribute(
        "emails",
        "complex",
        "The member's one email address (userName when that is an address): \
         required, as every member signs in and is reached by email.",
    );
    emails["multiValued"] = json!(true);
    emails["required"] = json!(true);
    let mut email_type = attribute(
        "type",
        "string",
        "The provider's label of the address, as sent (work when it did not say).",
    );
    email_type["canonicalValues"] = json!(["work", "home", "other"]);
    let mut email_value = attribute("value", "string", "The address.");
    email_value["required"] = json!(true);
    emails["subAttributes"] = json!([
        email_value,
        email_type,
        attribute(
            "primary",
            "boolean",
            "As the provider sent it (true when it did not say).",
        ),
    ]);
    // Every member has a name and a state: the console requires both.
    let mut name = attribute("name", "complex", "The member's name.");
    name["required"] = json!(true);
    let mut given_name = attribute("givenName", "string", "First name.");
    given_name["required"] = json!(true);
    let mut family_name = attribute("familyName", "string", "Last name.");
    family_name["required"] = json!(true);
    let mut active = attribute(
        "active",
        "boolean",
        "false while the member is suspended or invited, or their account is blocked organization-wide.",
    );
    active["required"] = json!(true);
    name["subAttributes"] = json!([given_name, family_name]);
    let mut display_name = attribute(
        "displayName",
        "string",
        "The name the console shows (the email while the member has no name).",
    );
    display_name["mutability"] = json!("readOnly");
    let mut timezone = attribute(
        "timezone",
        "string",
        "An IANA time zone (Europe/Paris): every member has one, UTC when none is given \
         (removing it sets UTC).",
    );
    timezone["required"] = json!(true);
    timezone["canonicalValues"] = json!(crate::domain::timezone::Timezone::all_names());
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A member of the workspace",
        "attributes": [
            user_name,
            name,
            display_name,
            emails,
            active,
            external_id,
            timezone,
        ],
        "meta": meta(state, "Schema", &format!("Schemas/{USER_SCHEMA}")),
    })
}

fn group_schema(state: &AppState) -> Value {
    let mut display_name = attribute(
        "displayName",
        "string",
        "The group's name, unique in the workspace.",
    );
    display_name["required"] = json!(true);
    display_name["uniqueness"] = json!("server");
    let mut external_id = attribute("externalId", "string", "The identity provider's own id.");
    external_id["caseExact"] = json!(true);
    let mut members = attribute("members", "complex", "The group's members (Users).");
    members["multiValued"] = json!(true);
    let mut value = attribute("value", "string", "The member's User id.");
    value["mutability"] = json!("immutable");
    let mut kind = attribute("type", "string", "Always User.");
    kind["mutability"] = json!("readOnly");
    kind["canonicalValues"] = json!(["User"]);
    let mut reference = attribute("$ref", "reference", "The member's User address.");
    reference["mutability"] = json!("immutable");
    reference["referenceTypes"] = json!(["User"]);
    members["subAttributes"] = json!([value, reference, kind]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of the workspace's members",
        "attributes": [display_name, members, external_id],
        "meta": meta(state, "Schema", &format!("Schemas/{GROUP_SCHEMA}")),
    })
}

pub async fn schemas(state: web::Data<AppState>, _auth: ScimAuth) -> HttpResponse {
    list_response(2, 1, vec![user_schema(&state), group_schema(&state)])
}

pub async fn schema(
    state: web::Data<AppState>,
    _auth: ScimAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, ScimError> {
    match path.0.as_str() {
        USER_SCHEMA => Ok(scim_json(StatusCode::OK, &user_schema(&state))),
        GROUP_SCHEMA => Ok(scim_json(StatusCode::OK, &group_schema(&state))),
        _ => Err(ScimError::not_found()),
    }
}
