//! API keys (`/w/{slug}/settings/api-keys`, the command line) and the JSON API they open
//! (`/api/v1`), over HTTP on the backend chosen by `TEST_BACKEND`.

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::{BuiltInRole, Permission};
use chrono::Duration;
use serde_json::{Value, json};

use crate::common::*;

async fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    api_with(app, method, path, key, body, &[]).await
}

async fn api_with(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), app.url(path))
        .header("authorization", format!("Bearer {key}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("API request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, value)
}

async fn get(app: &TestApp, path: &str, key: &str) -> (u16, Value) {
    let (status, _, body) = api(app, "GET", path, key, None).await;
    (status, body)
}

async fn post(app: &TestApp, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
    let (status, _, body) = api(app, "POST", path, key, body).await;
    (status, body)
}

async fn owner_app() -> TestApp {
    let app = spawn_app().await;
    app.set_up().await;
    app
}

#[actix_web::test]
async fn a_key_is_shown_once_and_only_its_hash_is_kept() {
    let app = owner_app().await;
    let secret = app
        .api_key("Okta sync", &["users.view", "users.suspend"])
        .await;
    assert!(secret.starts_with("ack_") && secret.len() == 47, "{secret}");
    let stored: Vec<(String, String, String)> = {
        use admin_console::db::schema::api_keys::dsl::*;
        use diesel::prelude::*;
        api_keys
            .select((key_hash, prefix, scopes))
            .load(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(
        stored,
        vec![(
            admin_console::tokens::hash_token(&secret),
            secret[..12].to_owned(),
            "users.view users.suspend".to_owned()
        )]
    );
    let list = app.get_text("/w/acme/settings/api-keys").await;
    assert!(!list.contains(&secret), "the list never shows the secret");
    assert!(list.contains(&secret[..12]) && list.contains("Okta sync"));
    assert!(list.contains("Never"), "never used, never expires");
    assert_eq!(
        app.count("audit_events WHERE action = 'api_key.created' AND target_label = 'Okta sync'"),
        1
    );
    // Using it records when and from where (at most once a minute).
    assert_eq!(get(&app, "/api/v1/workspace", &secret).await.0, 200);
    let list = app.get_text("/w/acme/settings/api-keys").await;
    assert!(list.contains("just now from 127.0.0.1"), "{list}");
}

#[actix_web::test]
async fn the_create_form_refuses_bad_fields_beside_them_and_scopes_one_does_not_hold() {
    let app = owner_app().await;
    let response = app
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "CI <deploy>"), ("expires_in_days", "0")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("Choose at least one scope."));
    assert!(page.contains("Enter a whole number of days from 1 to 3650"));
    assert!(
        page.contains("value=\"CI &#60;deploy&#62;\"") && !page.contains("CI <deploy>"),
        "kept as typed, escaped"
    );
    let response = app
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "x"), ("scope", "users.fly")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(app.count("api_keys"), 0, "nothing half-written");

    // An Admin lacks api_keys.manage (an Owner's): no key, no form.
    app.add_member(
        "adam.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    let adam = app.new_client();
    adam.sign_in("adam.admin@example.com", OWNER_PASSWORD).await;
    let response = adam
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "Mine"), ("scope", "users.view")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    // An Auditor reads the list (they read everything) but gets no form.
    app.add_member(
        "audrey.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let audrey = app.new_client();
    audrey
        .sign_in("audrey.auditor@example.com", OWNER_PASSWORD)
        .await;
    let page = audrey.get_text("/w/acme/settings/api-keys").await;
    assert!(page.contains("No API keys yet") && !page.contains("Create key"));
}

#[actix_web::test]
async fn only_a_live_key_opens_the_api_and_a_session_cookie_does_not() {
    let app = owner_app().await;
    let (status, headers, body) = api(&app, "GET", "/api/v1/users", "", None).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 401);
    // Ada's signed-in browser: its cookie counts for nothing here.
    let response = app.get("/api/v1/users").await;
    assert_eq!(response.status().as_u16(), 401);
    let unknown = format!("ack_{}", "A".repeat(43));
    assert_eq!(get(&app, "/api/v1/users", &unknown).await.0, 401);

    let expiring = {
        let response = app
            .post_fields(
                "/w/acme/settings/api-keys",
                &[
                    ("name", "Short"),
                    ("scope", "users.view"),
                    ("expires_in_days", "1"),
                ],
            )
            .await;
        api_secret_in(&response.text().await.unwrap())
    };
    assert_eq!(get(&app, "/api/v1/users", &expiring).await.0, 200);
    app.settings.clock.advance(Duration::days(1));
    assert_eq!(get(&app, "/api/v1/users", &expiring).await.0, 401);

    let revoked = app.api_key("Old", &["users.view"]).await;
    assert_eq!(get(&app, "/api/v1/users", &revoked).await.0, 200);
    let id = app.first_id("api_keys WHERE name = 'Old'");
    let dialog = app
        .get_text(&format!("/w/acme/settings/api-keys/{id}/revoke"))
        .await;
    assert!(dialog.contains("Revoke the API key Old?"));
    let response = app
        .post_fields(&format!("/w/acme/settings/api-keys/{id}/revoke"), &[])
        .await;
    assert_eq!(location(&response), "/w/acme/settings/api-keys");
    // The message is said on the page the revoke lands on, not on the next one opened.
    let landed = app.get_text("/w/acme/settings/api-keys").await;
    assert!(landed.contains("API key Old revoked."), "{landed}");
    assert!(!app.get_text("/w/acme/groups").await.contains("revoked."));
    assert_eq!(get(&app, "/api/v1/users", &revoked).await.0, 401);
    assert_eq!(
        app.count("audit_events WHERE action = 'api_key.revoked'"),
        1
    );
    // Twice: the state does not allow it.
    let response = app
        .post_fields(&format!("/w/acme/settings/api-keys/{id}/revoke"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 409);
}

