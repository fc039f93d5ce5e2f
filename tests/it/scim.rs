//! SCIM 2.0 (`/scim/v2`, issue 17) over HTTP on the backend chosen by `TEST_BACKEND`: who may
//! call it, discovery, and Users read the way identity providers read them.

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use serde_json::Value;

use crate::common::*;

/// Ada (Owner) makes a key with `scopes` on the API keys page; returns its secret.
async fn scim(app: &TestApp, path: &str, key: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .expect("SCIM request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn app_with_people() -> TestApp {
    let app = spawn_app().await;
    app.set_up().await;
    for (email, status) in [
        ("grace.hopper@example.com", MembershipStatus::Active),
        ("alan.turing@example.com", MembershipStatus::Suspended),
        ("edsger.dijkstra@example.com", MembershipStatus::Active),
        ("gone.away@example.com", MembershipStatus::Removed),
    ] {
        app.add_member(email, BuiltInRole::Member, status);
    }
    app
}

#[actix_web::test]
async fn only_a_key_holding_scim_is_let_in_and_errors_speak_scim() {
    let app = app_with_people().await;
    let (status, headers, body) = scim(&app, "/scim/v2/Users", "ack_unknown00000000").await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(headers["content-type"], "application/scim+json");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "401");

    let plain = app.api_key("Okta", &["users.view"]).await;
    let (status, _, body) = scim(&app, "/scim/v2/Users", &plain).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("scim"));

    // An Admin does not hold `scim`, so cannot give it to a key.
    app.add_member(
        "ida.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    let ida = app.new_client();
    ida.sign_in("ida.admin@example.com", OWNER_PASSWORD).await;
    let refused = ida
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "Mine"), ("scope", "scim")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);

    let scim_key = app.api_key("Okta", &["scim"]).await;
    let (status, _, body) = scim(&app, "/scim/v2/Nowhere", &scim_key).await;
    assert_eq!((status, &body["status"]), (404, &Value::from("404")));
    let response = reqwest::Client::new()
        .post(app.url("/scim/v2/ServiceProviderConfig"))
        .header("authorization", format!("Bearer {scim_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_eq!(response.headers()["content-type"], "application/scim+json");
    let head = reqwest::Client::new()
        .head(app.url("/scim/v2/Users"))
        .header("authorization", format!("Bearer {scim_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers()["content-type"], "application/scim+json");
    assert!(head.text().await.unwrap().is_empty());
    let (status, _, _) = scim(&app, "/scim/v2/Users/", &scim_key).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn discovery_describes_what_is_built() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let (status, headers, config) = scim(&app, "/scim/v2/ServiceProviderConfig", &key).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/scim+json");
    assert_eq!(config["filter"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(config["etag"]["supported"], true);
    let (_, _, types) = scim(&app, "/scim/v2/ResourceTypes", &key).await;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    let (status, _, user_type) = scim(&app, "/scim/v2/ResourceTypes/User", &key).await;
    assert_eq!((status, &user_type["id"]), (200, &Value::from("User")));
    let (_, _, schemas) = scim(&app, "/scim/v2/Schemas", &key).await;
    let names: Vec<&str> = schemas["Resources"][0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"userName") && names.contains(&"externalId"),
        "{names:?}"
    );
    let (status, _, _) = scim(
        &app,
        "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        &key,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        scim(&app, "/scim/v2/ResourceTypes/Gadget", &key).await.0,
        404
    );
}

fn user_names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn users_are_filtered_and_paged_as_identity_providers_ask() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    app.execute(&format!(
        "UPDATE memberships SET external_id = '00uGRACE' WHERE id = {grace}"
    ));

    // Everyone but the removed member: Ada, Grace, Alan, Edsger, by id.
    let (status, _, all) = scim(&app, "/scim/v2/Users", &key).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        all["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(all["totalResults"], 4);
    assert!(!user_names(&all).contains(&"gone.away@example.com".to_owned()));

    let (_, _, page) = scim(&app, "/scim/v2/Users?startIndex=2&count=2", &key).await;
    assert_eq!(
        (
            &page["totalResults"],
            &page["startIndex"],
            &page["itemsPerPage"]
        ),
        (&Value::from(4), &Value::from(2), &Value::from(2))
    );
    assert_eq!(
        user_names(&page),
        ["grace.hopper@example.com", "alan.turing@example.com"]
    );
    // A time as a resource shows it (to the second) finds it with eq, and gt leaves it out.
    app.execute(&format!(
        "UPDATE memberships SET updated_at = '2026-12-07 10:33:00.420' WHERE id = {grace}"
    ));
    let (_, _, her) = scim(&app, &format!("/scim/v2/Users/{grace}"), &key).await;
    let shown = her["meta"]["lastModified"].as_str().unwrap().to_owned();
    assert_eq!(shown, "2026-12-07T10:33:00Z");
    for (op, found) in [
        ("eq", true),
        ("ge", true),
        ("le", true),
        ("gt", false),
        ("lt", false),
    ] {
        let filter = urlencode(&format!(r#"meta.lastModified {op} "{shown}""#));
        let (_, _, list) = scim(&app, &format!("/scim/v2/Users?filter={filter}"), &key).await;
        assert_eq!(
            user_names(&list).contains(&"grace.hopper@example.com".to_owned()),
            found,
            "{op}: {list}"
        );
    }
    let (_, _, none) = scim(&app, "/scim/v2/Users?count=0", &key).await;
    assert_eq!(
        (&none["totalResults"], &none["itemsPerPage"]),
        (&Value::from(4), &Value::from(0))
    );

    for (filter, expected) in [
        (
            r#"userName eq "GRACE.Hopper@example.com""#,
            vec!["grace.hopper@example.com"],
        ),
        (
            r#"externalId eq "00uGRACE""#,
            vec!["grace.hopper@example.com"],
        ),
        (r#"externalId eq "00ugrace""#, vec![]),
        (
            r#"emails[type eq "work" and value sw "alan"]"#,
            vec!["alan.turing@example.com"],
        ),
        (r#"active eq false"#, vec!["alan.turing@example.com"]),
        (
            r#"name.familyName co "hopper" or userName ew "dijkstra@example.com""#,
            vec!["grace.hopper@example.com", "edsger.dijkstra@example.com"],
        ),
        (
            r#"not (userName co "@example.com") or externalId pr"#,
            vec!["grace.hopper@example.com"],
        ),
        (
            r#"meta.lastModified gt "2000-01-01T00:00:00Z" and id eq "0""#,
            vec![],
        ),
        // Past year 9999: after everyone (SQLite once compared "+10000-…" as text, before all).
        (r#"meta.created gt "9999-12-31T23:59:59Z""#, vec![]),
        (
            r#"meta.lastModified lt "9999-12-31T23:30:00-01:00" and userName sw "grace""#,
            vec!["grace.hopper@example.com"],
        ),
    ] {
        let path = format!("/scim/v2/Users?filter={}", urlencode(filter));
        let (status, _, found) = scim(&app, &path, &key).await;
        assert_eq!(status, 200, "{filter}: {found}");
        assert_eq!(user_names(&found), expected, "{filter}");
        assert_eq!(found["totalResults"], expected.len(), "{filter}");
    }

    // The same list asked with a body (POST /.search).
    let (status, searched) = send(
        &app,
        "POST",
        "/scim/v2/Users/.search",
        &key,
        Some(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName sw \"grace\"",
            "attributes": ["userName"],
            "startIndex": 1,
            "count": 10
        })),
        None,
    )
    .await;
    assert_eq!(status, 200, "{searched}");
    assert_eq!(user_names(&searched), ["grace.hopper@example.com"]);
    assert!(searched["Resources"][0].get("emails").is_none());

    for bad in [
        r#"userName eq"#,
        r#"title eq "x""#,
        r#"userName eq "a" and"#,
        "active gt true",
    ] {
        let (status, headers, body) = scim(
            &app,
            &format!("/scim/v2/Users?filter={}", urlencode(bad)),
            &key,
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["scimType"], "invalidFilter", "{bad}");
        assert_eq!(headers["content-type"], "application/scim+json");
    }
    let (status, _, body) = scim(&app, "/scim/v2/Users?startIndex=x", &key).await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &Value::from("invalidValue"))
    );

    let (_, _, projected) = scim(
        &app,
        &format!(
            "/scim/v2/Users?filter={}&attributes=userName,name.givenName",
            urlencode(r#"userName eq "grace.hopper@example.com""#)
        ),
        &key,
    )
    .await;
    let grace_json = &projected["Resources"][0];
    assert_eq!(grace_json["name"]["givenName"], "grace");
    assert!(grace_json.get("emails").is_none() && grace_json["name"].get("familyName").is_none());
    assert_eq!(grace_json["id"], grace.to_string());
}

#[actix_web::test]
async fn one_user_with_its_version_and_others_are_404() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    let (status, headers, user) = scim(&app, &format!("/scim/v2/Users/{grace}"), &key).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["userName"], "grace.hopper@example.com");
    assert_eq!(user["active"], true);
    assert_eq!(user["emails"][0]["primary"], true);
    assert_eq!(
        headers["etag"].to_str().unwrap(),
        user["meta"]["version"].as_str().unwrap()
    );
    assert!(
        user["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{grace}"))
    );
    // Asked again with the version it has: 304, nothing to send; with another, the User.
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for (known, status) in [(etag.as_str(), 304), ("W/\"1\"", 200), ("*", 304)] {
        let again = reqwest::Client::new()
            .get(app.url(&format!("/scim/v2/Users/{grace}")))
            .header("authorization", format!("Bearer {key}"))
            .header("if-none-match", known)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status().as_u16(), status, "{known}");
        if status == 304 {
            assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
            assert!(again.bytes().await.unwrap().is_empty());
        }
    }
    let removed = app.membership_of("gone.away@example.com");
    for path in [
        format!("/scim/v2/Users/{removed}"),
        "/scim/v2/Users/999999".to_owned(),
        "/scim/v2/Users/not-an-id".to_owned(),
    ] {
        assert_eq!(scim(&app, &path, &key).await.0, 404, "{path}");
    }
}

fn urlencode(text: &str) -> String {
    serde_html_form::to_string([("f", text)]).unwrap()[2..].to_owned()
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), app.url(path))
        .header("authorization", format!("Bearer {key}"));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    let response = request.send().await.expect("SCIM request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn status_of(app: &TestApp, member: i64) -> String {
    let suspended = app.count(&format!(
        "memberships WHERE id = {member} AND status = 'suspended'"
    ));
    let removed = app.count(&format!(
        "memberships WHERE id = {member} AND status = 'removed'"
    ));
    match (suspended, removed) {
        (1, _) => "suspended".into(),
        (_, 1) => "removed".into(),
        _ => "other".into(),
    }
}

#[actix_web::test]
async fn okta_and_entra_deactivate_reactivate_rename_and_delete() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    let path = format!("/scim/v2/Users/{grace}");

    // Okta: no path, an object; deactivate.
    let okta = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]
    });
    let (status, user) = send(&app, "PATCH", &path, &key, Some(okta), None).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["active"], false);
    assert_eq!(status_of(&app, grace), "suspended");

    // Entra: capitalised op, "True" as text, a name by path, an external id.
    let entra = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "Replace", "path": "name.familyName", "value": "Hopper-Murray"},
            {"op": "Add", "path": "externalId", "value": "e-42"}
        ]
    });
    let (status, user) = send(&app, "PATCH", &path, &key, Some(entra), None).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        (
            &user["active"],
            &user["name"]["familyName"],
            &user["externalId"]
        ),
        (
            &Value::Bool(true),
            &Value::from("Hopper-Murray"),
            &Value::from("e-42")
        )
    );
    assert_eq!(status_of(&app, grace), "other");
    for action in [
        "member.suspended",
        "member.unsuspended",
        "member.profile_changed",
        "member.external_id_changed",
    ] {
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = '{action}' AND actor_label LIKE 'SCIM (Okta, ack_%)'"
            )),
            1,
            "{action}"
        );
    }

    // A stale version is refused before anything changes; the current one is accepted.
    let (_, current) = send(&app, "GET", &path, &key, None, None).await;
    let version = current["meta"]["version"].as_str().unwrap().to_owned();
    let rename = |name: &str| serde_json::json!({"Operations": [{"op": "replace", "path": "name.givenName", "value": name}]});
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(rename("G")),
        Some("W/\"1\""),
    )
    .await;
    assert_eq!(status, 412, "{body}");
    let (status, renamed) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(rename("Grace")),
        Some(&version),
    )
    .await;
    assert_eq!(status, 200);
    // A change of name is a new version.
    assert_ne!(renamed["meta"]["version"], Value::from(version));

    // PUT replaces: what it leaves out is cleared.
    let put = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Grace.Hopper@example.com",
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "active": true
    });
    let (status, user) = send(&app, "PUT", &path, &key, Some(put.clone()), None).await;
    assert_eq!(status, 200, "{user}");
    assert!(user.get("externalId").is_none());

    // Entra renames the person's userName (their UPN): the address stays, the name reads back.
    let mut moved = put;
    moved["userName"] = "g.hopper".into();
    let (status, user) = send(&app, "PUT", &path, &key, Some(moved.clone()), None).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        (&user["userName"], &user["emails"][0]["value"]),
        (
            &Value::from("g.hopper"),
            &Value::from("grace.hopper@example.com")
        )
    );
    // Another member's userName (or address) is taken.
    moved["userName"] = "Edsger.Dijkstra@example.com".into();
    let (status, body) = send(&app, "PUT", &path, &key, Some(moved), None).await;
    assert_eq!(
        (status, &body["scimType"]),
        (409, &Value::from("uniqueness"))
    );

    // The provider changes the address (it vouches for it): at once, the old address told,
    // the label kept as sent, the event recorded.
    let readdress = |address: &str| {
        serde_json::json!({"Operations": [
            {"op": "replace", "path": "emails", "value": [{"value": address, "type": "home", "primary": false}]}
        ]})
    };
    let (status, user) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(readdress("grace@navy.example")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        user["emails"],
        serde_json::json!([{"value": "grace@navy.example", "type": "home", "primary": false}])
    );
    assert_eq!(app.count("accounts WHERE email = 'grace@navy.example'"), 1);
    assert_eq!(
        app.count("outbox_emails WHERE to_address = 'grace.hopper@example.com'"),
        1
    );
    for action in [
        "account.email_changed",
        "member.user_name_changed",
        "member.email_label_changed",
    ] {
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = '{action}' AND actor_label LIKE 'SCIM (Okta, ack_%)'"
            )),
            1,
            "{action}"
        );
    }
    // The label is what filters see.
    for filter in [r#"emails[type eq "home"]"#, "emails[primary eq false]"] {
        let (_, _, found) = scim(
            &app,
            &format!("/scim/v2/Users?filter={}", urlencode(filter)),
            &key,
        )
        .await;
        assert_eq!(found["totalResults"], 1, "{filter}");
        assert_eq!(found["Resources"][0]["id"], grace.to_string(), "{filter}");
    }
    // An address another account holds is taken; nothing changes.
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(readdress("alan.turing@example.com")),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["scimType"]),
        (409, &Value::from("uniqueness"))
    );
    assert_eq!(app.count("accounts WHERE email = 'grace@navy.example'"), 1);

    // Bad operations and bad values are SCIM errors, and change nothing.
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(serde_json::json!({"Operations": [{"op": "replace", "path": "favouriteColour", "value": "x"}]})),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &Value::from("invalidPath"))
    );
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(serde_json::json!({"Operations": [{"op": "replace", "path": "timezone", "value": "Mars/Base"}]})),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &Value::from("invalidValue")),
        "{body}"
    );

    // DELETE with a stale version is refused before anything changes; with the current one
    // it removes, and the member is gone from SCIM.
    let (status, body) = send(&app, "DELETE", &path, &key, None, Some("W/\"1\"")).await;
    assert_eq!(status, 412, "{body}");
    assert_ne!(status_of(&app, grace), "removed");
    let (_, current) = send(&app, "GET", &path, &key, None, None).await;
    let version = current["meta"]["version"].as_str().unwrap().to_owned();
    let (status, _) = send(&app, "DELETE", &path, &key, None, Some(&version)).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(&app, grace), "removed");
    assert_eq!(send(&app, "GET", &path, &key, None, None).await.0, 404);
    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 404);

    // Someone invited who has not joined: DELETE revokes the invitation, and its link dies.
    app.invite("not.yet@example.com", "member").await;
    let link = app.token_for("not.yet@example.com");
    let invited = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'not.yet@example.com')",
    );
    let path = format!("/scim/v2/Users/{invited}");
    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 204);
    assert_eq!(send(&app, "GET", &path, &key, None, None).await.0, 404);
    assert_eq!(app.count("invitations"), 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'invitation.revoked'"),
        1
    );
    assert_eq!(
        app.new_client()
            .get(&format!("/invite/{link}"))
            .await
            .status()
            .as_u16(),
        404
    );
}

