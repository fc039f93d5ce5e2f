//! SCIM discovery (RFC 7644 §4): what this service provider supports, its resource types and their
//! schemas — exactly what is built, so that an identity provider's client configures itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{ScimAuth, ScimError, list_response, scim_json};
use crate::web::AppState;

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
            "filter": {"supported": true, "maxResults": super::users::MAX_COUNT},
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

fn user_resource_type(state: &AppState) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A member of the workspace",
        "schema": USER_SCHEMA,
        "meta": meta(state, "ResourceType", "ResourceTypes/User"),
    })
}

pub async fn resource_types(state: web::Data<AppState>, _auth: ScimAuth) -> HttpResponse {
    list_response(1, 1, vec![user_resource_type(&state)])
}

pub async fn resource_type(
    state: web::Data<AppState>,
    _auth: ScimAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, ScimError> {
    if path.0 != "User" {
        return Err(ScimError::not_found());
    }
    Ok(scim_json(StatusCode::OK, &user_resource_type(&state)))
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
        "The member's email address: unique in the organization, compared case-insensitively.",
    );
    user_name["required"] = json!(true);
    user_name["uniqueness"] = json!("server");
    let mut external_id = attribute("externalId", "string", "The identity provider's own id.");
    external_id["caseExact"] = json!(true);
    let mut emails = attribute(
        "emails",
        "complex",
        "The member's one email address (the same as userName), of type work.",
    );
    emails["multiValued"] = json!(true);
    emails["subAttributes"] = json!([
        attribute("value", "string", "The address."),
        attribute("type", "string", "Always work."),
        attribute("primary", "boolean", "Always true."),
    ]);
    let mut name = attribute("name", "complex", "The member's name.");
    let mut formatted = attribute("formatted", "string", "Given and family name together.");
    formatted["mutability"] = json!("readOnly");
    name["subAttributes"] = json!([
        attribute("givenName", "string", "First name."),
        attribute("familyName", "string", "Last name."),
        formatted,
    ]);
    let mut display_name = attribute(
        "displayName",
        "string",
        "The name the console shows (the email while the member has no name).",
    );
    display_name["mutability"] = json!("readOnly");
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
            attribute("active", "boolean", "false while the member is suspended or invited."),
            external_id,
            attribute("timezone", "string", "An IANA time zone (Europe/Paris)."),
        ],
        "meta": meta(state, "Schema", &format!("Schemas/{USER_SCHEMA}")),
    })
}

pub async fn schemas(state: web::Data<AppState>, _auth: ScimAuth) -> HttpResponse {
    list_response(1, 1, vec![user_schema(&state)])
}

pub async fn schema(
    state: web::Data<AppState>,
    _auth: ScimAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, ScimError> {
    if path.0 != USER_SCHEMA {
        return Err(ScimError::not_found());
    }
    Ok(scim_json(StatusCode::OK, &user_schema(&state)))
}