/// A person who moves in a time order between two pages (they sign in) neither repeats anyone
/// nor ends the walk: the link carries where its row stood.
#[actix_web::test]
async fn a_row_that_moves_between_two_pages_moves_nothing() {
    let app = owner_app().await;
    app.seed_members(6);
    let mut ids = vec![app.first_id("memberships")];
    while ids.len() < 7 {
        let last = ids.last().unwrap();
        ids.push(app.first_id(&format!("memberships WHERE id > {last}")));
    }
    let key = app.api_key("Reader", &["users.view"]).await;
    for order in ["-last_active", "last_active"] {
        // Distinct times, one a day.
        for (n, id) in ids.iter().enumerate() {
            app.execute(&format!(
                "UPDATE memberships SET last_active_at = '2026-02-0{} 10:00:00.5' WHERE id = {id}",
                n + 1
            ));
        }
        let (mut seen, mut next) = (
            Vec::new(),
            Some(format!("/api/v1/users?sort={order}&limit=3")),
        );
        while let Some(url) = next {
            let (status, page) = get(&app, &url, &key).await;
            assert_eq!(status, 200, "{url}: {page}");
            for user in page["data"].as_array().unwrap() {
                seen.push(user["id"].as_i64().unwrap());
            }
            // After the first page, its last person becomes the most recently active.
            if seen.len() == 3 {
                app.execute(&format!(
                    "UPDATE memberships SET last_active_at = '2026-03-01 00:00:00' WHERE id = {}",
                    seen[2]
                ));
            }
            next = page["links"]["next"].as_str().map(str::to_owned);
            assert!(seen.len() < 50, "the walk ends");
        }
        // Everyone is met; nobody but the one who moved (met again after moving past the
        // walk's place, in the ascending order) twice.
        let (_, all) = get(&app, "/api/v1/users?limit=200", &key).await;
        let mut listed: Vec<i64> = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect();
        listed.sort_unstable();
        let moved = seen[2];
        let others: Vec<i64> = seen.iter().copied().filter(|id| *id != moved).collect();
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique, listed, "{order}: everyone: {seen:?}");
        assert_eq!(
            others.len(),
            listed.len() - 1,
            "{order}: nobody else twice: {seen:?}"
        );
    }
}

#[actix_web::test]
async fn the_users_list_pages_filters_and_searches_like_the_page() {
    let app = owner_app().await;
    app.seed_members(120);
    let key = app.api_key("Reader", &["users.view", "groups.view"]).await;
    let (status, first) = get(&app, "/api/v1/users?limit=50", &key).await;
    assert_eq!(status, 200);
    assert_eq!(first["data"].as_array().unwrap().len(), 50);
    assert!(first["links"]["prev"].is_null());
    let next = first["links"]["next"].as_str().expect("a next page");
    let (_, second) = get(&app, next, &key).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 50);
    assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);
    let prev = second["links"]["prev"].as_str().expect("a previous page");
    let (_, back) = get(&app, prev, &key).await;
    assert_eq!(back["data"], first["data"]);
    // Filters, search and orders are the list's own.
    let (_, owners) = get(&app, "/api/v1/users?role=owner", &key).await;
    assert_eq!(owners["data"].as_array().unwrap().len(), 1);
    assert_eq!(owners["data"][0]["email"], OWNER_EMAIL);
    let (_, found) = get(&app, "/api/v1/users?q=lovelace", &key).await;
    assert!(
        found["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == OWNER_EMAIL)
    );
    // A filter value the workspace does not have is refused, not taken for no filter.
    for (bad, param) in [
        ("status=Active", "status"),
        ("role=admins", "role"),
        ("group=99999", "group"),
        ("inactive_days=9O", "inactive_days"),
        ("after=abc", "after"),
        ("before=-1", "before"),
        ("after=5&at=yesterday", "at"),
        // Nobody here has this id (a row revoked or purged between two pages): page 1 again
        // would repeat people.
        ("after=999999", "after"),
        ("sort=email&before=999999", "before"),
        ("sort=role", "sort"),
        ("sort=-bogus", "sort"),
    ] {
        let (status, body) = get(&app, &format!("/api/v1/users?{bad}"), &key).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["errors"][param].is_string(), "{bad}: {body}");
    }
    // An empty parameter is one not sent.
    for empty in ["status=", "role=", "group=", "sort=", "limit="] {
        let (status, body) = get(&app, &format!("/api/v1/users?{empty}"), &key).await;
        assert_eq!(status, 200, "{empty}: {body}");
    }
    for bad in ["0", "201", "ten"] {
        let (status, body) = get(&app, &format!("/api/v1/users?limit={bad}"), &key).await;
        assert_eq!(status, 422, "{bad}");
        assert!(body["errors"]["limit"].is_string());
    }
    let (status, user) = get(
        &app,
        &format!("/api/v1/users/{}", app.membership_of(OWNER_EMAIL)),
        &key,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(user["role_key"], "owner");
    assert_eq!(get(&app, "/api/v1/users/999999", &key).await.0, 404);
    assert_eq!(get(&app, "/api/v1/users/abc", &key).await.0, 404);
}