#[actix_web::test]
async fn someone_in_another_workspace_too_is_deactivated_and_sent_back_unchanged() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303, "a second workspace");
    let grace = app.membership_of("grace.hopper@example.com");
    app.execute(&format!(
        "INSERT INTO memberships (workspace_id, account_id, role_id, status, sort_name, \
         sort_email, created_at, updated_at) \
         SELECT (SELECT id FROM workspaces WHERE slug = 'labs'), account_id, role_id, status, \
         sort_name, sort_email, created_at, updated_at FROM memberships WHERE id = {grace}"
    ));
    let path = format!("/scim/v2/Users/{grace}");

    // The whole User sent back as it was read (a PUT of what the provider holds): nothing
    // changes, so nothing is judged or refused.
    let (status, user) = send(&app, "GET", &path, &key, None, None).await;
    assert_eq!(status, 200, "{user}");
    let events = app.count("audit_events");
    let (status, again) = send(&app, "PUT", &path, &key, Some(user.clone()), None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(app.count("audit_events"), events, "nothing changed");

    // Deprovisioning as Okta sends it: the membership here is suspended.
    let okta = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]
    });
    let (status, user) = send(&app, "PATCH", &path, &key, Some(okta), None).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(status_of(&app, grace), "suspended");

    // What belongs to the account itself (her name, seen in every workspace) stays an org
    // owner's or org admin's to change.
    let rename = serde_json::json!({"Operations": [
        {"op": "replace", "path": "name.givenName", "value": "G"}
    ]});
    let (status, body) = send(&app, "PATCH", &path, &key, Some(rename), None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("also belongs to other workspaces")),
        "{body}"
    );
}

