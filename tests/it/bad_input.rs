//! A bad-input corpus (NUL, C0/C1 controls, a lone surrogate's bytes, 100 KB, RTL overrides, emoji)
//! sent to every route of the product's route table, signed in as the organization's owner: as
//! every query parameter the pages read and every field the forms post, one at a time. No answer
//! may be 500 or above. Then: a search made only of control characters is an empty search, and a
//! form field holding one is refused beside the field.

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use admin_console::web::routes;

use crate::common::{self, Backend, TestApp, spawn_app};

/// Each already form-encoded, so the lone surrogate's bytes (not valid UTF-8) go as they are.
/// On PostgreSQL only what the databases take differently: NUL (PostgreSQL's text refuses it),
/// non-UTF-8 bytes, the pattern characters of `LIKE`/`ILIKE` and 100 KB (an index entry holds at
/// most ~2.7 KB there). The rest is refused or taken before any query, alike on both.
fn corpus() -> Vec<(&'static str, String)> {
    let encode = |s: &str| serde_html_form::to_string([("v", s)]).unwrap()[2..].to_owned();
    let corpus = vec![
        ("NUL", encode("ada\0")),
        ("only NUL", encode("\0")),
        ("lone surrogate bytes", "ab%ED%A0%80cd".to_owned()),
        ("quotes", encode("\"'%_\\*")),
        ("100 KB", encode(&"x".repeat(100 * 1024))),
        ("C0 controls", encode("a\u{1}b\u{7}\u{1b}[31m\u{8}c")),
        ("C1 controls", encode("a\u{85}b\u{9b}c")),
        ("DEL", encode("x\u{7f}y")),
        ("RTL override", encode("\u{202e}nimda\u{202c}")),
        ("emoji", encode("👩‍💻🏳️‍🌈")),
        ("a path beyond ASCII", encode("/é/👩‍💻")),
    ];
    match common::backend() {
        Backend::Sqlite => corpus,
        Backend::Postgres => corpus.into_iter().take(5).collect(),
    }
}

/// Query parameters the console's pages read.
const PARAMS: &[&str] = &[
    "q", "status", "role", "group", "sort", "dir", "before", "after", "actor", "target", "action",
    "from", "to", "kind", "level", "next", "format", "required", "at",
];

/// Fields the console's forms post.
const FIELDS: &[&str] = &[
    "email",
    "password",
    "first_name",
    "last_name",
    "name",
    "slug",
    "description",
    "kind",
    "owner_email",
    "restricted",
    "group_id",
    "app_id",
    "membership_id",
    "level",
    "role",
    "emails",
    "from",
    "q",
    "reassign_to",
    "next",
    "current_password",
    "new_password",
    "timezone",
    "plan",
    "seat_limit",
    "confirm",
    "org_role",
    "permissions",
    "permission",
    "code",
    "organization_name",
    "workspace_name",
    "workspace_slug",
    "setup_code",
    "slack_user_id",
    "select_all",
];

struct Ids {
    member: i64,
    account: i64,
    group: i64,
    app: i64,
    role: i64,
    invitation: i64,
    token: String,
}

async fn world(ada: &TestApp) -> Ids {
    ada.set_up().await;
    let account = ada
        .add_member(
            "grace.hopper@example.com",
            BuiltInRole::Member,
            MembershipStatus::Active,
        )
        .0;
    let member = ada.membership_of("grace.hopper@example.com");
    for (path, fields) in [
        (
            "/w/acme/groups",
            vec![("name", "Ops"), ("description", "On call")],
        ),
        ("/w/acme/apps", vec![("kind", "app"), ("name", "Wiki")]),
        (
            "/w/acme/roles",
            vec![("name", "Support"), ("permission", "users.view")],
        ),
    ] {
        let response = ada.post_fields(path, &fields).await;
        assert_eq!(response.status().as_u16(), 303, "{path}");
    }
    assert_eq!(
        ada.invite("newbie@example.com", "member").await.status(),
        303
    );
    Ids {
        member,
        account,
        group: ada.first_id("groups"),
        app: ada.first_id("apps"),
        role: ada.first_id("roles WHERE workspace_id IS NOT NULL"),
        invitation: ada.first_id("invitations"),
        token: ada.token_for("newbie@example.com"),
    }
}