#[actix_web::test]
async fn scopes_are_enforced_named_and_the_audit_log_names_the_key() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = app.membership_of("grace.hopper@example.com");
    let reader = app.api_key("Reader", &["users.view"]).await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/users/{grace}/suspend"),
        &reader,
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["detail"].as_str().unwrap().contains("users.suspend"));
    assert_eq!(get(&app, "/api/v1/workspace", &reader).await.0, 200);

    let support = app
        .api_key("Okta sync", &["users.view", "users.suspend"])
        .await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/users/{grace}/suspend"),
        &support,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "suspended");
    let actor: Vec<String> = {
        use admin_console::db::schema::audit_events::dsl::*;
        use diesel::prelude::*;
        audit_events
            .filter(action.eq("member.suspended"))
            .select(actor_label)
            .load(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(actor.len(), 1);
    assert!(
        actor[0].starts_with("API key 'Okta sync' (ack_"),
        "named with its prefix: {actor:?}"
    );
    // A state that does not allow it: 409; a stronger role (an Owner): 403.
    let (status, _) = post(
        &app,
        &format!("/api/v1/users/{grace}/suspend"),
        &support,
        None,
    )
    .await;
    assert_eq!(status, 409);
    let ada = app.membership_of(OWNER_EMAIL);
    let (status, body) = post(
        &app,
        &format!("/api/v1/users/{ada}/suspend"),
        &support,
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(
        &app,
        &format!("/api/v1/users/{grace}/unsuspend"),
        &support,
        None,
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")));
}

/// A body the action cannot read is refused before anything changes; none at all is fine.
#[actix_web::test]
async fn a_body_that_cannot_be_read_changes_nothing() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = app.membership_of("grace.hopper@example.com");
    let key = app
        .api_key("Sync", &["users.view", "users.suspend", "users.remove"])
        .await;
    for (action, body, status) in [
        ("remove", serde_json::json!({"reassign_to": "13"}), 400),
        ("suspend", serde_json::json!({"reason": 123}), 400),
        ("suspend", serde_json::json!({"reasonn": "typo"}), 400),
    ] {
        let path = format!("/api/v1/users/{grace}/{action}");
        assert_eq!(
            post(&app, &path, &key, Some(body)).await.0,
            status,
            "{action}"
        );
    }
    let path = format!("/api/v1/users/{grace}/suspend");
    let text = reqwest::Client::new()
        .post(app.url(&path))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "text/plain")
        .body("because")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status().as_u16(), 415);
    assert_eq!(
        app.count(&format!(
            "memberships WHERE status = 'active' AND id = {grace}"
        )),
        1
    );
    assert_eq!(app.count("audit_events WHERE action LIKE 'member.%'"), 0);
    // A body too large for the API is 413, as for every JSON body.
    let large = serde_json::json!({ "reason": "x".repeat(1 << 20) });
    assert_eq!(post(&app, &path, &key, Some(large)).await.0, 413);
    // No body at all (none, `Content-Length: 00`, or an empty chunked stream): suspended, with no
    // reason; then unsuspended to try the next.
    assert_eq!(post(&app, &path, &key, None).await.0, 200);
    let unsuspend = format!("/api/v1/users/{grace}/unsuspend");
    assert_eq!(post(&app, &unsuspend, &key, None).await.0, 200);
    let request = |headers: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
             {headers}Connection: close\r\n\r\n{body}"
        )
    };
    assert_eq!(
        raw_status(app.port, request("Content-Length: 00\r\n", "")).await,
        200
    );
    assert_eq!(post(&app, &unsuspend, &key, None).await.0, 200);
    let chunked = request(
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
        "0\r\n\r\n",
    );
    assert_eq!(raw_status(app.port, chunked).await, 200);
}

/// Sends `request` as written (what the HTTP client would not send) and reads the status.
async fn raw_status(port: u16, request: String) -> u16 {
    actix_web::rt::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
    })
    .await
    .unwrap()
}