#[actix_web::test]
async fn scim_acts_as_an_admin_and_never_on_owners() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let ada = app.membership_of(OWNER_EMAIL);
    let deactivate =
        serde_json::json!({"Operations": [{"op": "replace", "path": "active", "value": false}]});
    let (status, body) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Users/{ada}"),
        &key,
        Some(deactivate),
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {ada} AND status = 'active'"
        )),
        1
    );
    let (status, _) = send(
        &app,
        "DELETE",
        &format!("/scim/v2/Users/{ada}"),
        &key,
        None,
        None,
    )
    .await;
    assert_eq!(status, 403);
}

fn new_user(email: &str, external_id: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Barbara", "familyName": "Liskov"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "externalId": external_id,
        "active": true
    })
}

#[actix_web::test]
async fn a_provider_adds_people_who_choose_their_password_from_the_welcome_email() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let email = "barbara.liskov@example.com";
    let (status, user) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user(email, "00uB")),
        None,
    )
    .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(
        (&user["userName"], &user["active"], &user["externalId"]),
        (
            &Value::from(email),
            &Value::Bool(true),
            &Value::from("00uB")
        )
    );
    let id = app.membership_of(email);
    assert_eq!(user["id"], id.to_string());
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {id} AND status = 'active' AND joined_at IS NOT NULL"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "accounts WHERE email = '{email}' AND password_hash IS NULL"
        )),
        1,
        "no password until they choose one"
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.provisioned' AND actor_label LIKE 'SCIM (Okta, ack_%)'"
        ),
        1
    );

    // The welcome email's link sets the first password, and Barbara signs in.
    let link_in = |body: String| {
        let start = body.find("/password/reset/").expect("a link");
        body[start..].split_whitespace().next().unwrap().to_owned()
    };
    let welcome = app.last_email(email, "Choose your password for Acme HQ");
    assert!(welcome.contains("added you to Acme HQ"), "{welcome}");
    let link = link_in(welcome);
    let barbara = app.new_client();
    let page = barbara.get_text(&link).await;
    let csrf = crate::common::csrf_in(&page);
    let chosen = barbara
        .post_form(
            &link,
            &[
                ("csrf_token", csrf.as_str()),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    assert!(chosen.status().is_redirection(), "{}", chosen.status());
    let signed_in = app
        .new_client()
        .sign_in(email, "a brand new passphrase")
        .await;
    assert!(signed_in.status().is_redirection());

    // Someone who lost their welcome email: an Admin sends a link from the console like for
    // anyone, and the welcome link stops working.
    let (_, tony) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("tony.hoare@example.com", "00uT")),
        None,
    )
    .await;
    let lost =
        link_in(app.last_email("tony.hoare@example.com", "Choose your password for Acme HQ"));
    let resent = app
        .post_fields(
            &format!(
                "/w/acme/users/{}/password-reset",
                tony["id"].as_str().unwrap()
            ),
            &[],
        )
        .await;
    assert!(resent.status().is_redirection(), "{}", resent.status());
    let dead = app.new_client().get_text(&lost).await;
    assert!(dead.contains("no longer works"), "{dead}");
    let sent = link_in(app.last_email("tony.hoare@example.com", "Reset your password"));
    // Without a password he cannot be made an Owner (he would count as one and never sign in).
    let owner = app
        .post_fields(
            &format!("/w/acme/users/{}/role", tony["id"].as_str().unwrap()),
            &[("role", "owner")],
        )
        .await;
    assert_eq!(owner.status().as_u16(), 422);
    // Said beside the role on his Role tab, which offers no Owner.
    let page = owner.text().await.unwrap();
    assert!(
        page.contains("has not chosen a password yet")
            && page.contains("id=\"role-error\"")
            && page.contains("Change role")
            && !page.contains("value=\"owner\""),
        "{page}"
    );
    let bogus = app
        .post_fields(
            &format!("/w/acme/users/{}/role", tony["id"].as_str().unwrap()),
            &[("role", "nope")],
        )
        .await;
    assert_eq!(bogus.status().as_u16(), 422);
    assert!(bogus.text().await.unwrap().contains("id=\"role-error\""));
    // Deleted by the provider before choosing a password: no link of his works any more.
    let tony_path = format!("/scim/v2/Users/{}", tony["id"].as_str().unwrap());
    assert_eq!(
        send(&app, "DELETE", &tony_path, &key, None, None).await.0,
        204
    );
    let dead = app.new_client().get_text(&sent).await;
    assert!(dead.contains("no longer works"), "{dead}");

    // Again: a uniqueness conflict, nothing made.
    let (status, body) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user(email, "00uB")),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["scimType"]),
        (409, &Value::from("uniqueness"))
    );

    // Deleted, then pushed again: the same member comes back, active.
    let path = format!("/scim/v2/Users/{id}");
    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 204);
    let (status, back) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user(email, "00uB")),
        None,
    )
    .await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(
        (&back["id"], &back["active"]),
        (&Value::from(id.to_string()), &Value::Bool(true))
    );

    // Someone with an account already (a member elsewhere) joins as they are: no new account, no
    // welcome email.
    let (status, grace) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("ADA@example.com", "00uA")),
        None,
    )
    .await;
    assert_eq!(
        (status, &grace["scimType"]),
        (409, &Value::from("uniqueness")),
        "Ada is here"
    );

    // A username that is not an address (GitLab- or Keycloak-style): kept as userName, the
    // address taken from `emails`, found by it whatever its case, unique.
    let mut named = new_user("ignored@example.com", "00uN");
    named["userName"] = "nwirth".into();
    named["emails"] = serde_json::json!([{"value": "niklaus.wirth@example.com", "primary": true}]);
    let (status, niklaus) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(named.clone()),
        None,
    )
    .await;
    assert_eq!(status, 201, "{niklaus}");
    assert_eq!(
        (&niklaus["userName"], &niklaus["emails"][0]["value"]),
        (
            &Value::from("nwirth"),
            &Value::from("niklaus.wirth@example.com")
        )
    );
    let (_, _, found) = scim(
        &app,
        "/scim/v2/Users?filter=userName%20eq%20%22NWIRTH%22",
        &key,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    named["emails"] = serde_json::json!([{"value": "someone.new@example.com"}]);
    let (status, body) = send(&app, "POST", "/scim/v2/Users", &key, Some(named), None).await;
    assert_eq!(
        (status, &body["scimType"]),
        (409, &Value::from("uniqueness"))
    );

    // A bad address, and a full workspace.
    let mut bad = new_user("not-an-email", "x");
    bad["emails"] = serde_json::json!([{"value": "not-an-email-either"}]);
    let (status, body) = send(&app, "POST", "/scim/v2/Users", &key, Some(bad), None).await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &Value::from("invalidValue"))
    );
    app.execute("UPDATE workspaces SET seat_limit = 1 WHERE slug = 'acme'");
    let (status, body) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("one.more@example.com", "x")),
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("seats"), "{body}");
    assert_eq!(
        app.count("accounts WHERE email = 'one.more@example.com'"),
        0
    );
}