fn concrete(pattern: &str, ids: &Ids) -> String {
    let id = if pattern.contains("/users/") {
        ids.member
    } else if pattern.contains("/groups/") {
        ids.group
    } else if pattern.contains("/apps/") {
        ids.app
    } else if pattern.contains("/roles/") {
        ids.role
    } else if pattern.contains("/invitations/") {
        ids.invitation
    } else {
        ids.account
    };
    pattern
        .replace("{slug}", "acme")
        .replace("{id}", &id.to_string())
        .replace("{tab}", "access")
        .replace("{token}", &ids.token)
        .replace("{member}", &ids.member.to_string())
        .replace("{path:.*}", "htmx.min.js")
        .replace("{key}", "x")
        .replace("{session}", "1")
        .replace("{grant}", "1")
}

/// Routes that would end the test's own session or the world it asks.
fn skipped(method: &str, pattern: &str) -> bool {
    method == "post" && matches!(pattern, "/logout" | "/w/{slug}/settings/delete")
}

#[actix_web::test]
async fn no_bad_input_reaches_a_500() {
    let ada = spawn_app().await;
    let ids = world(&ada).await;
    let corpus = corpus();
    let csrf = ada.csrf_token("/me").await;
    let mut failures = Vec::new();
    let mut asked = 0;
    for &(method, pattern) in routes::ALL {
        if skipped(method, pattern) {
            continue;
        }
        let path = concrete(pattern, &ids);
        let names = if method == "get" { PARAMS } else { FIELDS };
        for name in names {
            for (label, value) in &corpus {
                let request = if method == "get" {
                    // A URL holds at most 64 KB (the client refuses longer ones): 8 KB of it.
                    let value = &value[..value.len().min(8 * 1024)];
                    ada.client.get(ada.url(&format!("{path}?{name}={value}")))
                } else {
                    ada.client
                        .post(ada.url(&path))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(format!("csrf_token={csrf}&{name}={value}"))
                };
                let status = request.send().await.expect("request").status().as_u16();
                asked += 1;
                if status >= 500 {
                    failures.push(format!("{method} {path} {name}={label}: {status}"));
                }
            }
        }
    }
    assert!(asked > 5_000 * corpus.len() / 11, "only {asked} requests");
    assert!(
        failures.is_empty(),
        "{} of {asked} answers were 5xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A workspace's URL name holding a NUL or another control character names no workspace.
#[actix_web::test]
async fn a_control_character_in_a_workspace_address_names_no_workspace() {
    let ada = spawn_app().await;
    ada.set_up().await;
    for path in [
        "/w/a%00b/users",
        "/w/acme%00/settings/slack",
        "/w/%1b/audit",
    ] {
        assert_eq!(ada.get(path).await.status(), 404, "{path}");
    }
}

#[actix_web::test]
async fn a_search_of_control_characters_is_an_empty_search() {
    let ada = spawn_app().await;
    ada.set_up().await;
    ada.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let everyone = ada.get("/w/acme/users?q=%00%01%C2%9B").await;
    assert_eq!(everyone.status().as_u16(), 200);
    let page = everyone.text().await.unwrap();
    assert!(page.contains("grace.hopper@example.com") && page.contains("ada@example.com"));
    // Around a word, the controls are dropped and the word is searched.
    let page = ada.get_text("/w/acme/users?q=gr%00ace").await;
    assert!(page.contains("grace.hopper@example.com"));
    assert!(!page.contains("ada@example.com</"));
    let page = ada.get_text("/org/accounts?q=%00").await;
    assert!(page.contains("grace.hopper@example.com"));
}

#[actix_web::test]
async fn a_field_holding_a_control_character_is_refused_beside_it_as_typed() {
    let ada = spawn_app().await;
    ada.set_up().await;
    let groups = ada.count("groups");
    let refused = ada
        .post_fields(
            "/w/acme/groups",
            &[("name", "Ops\0team"), ("description", "")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Remove the control characters"), "{page}");
    assert!(page.contains("value=\"Ops"), "the name is kept as typed");
    assert_eq!(ada.count("groups"), groups);

    let refused = ada
        .post_fields(
            "/me/password",
            &[
                ("current_password", crate::common::OWNER_PASSWORD),
                ("new_password", "a long enough\u{1b} password"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Remove the control characters")
    );
}

/// A malformed id or query gets the console's own page, not the framework's plain text.
#[actix_web::test]
async fn a_malformed_id_or_query_gets_a_page() {
    let ada = spawn_app().await;
    ada.set_up().await;
    for (path, status, title) in [
        ("/w/acme/groups/abc", 404, "Page not found"),
        ("/w/acme/apps/abc/permissions", 404, "Page not found"),
        ("/w/acme/roles/abc", 404, "Page not found"),
        (
            "/w/acme/groups/999?after=abc",
            400,
            "Address not understood",
        ),
    ] {
        let response = ada.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(title) && page.contains("<html"),
            "{path}: {page}"
        );
    }
}

/// A form the console cannot read (a hand-made request: a number field holding letters, a field
/// sent twice) gets the console's own page too, and changes nothing.
#[actix_web::test]
async fn a_malformed_form_gets_a_page() {
    let ada = spawn_app().await;
    ada.set_up().await;
    let made = ada
        .post_fields("/w/acme/groups", &[("name", "Ops"), ("description", "")])
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let (members, groups) = (ada.count("group_members"), ada.count("groups"));
    for (path, fields) in [
        ("/w/acme/groups/1/members", &[("membership_id", "abc")][..]),
        ("/w/acme/groups", &[("name", "Dev"), ("name", "Sales")][..]),
    ] {
        let response = ada.post_fields(path, fields).await;
        assert_eq!(response.status().as_u16(), 400, "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Form not understood") && page.contains("<html"),
            "{path}: {page}"
        );
    }
    assert_eq!(ada.count("group_members"), members);
    assert_eq!(ada.count("groups"), groups);
}

/// A refused or missing page keeps the console's frame for someone signed in (their header,
/// workspaces and Sign out), and is the bare public page for a visitor.
#[actix_web::test]
async fn an_error_page_keeps_the_frame_for_someone_signed_in() {
    let ada = spawn_app().await;
    ada.set_up().await;
    let member = ada
        .with_custom_role("sam.support@example.com", "Support", &["users.view"])
        .await;
    // Inside a workspace they may open, its side navigation too (a path no route has included).
    for (who, path, status, title, workspace_frame) in [
        (&ada, "/w/acme/nothing-here", 404, "Page not found", true),
        (&ada, "/w/acme/users/1/x/y", 404, "Page not found", true),
        (&ada, "/w/nowhere/users", 404, "Page not found", false),
        (&member, "/w/acme/groups", 403, "Not allowed", true),
        (&member, "/org/accounts", 403, "Not allowed", false),
    ] {
        let response = who.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(title)
                && page.contains(">Sign out</button>")
                && page.contains("class=\"account-name\" href=\"/me\""),
            "{path}: {page}"
        );
        assert_eq!(
            page.contains("<nav class=\"sidenav\" aria-label=\"Acme HQ\""),
            workspace_frame,
            "{path}: {page}"
        );
    }
    let visitor = ada.new_client().get("/w/acme/nothing-here").await;
    assert_eq!(visitor.status().as_u16(), 404);
    let page = visitor.text().await.unwrap();
    assert!(
        page.contains("Page not found") && !page.contains("Sign out"),
        "{page}"
    );
}

/// The address of a form that was refused (the page shows at the form's address) leads, reloaded
/// or bookmarked, to the page the form is on rather than to "Page not found".
#[actix_web::test]
async fn a_forms_address_opened_again_leads_to_its_page() {
    let ada = spawn_app().await;
    ada.set_up().await;
    let me = ada.first_id("memberships");
    for (path, page) in [
        ("/me/profile", "/me".to_owned()),
        ("/me/password", "/me".to_owned()),
        (
            &format!("/w/acme/users/{me}/profile")[..],
            format!("/w/acme/users/{me}"),
        ),
        ("/w/acme/invitations", "/w/acme".to_owned()),
        ("/w/acme/users/bulk", "/w/acme/users".to_owned()),
        ("/org/name", "/org/workspaces".to_owned()),
        ("/logout", "/".to_owned()),
    ] {
        let response = ada.get(path).await;
        assert_eq!(response.status().as_u16(), 303, "{path}");
        assert_eq!(crate::common::location(&response), page, "{path}");
    }
    // An address that is nothing stays "Page not found".
    assert_eq!(ada.get("/me/nothing").await.status().as_u16(), 404);
}