#[actix_web::test]
async fn patch_changes_names_time_zone_and_role_all_or_nothing() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = app.membership_of("grace.hopper@example.com");
    // Granting Auditor takes holding what an Auditor holds.
    let key = app
        .api_key(
            "HR sync",
            &[
                "users.view",
                "users.edit",
                "users.change_role",
                "users.export",
                "groups.view",
                "apps.view",
                "audit.view",
            ],
        )
        .await;
    let path = format!("/api/v1/users/{grace}");
    let (status, _, body) = api(
        &app,
        "PATCH",
        &path,
        &key,
        Some(json!({"first_name": "Grace", "timezone": "Mars/Olympus", "role": "auditor"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["timezone"].is_string(), "{body}");
    let (_, unchanged) = get(&app, &path, &key).await;
    assert_eq!(unchanged["role_key"], "member", "nothing half-written");
    let (status, _, body) = api(
        &app,
        "PATCH",
        &path,
        &key,
        Some(json!({"last_name": "Hopper", "timezone": "Europe/Paris", "role": "auditor"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["last_name"], "Hopper");
    assert_eq!(body["timezone"], "Europe/Paris");
    assert_eq!(body["role_key"], "auditor");
    let (status, _, body) = api(&app, "PATCH", &path, &key, Some(json!({"role": "captain"}))).await;
    assert_eq!(status, 422);
    assert!(body["errors"]["role"].is_string());
    // Only an Owner grants Owner: the key does not hold `owner`.
    let (status, _, _) = api(&app, "PATCH", &path, &key, Some(json!({"role": "owner"}))).await;
    assert_eq!(status, 403);
    let (status, _, body) = api(&app, "PATCH", &path, &key, Some(json!({"nick": "x"}))).await;
    assert_eq!(status, 400, "{body}");
    // Someone invited has no names yet: one name alone is refused, saying why.
    assert_eq!(app.invite("inv@example.com", "member").await.status(), 303);
    let invited = format!("/api/v1/users/{}", app.membership_of("inv@example.com"));
    let (status, _, body) = api(
        &app,
        "PATCH",
        &invited,
        &key,
        Some(json!({"first_name": "Inv"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]["last_name"]
            .as_str()
            .unwrap()
            .contains("no name yet"),
        "{body}"
    );
    assert!(body["errors"]["first_name"].is_null(), "{body}");
    // Nor can they be made Owner before they have a password: said beside `role`.
    let everything: Vec<&str> = Permission::ALL.iter().map(|p| p.key()).collect();
    let owners = app.api_key("Owners", &everything).await;
    let (status, _, body) = api(
        &app,
        "PATCH",
        &invited,
        &owners,
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["role"].is_string(), "{body}");
    // A change of nothing answers the member: a key that does not see them is told which scope.
    let blind = app.api_key("Editor", &["users.edit"]).await;
    let (status, _, body) = api(&app, "PATCH", &path, &blind, Some(json!({}))).await;
    assert_eq!(status, 403);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("lacks the scope “users.view”"),
        "{body}"
    );
}

#[actix_web::test]
async fn remove_hands_over_and_restore_brings_back() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = app.membership_of("grace.hopper@example.com");
    let ada = app.membership_of(OWNER_EMAIL);
    let key = app
        .api_key("Offboarding", &["users.view", "users.remove"])
        .await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/users/{grace}/remove"),
        &key,
        Some(json!({"reassign_to": grace})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["reassign_to"].is_string());
    let (status, body) = post(
        &app,
        &format!("/api/v1/users/{grace}/remove"),
        &key,
        Some(json!({"reassign_to": ada})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "removed");
    assert_eq!(body["reassigned_to"], OWNER_EMAIL);
    let (status, body) = post(&app, &format!("/api/v1/users/{grace}/restore"), &key, None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")));
}

#[actix_web::test]
async fn a_key_outlives_its_creators_block_or_demotion_and_the_list_says_so() {
    let app = owner_app().await;
    // A custom role holding api_keys.manage, given to Kim through the console.
    let kim = app
        .with_custom_role(
            "kim.keeper@example.com",
            "Key keeper",
            &["api_keys.manage", "users.view"],
        )
        .await;
    let kim_member = app.membership_of("kim.keeper@example.com");
    // Kim gives only what Kim holds.
    let response = kim
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "Kim's"), ("scope", "users.suspend")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let secret = kim.api_key("Kim's", &["users.view"]).await;
    let keys = "/w/acme/settings/api-keys";
    assert!(!app.get_text(keys).await.contains("Creator"));
    // Each change to Kim that means Kim could no longer make the key marks it for review.
    let kim_is = |action: &'static str, fields: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            let path = format!("/w/acme/users/{kim_member}/{action}");
            assert_eq!(app.post_fields(&path, fields).await.status().as_u16(), 303);
        }
    };
    kim_is("suspend", &[]).await;
    assert!(app.get_text(keys).await.contains("Creator suspended"));
    kim_is("unsuspend", &[]).await;
    kim_is("role", &[("role", "member")]).await;
    assert!(
        app.get_text(keys)
            .await
            .contains("Creator&#39;s role no longer holds its scopes")
    );
    let response = app
        .post_fields(&format!("/w/acme/users/{kim_member}/block"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(get(&app, "/api/v1/users", &secret).await.0, 200);
    let list = app.get_text("/w/acme/settings/api-keys").await;
    assert!(list.contains("Creator blocked"), "{list}");
}

/// A SCIM key acts as an Admin: a role holding `scim` but not all an Admin holds cannot make one
/// (nor is it offered), so no key does more than its creator may.
#[actix_web::test]
async fn a_scim_key_is_made_only_by_someone_holding_all_it_acts_with() {
    let app = owner_app().await;
    let ida = app
        .with_custom_role(
            "ida.identity@example.com",
            "Identity team",
            &["users.view", "api_keys.manage", "scim"],
        )
        .await;
    let page = ida.get_text("/w/acme/settings/api-keys").await;
    assert!(page.contains("value=\"users.view\""), "{page}");
    assert!(!page.contains("value=\"scim\""), "not offered");
    let keys = app.count("api_keys");
    let refused = ida
        .post_fields(
            "/w/acme/settings/api-keys",
            &[("name", "Okta"), ("scope", "scim")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("a SCIM key acts as an Admin")
    );
    assert_eq!(app.count("api_keys"), keys);
    // An Owner holds all of it.
    app.api_key("Okta", &["scim"]).await;
}

#[actix_web::test]
async fn each_key_has_a_rate_and_is_told_when_to_come_back() {
    let app = spawn_app_with(|s| s.api_rate_limit = 3).await;
    app.set_up().await;
    let key = app.api_key("Busy", &["users.view"]).await;
    for _ in 0..3 {
        assert_eq!(get(&app, "/api/v1/workspace", &key).await.0, 200);
    }
    let (status, headers, body) = api(&app, "GET", "/api/v1/workspace", &key, None).await;
    assert_eq!(status, 429, "{body}");
    let wait: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    app.settings.clock.advance(Duration::seconds(61));
    assert_eq!(get(&app, "/api/v1/workspace", &key).await.0, 200);
}

/// `admin-console api-key create --workspace <workspace> --name <name> --scopes <scopes>` on the
/// app's database.
fn api_key_cli(app: &TestApp, workspace: &str, name: &str, scopes: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_admin-console"))
        .args([
            "api-key",
            "create",
            "--workspace",
            workspace,
            "--name",
            name,
            "--scopes",
            scopes,
        ])
        .env("DATABASE_URL", &app.db.url)
        .env("DATA_DIR", app.db.dir.join("cli-data"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run admin-console")
}

#[actix_web::test]
async fn the_command_line_makes_a_key_that_works() {
    let app = owner_app().await;
    let out = api_key_cli(&app, "acme", "ci", "users.view,users.invite");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("ack_"));
    let (status, roles) = get(&app, "/api/v1/roles", &secret).await;
    assert_eq!(status, 200);
    assert_eq!(roles["data"][0]["key"], "owner");
    assert_eq!(
        app.count("audit_events WHERE action = 'api_key.created' AND actor_label = 'Command line'"),
        1
    );
    let bad = api_key_cli(&app, "acme", "x", "fly");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Unknown scope"));
    // An old URL name is said with the new one.
    let renamed = app
        .post_fields("/w/acme/settings/slug", &[("slug", "acme-hq")])
        .await;
    assert_eq!(renamed.status().as_u16(), 303);
    let old = api_key_cli(&app, "acme", "x", "users.view");
    assert!(!old.status.success());
    assert!(
        String::from_utf8_lossy(&old.stderr).contains("was renamed to /w/acme-hq"),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
}

#[actix_web::test]
async fn invitations_go_all_or_nothing_and_can_be_resent_and_revoked() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let key = app
        .api_key("Onboarding", &["users.view", "users.invite"])
        .await;
    // One address already a member, one not an address: nobody is invited.
    let (status, body) = post(
        &app,
        "/api/v1/invitations",
        &key,
        Some(json!({"emails": ["new.one@example.com", "grace.hopper@example.com", "nope"]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let refused = body["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{body}");
    assert_eq!(app.count("invitations"), 0);
    // A role the key may not grant (Admin holds more than the key).
    let (status, body) = post(
        &app,
        "/api/v1/invitations",
        &key,
        Some(json!({"emails": ["new.one@example.com"], "role": "admin"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["role"].is_string());
    let (status, body) = post(
        &app,
        "/api/v1/invitations",
        &key,
        Some(json!({"emails": ["new.one@example.com", "new.two@example.com"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][0]["role"], "Member");
    // No person invited them: the email does not say "API key 'Onboarding' invited you".
    let email = app.last_email("new.one@example.com", "You are invited to Acme HQ");
    assert!(
        email.contains("You are invited to join the workspace Acme HQ"),
        "{email}"
    );
    let id = body["data"][0]["id"].as_i64().unwrap();
    let (status, list) = get(&app, "/api/v1/invitations?limit=1", &key).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let next = list["links"]["next"].as_str().unwrap().to_owned();
    let (_, rest) = get(&app, &next, &key).await;
    assert_eq!(rest["data"][0]["email"], "new.two@example.com");
    // A cursor that is not one: 422 naming it, as on the users list.
    let (status, problem) = get(&app, "/api/v1/invitations?after=abc", &key).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["after"].is_string(), "{problem}");
    // Resending within a minute of the last email: not yet.
    let (status, _) = post(
        &app,
        &format!("/api/v1/invitations/{id}/resend"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 409);
    app.settings.clock.advance(Duration::minutes(2));
    let (status, body) = post(
        &app,
        &format!("/api/v1/invitations/{id}/resend"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = api(
        &app,
        "DELETE",
        &format!("/api/v1/invitations/{id}"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _, _) = api(
        &app,
        "DELETE",
        &format!("/api/v1/invitations/{id}"),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.count("audit_events WHERE action = 'member.invited' AND actor_label LIKE 'API key ''Onboarding'' (ack_%)'"),
        2
    );
}

#[actix_web::test]
async fn groups_are_made_renamed_filled_and_deleted() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = app.membership_of("grace.hopper@example.com");
    let key = app
        .api_key("Groups", &["users.view", "groups.view", "groups.manage"])
        .await;
    let (status, group) = post(
        &app,
        "/api/v1/groups",
        &key,
        Some(json!({"name": "Engineering", "description": "Builders"})),
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let id = group["id"].as_i64().unwrap();
    let (status, body) = post(
        &app,
        "/api/v1/groups",
        &key,
        Some(json!({"name": "engineering"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["name"].is_string());
    let (status, body) = post(&app, "/api/v1/groups", &key, Some(json!({"name": " "}))).await;
    assert_eq!((status, body["errors"]["name"].is_string()), (422, true));
    let (status, _, body) = api(
        &app,
        "PATCH",
        &format!("/api/v1/groups/{id}"),
        &key,
        Some(json!({"name": "Platform"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["name"].as_str(), body["description"].as_str()),
        (Some("Platform"), Some("Builders"))
    );
    let member = format!("/api/v1/groups/{id}/members/{grace}");
    assert_eq!(api(&app, "PUT", &member, &key, None).await.0, 204);
    assert_eq!(
        api(&app, "PUT", &member, &key, None).await.0,
        204,
        "already in"
    );
    let (_, body) = get(&app, &format!("/api/v1/groups/{id}"), &key).await;
    assert_eq!(body["member_count"], 1);
    let (_, listed) = get(&app, &format!("/api/v1/users?group={id}"), &key).await;
    assert_eq!(listed["data"][0]["email"], "grace.hopper@example.com");
    // Who is in a group is for a key that sees groups (the console's list drops the filter).
    let people_only = app.api_key("people only", &["users.view"]).await;
    for group in [id.to_string(), "999999".to_owned()] {
        let (status, body) = get(&app, &format!("/api/v1/users?group={group}"), &people_only).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("groups.view"));
    }
    // Two changes of different fields at once: both stay, each event records its own field.
    for round in 0..6 {
        let change = |field: &str| {
            let body = json!({ field: format!("{field} {round}") }).to_string();
            let path = app.url(&format!("/api/v1/groups/{id}"));
            let key = key.clone();
            move || {
                reqwest::Client::new()
                    .patch(&path)
                    .header("authorization", format!("Bearer {key}"))
                    .header("content-type", "application/json")
                    .body(body.clone())
            }
        };
        let (name, description) = (change("name"), change("description"));
        let statuses = join_all(
            [name().send(), description().send()]
                .map(|sent| async move { sent.await.unwrap().status().as_u16() }),
        )
        .await;
        assert_eq!(statuses, [200, 200]);
        let (_, body) = get(&app, &format!("/api/v1/groups/{id}"), &key).await;
        assert_eq!(
            (body["name"].as_str(), body["description"].as_str()),
            (
                Some(format!("name {round}").as_str()),
                Some(format!("description {round}").as_str())
            ),
            "round {round}"
        );
    }
    let (_, _, body) = api(
        &app,
        "PATCH",
        &format!("/api/v1/groups/{id}"),
        &key,
        Some(json!({"name": "Platform", "description": "Builders"})),
    )
    .await;
    assert_eq!(body["name"], "Platform");
    assert_eq!(
        api(
            &app,
            "PUT",
            &format!("/api/v1/groups/{id}/members/999999"),
            &key,
            None
        )
        .await
        .0,
        404
    );
    // Adding probes who is a member (204 or 404): a key that does not see people may not.
    let blind = app.api_key("groups only", &["groups.manage"]).await;
    assert_eq!(api(&app, "PUT", &member, &blind, None).await.0, 403);
    // Taking out says whether they were in it, and a change answers with the group: neither
    // reads for a key that sees neither.
    assert_eq!(api(&app, "DELETE", &member, &blind, None).await.0, 403);
    let group = format!("/api/v1/groups/{id}");
    let (status, _, body) = api(&app, "PATCH", &group, &blind, Some(json!({}))).await;
    assert_eq!(status, 403);
    assert!(
        body["detail"].as_str().unwrap().contains("groups.view"),
        "{body}"
    );
    assert_eq!(api(&app, "DELETE", &member, &key, None).await.0, 204);
    assert_eq!(api(&app, "DELETE", &member, &key, None).await.0, 404);
    let (_, all) = get(&app, "/api/v1/groups?q=plat", &key).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        api(&app, "DELETE", &format!("/api/v1/groups/{id}"), &key, None)
            .await
            .0,
        204
    );
    assert_eq!(
        get(&app, &format!("/api/v1/groups/{id}"), &key).await.0,
        404
    );
    // Reading is not managing.
    let reader = app.api_key("Reader", &["groups.view"]).await;
    let (status, body) = post(&app, "/api/v1/groups", &reader, Some(json!({"name": "X"}))).await;
    assert_eq!(status, 403);
    assert!(body["detail"].as_str().unwrap().contains("groups.manage"));
}

#[actix_web::test]
async fn the_audit_log_reads_in_pages_with_the_pages_filters() {
    let app = owner_app().await;
    let key = app.api_key("SIEM", &["audit.view", "groups.manage"]).await;
    for name in ["One", "Two", "Three"] {
        let (status, _) = post(&app, "/api/v1/groups", &key, Some(json!({"name": name}))).await;
        assert_eq!(status, 201);
    }
    let (status, page) = get(
        &app,
        "/api/v1/audit-events?action=group.created&limit=2",
        &key,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let events = page["data"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["target"], "Three", "newest first");
    assert!(
        events[0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("API key 'SIEM' (ack_")
    );
    assert_eq!(events[0]["ip"], "127.0.0.1");
    let next = page["links"]["next"].as_str().unwrap().to_owned();
    let (_, rest) = get(&app, &next, &key).await;
    assert_eq!(rest["data"][0]["target"], "One");
    assert!(rest["links"]["next"].is_null());
    for bad in [
        "action=group.made",
        "from=2026-02-30",
        "from=-4713-01-01",
        "from=2026-03-02&to=2026-03-01",
    ] {
        let (status, body) = get(&app, &format!("/api/v1/audit-events?{bad}"), &key).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) = get(&app, "/api/v1/audit-events?before=x", &key).await;
    assert_eq!(status, 422, "{body}");
    let reader = app.api_key("No audit", &["users.view"]).await;
    assert_eq!(get(&app, "/api/v1/audit-events", &reader).await.0, 403);
}

/// A POST with an Idempotency-Key: what the request answered.
async fn post_once(
    app: &TestApp,
    path: &str,
    key: &str,
    idempotency_key: &str,
    body: Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    api_with(
        app,
        "POST",
        path,
        key,
        Some(body),
        &[("idempotency-key", idempotency_key)],
    )
    .await
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_answer_and_does_nothing_twice() {
    let app = owner_app().await;
    let key = app
        .api_key("Retries", &["groups.view", "groups.manage"])
        .await;
    let groups = |app: &TestApp| app.count("groups");
    let before = groups(&app);
    let body = json!({"name": "Retried"});
    let (status, headers, first) =
        post_once(&app, "/api/v1/groups", &key, "k-1", body.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert!(headers.get("idempotent-replayed").is_none());
    let (status, headers, again) =
        post_once(&app, "/api/v1/groups", &key, "k-1", body.clone()).await;
    assert_eq!((status, &again), (201, &first), "the first answer, again");
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(groups(&app), before + 1, "made once");
    assert_eq!(app.count("audit_events WHERE action = 'group.created'"), 1);

    // The same Idempotency-Key on another request is refused; a new key is a new request.
    let (status, _, problem) = post_once(
        &app,
        "/api/v1/groups",
        &key,
        "k-1",
        json!({"name": "Other"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("different request")
    );
    let (status, _, refused) = post_once(&app, "/api/v1/groups", &key, "k-2", body.clone()).await;
    assert_eq!(status, 422, "a refusal is an answer too: {refused}");
    let (status, headers, _) = post_once(&app, "/api/v1/groups", &key, "k-2", body.clone()).await;
    assert_eq!(
        (status, &headers["idempotent-replayed"]),
        (422, &"true".parse().unwrap())
    );

    // Keys are per API key: another key's "k-1" is its own.
    let other = app
        .api_key("Other", &["groups.view", "groups.manage"])
        .await;
    let (status, _, _) = post_once(
        &app,
        "/api/v1/groups",
        &other,
        "k-1",
        json!({"name": "Theirs"}),
    )
    .await;
    assert_eq!(status, 201);

    // A bad key is told so and claims nothing; a bad Idempotency-Key is a 400.
    let (status, _, _) = post_once(
        &app,
        "/api/v1/groups",
        "ack_nope0000000000",
        "k-9",
        body.clone(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, problem) =
        post_once(&app, "/api/v1/groups", &key, "with space", body.clone()).await;
    assert_eq!(status, 400, "{problem}");
    // Who asks comes first: a bad key with a bad Idempotency-Key is a 401.
    let (status, headers, _) = post_once(
        &app,
        "/api/v1/groups",
        "ack_nope0000000000",
        "with space",
        body.clone(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));

    // After 24 hours the key is forgotten: the same request runs again (and is refused as a
    // duplicate name now).
    app.settings.clock.advance(Duration::hours(24));
    let (status, headers, _) = post_once(&app, "/api/v1/groups", &key, "k-1", body).await;
    assert_eq!(status, 422);
    assert!(headers.get("idempotent-replayed").is_none());
}

#[actix_web::test]
async fn the_openapi_document_and_its_reference_page_are_served_without_a_key() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let doc: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let remove = &doc["paths"]["/api/v1/users/{id}/remove"]["post"];
    assert_eq!(
        remove["security"][0]["api_key"],
        json!(["users.view", "users.remove"])
    );
    assert!(remove["responses"]["409"].is_object());
    let page = reqwest::get(app.url("/api/v1/docs")).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/v1/users/{id}/remove") && html.contains("Idempotency-Key"));
    // Scopes needed together read as such.
    assert!(html.contains("groups.manage and users.view"), "{html}");
    assert!(!html.contains("groups.manage or users.view"));
}

#[actix_web::test]
async fn another_workspaces_ids_are_404_whatever_the_action() {
    let app = owner_app().await;
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let invited = app
        .post_fields(
            "/w/labs/invitations",
            &[("emails", "lin.labs@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(invited.status().as_u16(), 303);
    let grouped = app
        .post_fields("/w/labs/groups", &[("name", "Labs crew")])
        .await;
    assert!(grouped.status().is_redirection(), "{}", grouped.status());
    let labs_member = app.membership_of("lin.labs@example.com");
    let labs_invitation = app.first_id("invitations");
    let labs_group = app.first_id("groups WHERE name = 'Labs crew'");

    let key = app
        .api_key(
            "Acme only",
            &[
                "users.view",
                "users.invite",
                "users.edit",
                "users.suspend",
                "users.remove",
                "groups.view",
                "groups.manage",
            ],
        )
        .await;
    let (_, acme_group) = post(
        &app,
        "/api/v1/groups",
        &key,
        Some(json!({"name": "Acme crew"})),
    )
    .await;
    let acme_group = acme_group["id"].as_i64().unwrap();
    let user = format!("/api/v1/users/{labs_member}");
    let group = format!("/api/v1/groups/{labs_group}");
    for (method, path, body) in [
        ("GET", user.clone(), None),
        ("PATCH", user.clone(), Some(json!({"first_name": "X"}))),
        ("POST", format!("{user}/suspend"), None),
        ("POST", format!("{user}/remove"), None),
        ("GET", group.clone(), None),
        ("PATCH", group.clone(), Some(json!({"name": "Taken over"}))),
        ("DELETE", group.clone(), None),
        (
            "PUT",
            format!("/api/v1/groups/{acme_group}/members/{labs_member}"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/invitations/{labs_invitation}/resend"),
            None,
        ),
        (
            "DELETE",
            format!("/api/v1/invitations/{labs_invitation}"),
            None,
        ),
    ] {
        let (status, headers, body) = api(&app, method, &path, &key, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    let (_, listed) = get(&app, "/api/v1/users?status=invited", &key).await;
    assert!(!listed.to_string().contains("lin.labs@example.com"));
    // Nothing in /w/labs changed.
    assert_eq!(app.count("groups WHERE name = 'Labs crew'"), 1);
    assert_eq!(
        app.count(&format!(
            "invitations WHERE id = {labs_invitation} AND sent_count = 1"
        )),
        1,
        "neither revoked nor sent again"
    );
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {labs_member} AND status = 'invited'"
        )),
        1
    );
}

#[actix_web::test]
async fn a_known_address_asked_with_another_method_says_which_it_answers() {
    let app = owner_app().await;
    let key = app.api_key("Methods", &["users.view"]).await;
    let (status, headers, body) = api(&app, "DELETE", "/api/v1/users", &key, None).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(headers["allow"], "GET, HEAD");
    assert_eq!(headers["content-type"], "application/problem+json");
    // Sent again with an Idempotency-Key, it says so each time (not a kept answer without it).
    for _ in 0..2 {
        let (status, headers, body) =
            post_once(&app, "/api/v1/users", &key, "method-twice", json!({})).await;
        assert_eq!(status, 405, "{body}");
        assert_eq!(headers["allow"], "GET, HEAD");
        assert!(headers.get("idempotent-replayed").is_none());
    }
    let (status, _, _) = api(&app, "GET", "/api/v1/nowhere", &key, None).await;
    assert_eq!(status, 404);
    // An empty segment names nobody: not there, rather than "answers GET" to a GET.
    for (method, path) in [
        ("GET", "/api/v1/users/"),
        ("POST", "/api/v1/users//suspend"),
    ] {
        let (status, headers, body) = api(&app, method, path, &key, None).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(headers.get("allow").is_none());
    }
    // HEAD is answered as GET, without the body.
    let (status, headers, body) = api(&app, "HEAD", "/api/v1/users", &key, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, Value::String(String::new()));
}

/// Without JavaScript, reloading the page that shows a new key's secret sends its form again: the
/// form's mark makes no second key, and says why.
#[actix_web::test]
async fn sending_the_key_form_twice_makes_one_key() {
    let app = owner_app().await;
    // The key form as the page gives it, with its mark, for a key named `name`.
    let key_form = |name: &'static str| {
        let app = &app;
        async move {
            let page = app.get_text("/w/acme/settings/api-keys").await;
            let start = page.find("name=\"once\" value=\"").expect("a mark") + 19;
            let once = page[start..].split('"').next().unwrap().to_owned();
            [
                ("csrf_token", csrf_in(&page)),
                ("name", name.to_owned()),
                ("scope", "users.view".to_owned()),
                ("once", once),
            ]
        }
    };
    let form = key_form("ci").await;
    let first = app.post_form("/w/acme/settings/api-keys", &form).await;
    assert_eq!(first.status().as_u16(), 201);
    let again = app.post_form("/w/acme/settings/api-keys", &form).await;
    assert_eq!(again.status().as_u16(), 409);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("This form was sent already")
    );
    assert_eq!(app.count("api_keys"), 1);

    // A double click: one form sent several times at once makes one key.
    let body = serde_html_form::to_string(key_form("twice").await).unwrap();
    let url = app.url("/w/acme/settings/api-keys");
    let statuses = sent_at_once(6, || {
        app.client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
    })
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.count("api_keys WHERE name = 'twice'"), 1);
}

/// The statuses of `n` copies of one request, all sent at once.
async fn sent_at_once(n: usize, request: impl Fn() -> reqwest::RequestBuilder) -> Vec<u16> {
    join_all((0..n).map(|_| {
        let sent = request().send();
        async move { sent.await.unwrap().status().as_u16() }
    }))
    .await
}

/// One Idempotency-Key sent many times at once runs its request once: the others wait (409) or
/// replay it, and the answer kept is the first one.
#[actix_web::test]
async fn one_idempotency_key_sent_many_times_at_once_runs_once() {
    let app = owner_app().await;
    let key = app.api_key("Retries", &["users.invite"]).await;
    for round in 0..4 {
        let email = format!("storm{round}@example.com");
        let idem = format!("storm-{round}");
        let body = json!({ "emails": [email], "role": "member" }).to_string();
        let url = app.url("/api/v1/invitations");
        // Each from a client of its own: its own connection.
        let statuses = sent_at_once(12, || {
            reqwest::Client::new()
                .post(&url)
                .header("authorization", format!("Bearer {key}"))
                .header("idempotency-key", &idem)
                .header("content-type", "application/json")
                .body(body.clone())
        })
        .await;
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 409),
            "a second run answers 422 (already invited): {statuses:?}"
        );
        let (status, headers, _) = post_once(
            &app,
            "/api/v1/invitations",
            &key,
            &idem,
            serde_json::from_str(&body).unwrap(),
        )
        .await;
        assert_eq!(status, 201, "the first answer, kept");
        assert_eq!(headers["idempotent-replayed"], "true");
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = 'member.invited' AND target_label = '{email}'"
            )),
            1
        );
    }
}

/// Every operation of the OpenAPI document, sent with a key holding exactly the scopes one of its
/// security requirements lists, is not refused for a scope: the document names all a key needs.
#[actix_web::test]
async fn every_operation_takes_the_scopes_its_document_lists() {
    let app = owner_app().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let member = app.membership_of("grace.hopper@example.com").to_string();
    let owner_key = app
        .api_key(
            "Owner's",
            &["users.view", "users.invite", "groups.view", "groups.manage"],
        )
        .await;
    let (_, group) = post(
        &app,
        "/api/v1/groups",
        &owner_key,
        Some(json!({"name": "Ops"})),
    )
    .await;
    let group = group["id"].to_string();
    let (status, _) = post(
        &app,
        "/api/v1/invitations",
        &owner_key,
        Some(json!({"emails": ["new@example.com"], "role": "member"})),
    )
    .await;
    assert_eq!(status, 201);
    let invitation = app.first_id("invitations").to_string();
    let doc: Value = serde_json::from_str(&app.get_text("/api/v1/openapi.json").await).unwrap();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for requirement in operation["security"].as_array().into_iter().flatten() {
                let scopes: Vec<&str> = requirement["api_key"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                if scopes.is_empty() {
                    continue;
                }
                let id = if path.contains("/groups/") {
                    &group
                } else if path.contains("/invitations/") {
                    &invitation
                } else {
                    &member
                };
                let address = path.replace("{id}", id).replace("{user_id}", &member);
                let key = app.api_key(&format!("{method} {path}"), &scopes).await;
                let (status, _, body) = api(
                    &app,
                    &method.to_uppercase(),
                    &address,
                    &key,
                    Some(json!({})),
                )
                .await;
                let refused_for_scope = status == 403
                    && body["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("lacks the scope"));
                assert!(
                    !refused_for_scope,
                    "{method} {path} with {scopes:?}: {body}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "{checked}");
}