/// A SCIM Group named `name` holding the User `member`.
fn new_group(name: &str, member: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "members": [{ "value": member }]
    })
}

/// POSTs `group` to `/Groups` (201); the group made.
async fn push_group(app: &TestApp, key: &str, group: Value) -> Value {
    let (status, made) = send(app, "POST", "/scim/v2/Groups", key, Some(group), None).await;
    assert_eq!(status, 201, "{made}");
    made
}

#[actix_web::test]
async fn a_group_push_creates_fills_renames_and_deletes_groups() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com").to_string();
    let edsger = app.membership_of("edsger.dijkstra@example.com").to_string();
    let in_group =
        |app: &TestApp, group: &str| app.count(&format!("group_members WHERE group_id = {group}"));

    // Okta pushes a group with its members.
    let mut engineering = new_group("Engineering", &grace);
    engineering["externalId"] = "00gENG".into();
    let group = push_group(&app, &key, engineering).await;
    // A Group's id is not a User's: `g` and the group's number (RFC 7643 §3.1).
    let scim_id = group["id"].as_str().unwrap().to_owned();
    let id = scim_id
        .strip_prefix('g')
        .expect("g and a number")
        .to_owned();
    assert_eq!(group["members"][0]["value"], grace);
    assert!(
        group["members"][0]["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{grace}"))
    );
    assert_eq!(in_group(&app, &id), 1);
    let path = format!("/scim/v2/Groups/{scim_id}");
    assert_eq!(
        scim(&app, &format!("/scim/v2/Groups/{id}"), &key).await.0,
        404
    );

    let page = app.get_text(&format!("/w/acme/groups/{id}")).await;
    assert!(
        page.contains("Managed by your identity provider"),
        "the group's page says so"
    );

    // Found by name; the members left out when asked.
    let (_, _, found) = scim(
        &app,
        "/scim/v2/Groups?filter=displayName%20eq%20%22engineering%22&excludedAttributes=members",
        &key,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    assert!(found["Resources"][0].get("members").is_none());
    let (status, searched) = send(
        &app,
        "POST",
        "/scim/v2/Groups/.search",
        &key,
        Some(serde_json::json!({"filter": "externalId eq \"00gENG\"", "excludedAttributes": ["members"]})),
        None,
    )
    .await;
    assert_eq!((status, &searched["totalResults"]), (200, &Value::from(1)));

    // Searching every type at once: Users, then Groups, paged as one list; a filter applies to
    // the types whose attributes it names.
    let everywhere = |body: Value| send(&app, "POST", "/scim/v2/.search", &key, Some(body), None);
    let (status, all) = everywhere(serde_json::json!({"count": 1000})).await;
    assert_eq!(status, 200, "{all}");
    let total = all["totalResults"].as_i64().unwrap();
    let last = &all["Resources"][total as usize - 1];
    assert_eq!((&last["id"], total), (&Value::from(scim_id.clone()), 5));
    let (_, tail) = everywhere(serde_json::json!({"startIndex": total, "count": 1})).await;
    assert_eq!(tail["Resources"][0]["id"], Value::from(scim_id.clone()));
    let (_, found) = everywhere(serde_json::json!({"filter": "externalId eq \"00gENG\""})).await;
    assert_eq!(found["totalResults"], 1);
    let (_, found) =
        everywhere(serde_json::json!({"filter": "userName eq \"grace.hopper@example.com\""})).await;
    assert_eq!(
        (&found["totalResults"], &found["Resources"][0]["id"]),
        (&Value::from(1), &Value::from(grace.clone()))
    );
    let (status, body) = everywhere(serde_json::json!({"filter": "title eq \"x\""})).await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &Value::from("invalidFilter"))
    );

    // Members added, then removed by filter (Okta) and by value list (Entra).
    let patch = |ops: Value| Some(serde_json::json!({"Operations": ops}));
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(serde_json::json!([{"op": "add", "path": "members", "value": [{"value": edsger}]}])),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(in_group(&app, &id), 2);
    send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(
            serde_json::json!([{"op": "remove", "path": format!("members[value eq \"{grace}\"]")}]),
        ),
        None,
    )
    .await;
    send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(
            serde_json::json!([{"op": "Remove", "path": "members", "value": [{"value": edsger}]}]),
        ),
        None,
    )
    .await;
    assert_eq!(in_group(&app, &id), 0);

    // Operations apply in the order sent: in, out and in again; then everyone replaced.
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(serde_json::json!([
            {"op": "add", "path": "members", "value": [{"value": grace}, {"value": edsger}]},
            {"op": "remove", "path": format!("members[value eq \"{grace}\"]")},
            {"op": "add", "path": "members", "value": [{"value": grace}]}
        ])),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(in_group(&app, &id), 2);
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(serde_json::json!([
            {"op": "add", "path": "members", "value": [{"value": grace}]},
            {"op": "replace", "path": "members", "value": [{"value": edsger}]}
        ])),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(in_group(&app, &id), 1);
    assert_eq!(
        body["members"][0]["value"],
        serde_json::json!(edsger),
        "{body}"
    );
    send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(serde_json::json!([{"op": "remove", "path": "members"}])),
        None,
    )
    .await;
    assert_eq!(in_group(&app, &id), 0);

    // An unknown member is refused and nothing changes; so is a name another group has.
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(
            serde_json::json!([{"op": "add", "path": "members", "value": [{"value": "999999"}]}]),
        ),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &Value::from("invalidValue"))
    );
    send(
        &app,
        "POST",
        "/scim/v2/Groups",
        &key,
        Some(serde_json::json!({"displayName": "Design"})),
        None,
    )
    .await;
    let (status, body) = send(
        &app,
        "PATCH",
        &path,
        &key,
        patch(serde_json::json!([{"op": "replace", "value": {"displayName": "design"}}])),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["scimType"]),
        (409, &Value::from("uniqueness"))
    );

    // PUT replaces name and members.
    let (status, replaced) = send(
        &app,
        "PUT",
        &path,
        &key,
        Some(serde_json::json!({"displayName": "Platform", "members": [{"value": edsger}, {"value": grace}]})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["displayName"], "Platform");
    assert!(replaced.get("externalId").is_none(), "cleared by the PUT");
    assert_eq!(in_group(&app, &id), 2);
    assert!(
        app.count(
            "audit_events WHERE action LIKE 'group.%' AND actor_label LIKE 'SCIM (Okta, ack_%)'"
        ) > 3
    );

    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 204);
    assert_eq!(app.count(&format!("groups WHERE id = {id}")), 0);
    assert_eq!(send(&app, "GET", &path, &key, None, None).await.0, 404);
}

/// Attribute names beyond ASCII (a filter, a projection, a PATCH path) are refused with an
/// answer, never a dropped connection.
#[actix_web::test]
async fn attribute_names_beyond_ascii_are_refused_in_words() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    let name = urlencode("abcé");
    for path in [
        format!("/scim/v2/Users?attributes={name}"),
        format!("/scim/v2/Users?excludedAttributes={name}"),
        format!("/scim/v2/Users?filter={}", urlencode(r#"abcé eq "x""#)),
    ] {
        let (status, _, _) = scim(&app, &path, &key).await;
        assert!(matches!(status, 200 | 400), "{path}: {status}");
    }
    let (status, body) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Users/{grace}"),
        &key,
        Some(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "path": "abcé", "value": "x" }]
        })),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

fn replace(path: &str, value: Value) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": path, "value": value }]
    })
}

/// A userName stands for one member: nobody takes another's userName or address as theirs, by a
/// new userName, a new member or a new address.
#[actix_web::test]
async fn a_user_name_answers_for_one_member_only() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    let edsger = app.membership_of("edsger.dijkstra@example.com");
    let patch = |id: i64, path: &'static str, value: Value| {
        let (app, key) = (&app, &key);
        async move {
            send(
                app,
                "PATCH",
                &format!("/scim/v2/Users/{id}"),
                key,
                Some(replace(path, value)),
                None,
            )
            .await
        }
    };
    assert_eq!(patch(grace, "userName", "grace".into()).await.0, 200);
    // One that reads as another's: refused, not kept beside it.
    for lookalike in ["gr\u{200B}ace", "admin\u{202E}gro.elpmaxe"] {
        let (status, body) = patch(edsger, "userName", lookalike.into()).await;
        assert_eq!(
            (status, body["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{body}"
        );
    }
    // Grace's address is still hers: Edsger may not answer to it.
    let (status, body) = patch(edsger, "userName", "Grace.Hopper@example.com".into()).await;
    assert_eq!(
        (status, body["scimType"].as_str()),
        (409, Some("uniqueness"))
    );
    assert_eq!(
        patch(edsger, "userName", "yan@example.com".into()).await.0,
        200
    );
    // A new member whose address is Edsger's userName.
    let (status, _) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("yan@example.com", "yan-1")),
        None,
    )
    .await;
    assert_eq!(status, 409);
    // Alan (suspended, answering to his address) moving to it; Grace, who answers to a
    // userName of her own, too.
    let alan = app.membership_of("alan.turing@example.com");
    let moved =
        serde_json::json!([{ "value": "yan@example.com", "type": "work", "primary": true }]);
    for member in [alan, grace] {
        let (status, body) = patch(member, "emails", moved.clone()).await;
        assert_eq!(
            (status, body["scimType"].as_str()),
            (409, Some("uniqueness"))
        );
    }
    let (_, _, found) = scim(
        &app,
        &format!(
            "/scim/v2/Users?filter={}",
            urlencode(r#"userName eq "yan@example.com""#)
        ),
        &key,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    // Nor is it given to someone invited (dialog, API, import and Slack share the judgement).
    let refused = app.invite("YAN@example.com", "member").await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("is the SCIM userName of another member here")
    );
    assert_eq!(
        app.count("accounts WHERE email = 'yan@example.com'"),
        0,
        "nothing written"
    );
    // Entra's UPN beside a different mailbox: the UPN is the userName, the mailbox the address.
    let mut upn = new_user("barbara.liskov@example.com", "00uBL");
    upn["userName"] = Value::from("bliskov@corp.example.com");
    let (status, user) = send(&app, "POST", "/scim/v2/Users", &key, Some(upn), None).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["userName"], "bliskov@corp.example.com");
    assert_eq!(user["emails"][0]["value"], "barbara.liskov@example.com");
    assert_eq!(
        app.count("accounts WHERE email = 'barbara.liskov@example.com'"),
        1
    );
}

/// What providers send about addresses: a renamed mailbox keeps the userName the provider finds
/// the member by (Entra changes the mail, not the UPN); a second address added is not kept over
/// the member's own; `null` is unassigned.
#[actix_web::test]
async fn a_new_mailbox_keeps_the_user_name_and_a_second_address_is_not_kept() {
    let app = app_with_people().await;
    let key = app.api_key("Entra", &["scim"]).await;
    let mut jane = new_user("jane.doe@example.com", "jane-1");
    jane["externalId"] = Value::Null;
    jane["timezone"] = Value::Null;
    let (status, user) = send(&app, "POST", "/scim/v2/Users", &key, Some(jane), None).await;
    assert_eq!(status, 201, "{user}");
    assert!(user.get("externalId").is_none(), "{user}");
    let path = format!("/scim/v2/Users/{}", user["id"].as_str().unwrap());
    let operation = |op: &str, path: &str, value: Value| {
        serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": op, "path": path, "value": value }]
        })
    };
    let renamed = operation(
        "Replace",
        r#"emails[type eq "work"].value"#,
        "jane.smith@example.com".into(),
    );
    let (status, user) = send(&app, "PATCH", &path, &key, Some(renamed), None).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["userName"], "jane.doe@example.com");
    assert_eq!(user["emails"][0]["value"], "jane.smith@example.com");
    let (_, _, found) = scim(
        &app,
        &format!(
            "/scim/v2/Users?filter={}",
            urlencode(r#"userName eq "jane.doe@example.com""#)
        ),
        &key,
    )
    .await;
    assert_eq!(found["totalResults"], 1);

    let personal = serde_json::json!([
        { "value": "jane@home.example", "type": "home", "primary": false }
    ]);
    let (status, user) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(operation("add", "emails", personal)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["emails"][0]["value"], "jane.smith@example.com");
    assert_eq!(user["emails"][0]["type"], "work");
    assert_eq!(app.count("accounts WHERE email = 'jane@home.example'"), 0);
    let cleared = operation("replace", "externalId", Value::Null);
    assert_eq!(
        send(&app, "PATCH", &path, &key, Some(cleared), None)
            .await
            .0,
        200
    );

    // The search's address asked with GET is 405, as every known address is.
    let (status, headers, _) = scim(&app, "/scim/v2/Users/.search", &key).await;
    assert_eq!((status, &headers["allow"]), (405, &"POST".parse().unwrap()));
}

/// A change of a group's members, from anywhere, is a new version: a provider's `If-Match` with
/// the version it read before is refused rather than undoing it.
#[actix_web::test]
async fn a_change_of_members_is_a_new_version_of_the_group() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let api = app
        .api_key("Scripts", &["users.view", "groups.view", "groups.manage"])
        .await;
    let grace = app.membership_of("grace.hopper@example.com").to_string();
    let edsger = app.membership_of("edsger.dijkstra@example.com");
    let group = push_group(&app, &key, new_group("Engineering", &grace)).await;
    let scim_id = group["id"].as_str().unwrap().to_owned();
    let id = scim_id.strip_prefix('g').unwrap().to_owned();
    let read = group["meta"]["version"].as_str().unwrap().to_owned();
    // A script adds Edsger through the JSON API…
    let added = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/groups/{id}/members/{edsger}")))
        .header("authorization", format!("Bearer {api}"))
        .send()
        .await
        .unwrap();
    assert!(added.status().is_success(), "{}", added.status());
    let (_, _, now) = scim(&app, &format!("/scim/v2/Groups/{scim_id}"), &key).await;
    assert_ne!(now["meta"]["version"], read.as_str());
    // …so the provider's replace of the members it read is refused, and Edsger stays.
    let (status, _) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Groups/{scim_id}"),
        &key,
        Some(replace("members", serde_json::json!([{ "value": grace }]))),
        Some(&read),
    )
    .await;
    assert_eq!(status, 412);
    assert_eq!(
        app.count(&format!("group_members WHERE group_id = {id}")),
        2
    );
    // Nor is the group deleted on the strength of that version.
    let path = format!("/scim/v2/Groups/{scim_id}");
    let (status, _) = send(&app, "DELETE", &path, &key, None, Some(&read)).await;
    assert_eq!(status, 412);
    assert_eq!(app.count(&format!("groups WHERE id = {id}")), 1);
    let current = now["meta"]["version"].as_str().unwrap();
    assert_eq!(
        send(&app, "DELETE", &path, &key, None, Some(current))
            .await
            .0,
        204
    );
    assert_eq!(app.count(&format!("groups WHERE id = {id}")), 0);
}

/// A member whose account is blocked organization-wide is `active: false` to the provider, and
/// the block is a new version of them; `active: true` cannot lift it (an org owner or admin does,
/// in the console). What Okta and Entra send by default that the console does not keep is ignored.
#[actix_web::test]
async fn a_block_reads_as_inactive_and_what_providers_send_by_default_is_accepted() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    let (_, before_headers, before) = scim(&app, &format!("/scim/v2/Users/{grace}"), &key).await;
    assert_eq!(before["active"], true);

    let account = app.first_id("accounts WHERE email = 'grace.hopper@example.com'");
    let blocked = app
        .post_fields(&format!("/org/accounts/{account}/block"), &[])
        .await;
    assert_eq!(blocked.status().as_u16(), 303);
    let (_, headers, user) = scim(&app, &format!("/scim/v2/Users/{grace}"), &key).await;
    assert_eq!(user["active"], false, "{user}");
    assert_ne!(headers["etag"], before_headers["etag"], "a new version");
    let filter = urlencode("active eq true");
    let (_, _, list) = scim(&app, &format!("/scim/v2/Users?filter={filter}"), &key).await;
    assert!(
        !user_names(&list).contains(&"grace.hopper@example.com".to_owned()),
        "{list}"
    );
    let (status, user) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Users/{grace}"),
        &key,
        Some(replace("active", Value::Bool(true))),
        None,
    )
    .await;
    assert_eq!(
        (status, &user["active"]),
        (200, &Value::Bool(false)),
        "{user}"
    );
    assert_eq!(
        app.count(&format!(
            "accounts WHERE id = {account} AND status = 'blocked'"
        )),
        1
    );

    // Posting her again says so (her row here shows the block anyway); someone blocked with no
    // membership here is not said to be blocked, as an invitation does not say it.
    let (status, again) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("grace.hopper@example.com", "00uGH")),
        None,
    )
    .await;
    assert_eq!(status, 409, "{again}");
    app.add_blocked_elsewhere("ken.elsewhere@example.com");
    let (status, elsewhere) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("ken.elsewhere@example.com", "00uKE")),
        None,
    )
    .await;
    assert_eq!(status, 409, "{elsewhere}");
    let said = elsewhere["detail"].as_str().unwrap();
    assert!(
        said.contains("an org admin can say why") && !said.contains("blocked"),
        "{said}"
    );

    // Okta's and Entra's defaults: read-only groups, a password, attributes not kept, the
    // enterprise extension.
    let mut body = new_user("barbara.liskov@example.com", "00uBL");
    body["schemas"] = serde_json::json!([
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    ]);
    body["groups"] = serde_json::json!([]);
    body["password"] = Value::from("chosen by the IdP 123");
    body["locale"] = Value::from("en-US");
    body["title"] = Value::from("Professor");
    body["phoneNumbers"] = serde_json::json!([{"type": "work", "value": "+1 555 0100"}]);
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
        serde_json::json!({"department": "EECS", "employeeNumber": "1939"});
    let (status, user) = send(&app, "POST", "/scim/v2/Users", &key, Some(body), None).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(
        app.count("accounts WHERE email = 'barbara.liskov@example.com' AND password_hash IS NULL"),
        1,
        "the person chooses their password"
    );
    let barbara = app.membership_of("barbara.liskov@example.com");
    let entra = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "title", "value": "Institute Professor"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "CSAIL"},
            {"op": "Replace", "path": "name.familyName", "value": "Liskov-Smith"}
        ]
    });
    let (status, user) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Users/{barbara}"),
        &key,
        Some(entra),
        None,
    )
    .await;
    assert_eq!(
        (status, &user["name"]["familyName"]),
        (200, &Value::from("Liskov-Smith")),
        "{user}"
    );
    let (status, error) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Users/{barbara}"),
        &key,
        Some(replace("favouriteColour", Value::from("blue"))),
        None,
    )
    .await;
    assert_eq!(
        (status, &error["scimType"]),
        (400, &Value::from("invalidPath")),
        "{error}"
    );

    // A PUT without `active` leaves a suspension as it is.
    let alan = app.membership_of("alan.turing@example.com");
    let mut whole = new_user("alan.turing@example.com", "00uAT");
    whole.as_object_mut().unwrap().remove("active");
    let (status, user) = send(
        &app,
        "PUT",
        &format!("/scim/v2/Users/{alan}"),
        &key,
        Some(whole),
        None,
    )
    .await;
    assert_eq!(
        (status, &user["active"]),
        (200, &Value::Bool(false)),
        "{user}"
    );
    assert_eq!(status_of(&app, alan), "suspended");

    // externalId is case-exact in every comparison, on both backends.
    for (filter, found) in [
        ("externalId sw \"00uB\"", true),
        ("externalId sw \"00ub\"", false),
        ("externalId ew \"BL\"", true),
        ("externalId ew \"bl\"", false),
        ("externalId ew \"x00uBL\"", false),
        ("externalId co \"uBL\"", true),
        ("externalId co \"ubl\"", false),
    ] {
        let (_, _, list) = scim(
            &app,
            &format!("/scim/v2/Users?filter={}", urlencode(filter)),
            &key,
        )
        .await;
        assert_eq!(
            user_names(&list).contains(&"barbara.liskov@example.com".to_owned()),
            found,
            "{filter}: {list}"
        );
    }

    // A body over 1 MiB is 413 (RFC 7644 §3.12), in SCIM's error format.
    let mut huge = new_user("huge@example.com", "00uH");
    huge["title"] = Value::from("x".repeat(1 << 20));
    let (status, error) = send(&app, "POST", "/scim/v2/Users", &key, Some(huge), None).await;
    assert_eq!(
        (status, &error["status"]),
        (413, &Value::from("413")),
        "{error}"
    );
}

/// What a provider sends wrongly is refused in SCIM's words, never a dropped connection, and a
/// path's filter that selects no address changes nothing.
#[actix_web::test]
async fn malformed_addresses_ids_and_filters_are_refused() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let grace = app.membership_of("grace.hopper@example.com");
    let path = format!("/scim/v2/Users/{grace}");
    // The status and the scimType of a request.
    let refusal = |method: &'static str, path: String, body: Value| {
        let (app, key) = (&app, &key);
        async move {
            let (status, body) = send(app, method, &path, key, Some(body), None).await;
            (
                status,
                body["scimType"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    let invalid = (400, "invalidValue".to_owned());
    // A resource has one id: other spellings of the number are nobody.
    for other in [
        format!("0{grace}"),
        format!("+{grace}"),
        format!("{grace}%20"),
    ] {
        let (status, _, _) = scim(&app, &format!("/scim/v2/Users/{other}"), &key).await;
        assert_eq!(status, 404, "{other}");
    }
    // An `emails` entry without a value.
    let no_value = serde_json::json!([{ "type": "work" }]);
    let patched = refusal("PATCH", path.clone(), replace("emails", no_value.clone())).await;
    assert_eq!(patched, invalid);
    let mut nameless = new_user("ann.new@example.com", "00uA");
    nameless["userName"] = "ann".into();
    nameless["emails"] = no_value;
    let posted = refusal("POST", "/scim/v2/Users".to_owned(), nameless).await;
    assert_eq!(posted, invalid);
    // An externalId with a NUL, or too long for anyone's id.
    for bad in ["a\u{0}b".to_owned(), "x".repeat(201)] {
        let patched = refusal(
            "PATCH",
            path.clone(),
            replace("externalId", bad.clone().into()),
        )
        .await;
        assert_eq!(patched, invalid);
        let new = new_user("ann.new@example.com", &bad);
        let posted = refusal("POST", "/scim/v2/Users".to_owned(), new).await;
        assert_eq!(posted, invalid);
    }
    // Grace's one address is a work one: a path naming a home address selects nothing.
    let home = replace("emails[type eq \"home\"].value", "g@example.com".into());
    let patched = refusal("PATCH", path.clone(), home).await;
    assert_eq!(patched, (400, "noTarget".to_owned()));
    assert_eq!(
        app.count("accounts WHERE email = 'grace.hopper@example.com'"),
        1,
        "unchanged"
    );
    assert_eq!(app.count("accounts WHERE email = 'ann.new@example.com'"), 0);
    // A control character escaped in a filter's string, as typed ones are (PostgreSQL refused
    // the NUL with a 500; SQLite matched everyone with `co`).
    for filter in [r#"userName eq "a\u0000b""#, r#"userName co "\u0000""#] {
        let address = format!("/scim/v2/Users?filter={}", urlencode(filter));
        let (status, _, body) = scim(&app, &address, &key).await;
        assert_eq!(
            (status, &body["scimType"]),
            (400, &Value::from("invalidFilter")),
            "{filter}"
        );
    }
}

/// A member deleted by the provider comes back with what the provider sends, each change in the
/// log; and nobody is restored into a userName someone else answers to now.
#[actix_web::test]
async fn a_return_is_recorded_and_keeps_user_names_unique() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    let (status, user) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("rj@example.com", "rj-1")),
        None,
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let path = format!("/scim/v2/Users/{}", user["id"].as_str().unwrap());
    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 204);
    let mut back = new_user("rj@example.com", "rj-1");
    back.as_object_mut().unwrap().remove("externalId");
    back["userName"] = "rj-two".into();
    back["emails"] = serde_json::json!([{ "value": "rj@example.com", "type": "home" }]);
    let (status, user) = send(&app, "POST", "/scim/v2/Users", &key, Some(back), None).await;
    assert_eq!((status, &user["userName"]), (201, &Value::from("rj-two")));
    // What it sends now, not what it sent before: no externalId this time.
    assert!(user["externalId"].is_null(), "{user}");
    assert_eq!(user["emails"][0]["type"], "home");
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.restored' AND target_label = 'rj@example.com'"
        ),
        1
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.provisioned' AND target_label = 'rj@example.com' \
             AND changes LIKE '%\"restored\":true%' AND changes LIKE '%rj-two%' \
             AND changes LIKE '%home%'"
        ),
        1,
        "the return, with the userName and label it came back with"
    );

    // Deleted again, and its address becomes Grace's userName meanwhile: it cannot come back.
    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 204);
    let grace = app.membership_of("grace.hopper@example.com");
    let (status, _) = send(
        &app,
        "PATCH",
        &format!("/scim/v2/Users/{grace}"),
        &key,
        Some(replace("userName", "RJ@example.com".into())),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let rj = app.membership_of("rj@example.com");
    let refused = app
        .post_fields(&format!("/w/{WORKSPACE}/users/{rj}/restore"), &[])
        .await;
    assert_eq!(refused.status().as_u16(), 409);
    assert!(refused.text().await.unwrap().contains("SCIM userName now"));
    assert_eq!(status_of(&app, rj), "removed");

    // Its address is free again, but the userName it had is Edsger's now: it comes back under
    // the one the provider sends, and the old one stays Edsger's.
    let patch = |id: i64, name: &'static str| {
        let (app, key) = (&app, &key);
        async move {
            send(
                app,
                "PATCH",
                &format!("/scim/v2/Users/{id}"),
                key,
                Some(replace("userName", name.into())),
                None,
            )
            .await
            .0
        }
    };
    assert_eq!(patch(grace, "grace").await, 200);
    let edsger = app.membership_of("edsger.dijkstra@example.com");
    assert_eq!(patch(edsger, "rj-two").await, 200);
    let mut again = new_user("rj@example.com", "rj-1");
    again["userName"] = "rj-three".into();
    let (status, user) = send(&app, "POST", "/scim/v2/Users", &key, Some(again), None).await;
    assert_eq!(
        (status, &user["userName"]),
        (201, &Value::from("rj-three")),
        "{user}"
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.restored' AND target_label = 'rj@example.com' \
             AND changes LIKE '%rj-two%'"
        ),
        1,
        "the userName given up is in the event"
    );
}

/// Someone an Owner removed in the console comes back from the provider as a Member, whatever
/// role they had; someone who is also in another workspace comes back with the externalId and
/// label the provider sends now (joining is not a profile edit, which on a shared account is an
/// org admin's).
#[actix_web::test]
async fn a_return_is_a_member_with_what_the_provider_sends_now() {
    let app = app_with_people().await;
    let key = app.api_key("Okta", &["scim"]).await;
    app.add_member(
        "ada.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    let admin = app.membership_of("ada.admin@example.com");
    let csrf = app.csrf_token("/me").await;
    let removed = app
        .post_form(
            &format!("/w/{WORKSPACE}/users/{admin}/remove"),
            &[
                ("csrf_token", csrf.as_str()),
                ("reason", "offboarded for cause"),
            ],
        )
        .await;
    assert_eq!(removed.status().as_u16(), 303);
    let (status, user) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("ada.admin@example.com", "okta-ada")),
        None,
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let role: String = {
        use admin_console::db::schema::{memberships, roles};
        use diesel::prelude::*;
        memberships::table
            .inner_join(roles::table)
            .filter(memberships::id.eq(admin))
            .select(roles::name)
            .first(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(role, "Member");
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.role_changed' AND target_label = 'ada.admin@example.com'"
        ),
        1
    );

    // In another workspace too: deleted here by the provider, sent again with another externalId
    // and label.
    app.invite_to_new_workspace("labs", "grace.hopper@example.com")
        .await;
    let grace = app.membership_of("grace.hopper@example.com");
    let path = format!("/scim/v2/Users/{grace}");
    assert_eq!(send(&app, "DELETE", &path, &key, None, None).await.0, 204);
    let mut again = new_user("grace.hopper@example.com", "okta-grace-2");
    again["emails"] = serde_json::json!([{ "value": "grace.hopper@example.com", "type": "home" }]);
    let (status, user) = send(&app, "POST", "/scim/v2/Users", &key, Some(again), None).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["externalId"], "okta-grace-2");
    assert_eq!(user["emails"][0]["type"], "home");
}

/// A second workspace, Labs, made by the org owner: the secret of its SCIM key.
async fn labs_with_a_scim_key(app: &TestApp) -> String {
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let page = app
        .post_fields(
            "/w/labs/settings/api-keys",
            &[("name", "Labs IdP"), ("scope", "scim")],
        )
        .await;
    api_secret_in(&page.text().await.unwrap())
}

/// Two workspaces' providers add the same new address at the same moment: both join one account
/// (on PostgreSQL the workspaces' locks do not order them; the loser once met the unique index
/// and answered 500).
#[actix_web::test]
async fn two_workspaces_adding_one_new_person_at_once_share_the_account() {
    let app = app_with_people().await;
    let acme = app.api_key("Okta", &["scim"]).await;
    let labs = labs_with_a_scim_key(&app).await;
    for round in 0..6 {
        let email = format!("both{round}@example.com");
        let sent = [&acme, &labs].map(|key| {
            reqwest::Client::new()
                .post(app.url("/scim/v2/Users"))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/scim+json")
                .body(new_user(&email, &format!("x-{round}")).to_string())
                .send()
        });
        let statuses =
            join_all(sent.map(|s| async move { s.await.unwrap().status().as_u16() })).await;
        assert_eq!(statuses, [201, 201], "round {round}");
        assert_eq!(
            app.count(&format!(
                "memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}'"
            )),
            2
        );
    }
}

/// Someone provisioned who has not chosen a password yet keeps a way in: a new address gets a
/// new welcome link (the old address's stops working), and joining one more workspace sends one
/// naming it (the first workspace's may be long gone).
#[actix_web::test]
async fn a_member_without_a_password_is_welcomed_again_at_a_new_address_or_workspace() {
    let app = app_with_people().await;
    let key = app.api_key("Entra", &["scim"]).await;
    let (status, user) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("wel@example.com", "e-wel")),
        None,
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let subject = "Choose your password for Acme HQ";
    let link_in = |body: String| {
        let start = body.find("/password/reset/").expect("a link");
        body[start..].split_whitespace().next().unwrap().to_owned()
    };
    let first = link_in(app.last_email("wel@example.com", subject));
    let path = format!("/scim/v2/Users/{}", user["id"].as_str().unwrap());
    let (status, _) = send(
        &app,
        "PATCH",
        &path,
        &key,
        Some(replace(
            "emails[type eq \"work\"].value",
            "wel2@example.com".into(),
        )),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let link = link_in(app.last_email("wel2@example.com", subject));
    // The old address's link no longer works.
    let old = app.new_client().get_text(&first).await;
    assert!(old.contains("no longer works"), "{old}");
    let page = app.new_client().get_text(&link).await;
    assert!(page.contains("name=\"password\""), "{page}");

    // Made by Labs' provider (its welcome names Labs), then added here: welcomed, naming Acme HQ.
    let labs = labs_with_a_scim_key(&app).await;
    let (status, _) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &labs,
        Some(new_user("orph@example.com", "l-orph")),
        None,
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        &app,
        "POST",
        "/scim/v2/Users",
        &key,
        Some(new_user("orph@example.com", "e-orph")),
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        app.last_email("orph@example.com", subject)
            .contains("/password/reset/")
    );
}
