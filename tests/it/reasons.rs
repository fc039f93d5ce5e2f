//! HTTP tests of the reason given with a suspension, block or removal (issue 18 §4) on each
//! backend: optional, at most 500 characters (a longer one comes back beside its field and
//! changes nothing), kept with the audit event, shown on the member's console, searchable in the
//! audit log and given through the API too.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use serde_json::Value;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";

async fn app_with_people() -> TestApp {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    app
}

fn reason_of(app: &TestApp, action: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        reason: String,
    }
    diesel::sql_query(format!(
        "SELECT reason FROM audit_events WHERE action = '{action}' ORDER BY id DESC LIMIT 1"
    ))
    .get_result::<Row>(&mut *app.conn())
    .expect("an event with a reason")
    .reason
}

#[actix_web::test]
async fn a_suspension_keeps_its_reason_and_the_console_and_the_log_show_it() {
    let app = app_with_people().await;
    let grace = app.membership_of(GRACE);
    let path = format!("/w/acme/users/{grace}/suspend");

    // The dialog asks for it, optionally.
    let dialog = app.get_text(&path).await;
    assert!(dialog.contains("name=\"reason\"") && dialog.contains("Reason (optional)"));

    // Too long: the dialog again, the text kept, the error beside the field, nothing changed.
    let long = "x".repeat(501);
    let refused = app.post_fields(&path, &[("reason", &long)]).await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Use 500 characters at most.") && page.contains(&long));
    assert!(page.contains("id=\"reason-error\""));
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {grace} AND status = 'active'"
        )),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'member.suspended'"),
        0
    );

    let done = app
        .post_fields(&path, &[("reason", "  Left the company <for now>  ")])
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(
        reason_of(&app, "member.suspended"),
        "Left the company <for now>"
    );
    let console = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        console.contains("Suspended by Ada Lovelace (ada@example.com) on ")
            && console.contains(": Left the company &#60;for now&#62;")
            && !console.contains("<for now>"),
        "the console says who, when and why, escaped: {console}"
    );

    // Without a reason, nothing is said after the date; the newest event is the one shown.
    app.post_fields(&format!("/w/acme/users/{grace}/unsuspend"), &[])
        .await;
    app.post_fields(&path, &[("reason", "")]).await;
    let console = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        console.contains("Suspended by Ada Lovelace (ada@example.com) on ")
            && !console.contains("Left the company")
    );

    // The audit log finds events by their reason, case-insensitively.
    let log = app.get_text("/w/acme/audit?reason=LEFT%20THE").await;
    assert!(log.contains("member.suspended") || log.contains("Suspended"));
    assert!(log.contains("grace.hopper@example.com"));
    let none = app.get_text("/w/acme/audit?reason=reorganisation").await;
    assert!(!none.contains("grace.hopper@example.com"), "{none}");
}

#[actix_web::test]
async fn a_removal_and_a_block_keep_theirs() {
    let app = app_with_people().await;
    let (grace, alan) = (app.membership_of(GRACE), app.membership_of(ALAN));

    // Removal: the dialog asks; a reason too long keeps the dialog and the membership.
    let dialog = app.get_text(&format!("/w/acme/users/{grace}/remove")).await;
    assert!(dialog.contains("name=\"reason\""));
    let path = format!("/w/acme/users/{grace}/remove");
    let refused = app
        .post_fields(&path, &[("reassign_to", ""), ("reason", &"y".repeat(600))])
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Use 500 characters at most.")
    );
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {grace} AND status = 'removed'"
        )),
        0
    );
    let done = app
        .post_fields(&path, &[("reassign_to", ""), ("reason", "Team dissolved")])
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(reason_of(&app, "member.removed"), "Team dissolved");
    let console = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        console.contains("Removed by Ada Lovelace (ada@example.com) on ")
            && console.contains(": Team dissolved")
    );

    // Block, from the workspace console and from the organization's accounts.
    app.invite_to_new_workspace("beta", ALAN).await;
    let done = app
        .post_fields(
            &format!("/w/acme/users/{alan}/block"),
            &[("reason", "Phishing reported")],
        )
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(reason_of(&app, "account.blocked"), "Phishing reported");
    let console = app.get_text(&format!("/w/acme/users/{alan}")).await;
    assert!(
        console.contains("Blocked by Ada Lovelace (ada@example.com) on ")
            && console.contains(": Phishing reported")
    );
    // Alan's console in another workspace names who blocked him too.
    let in_beta = app.first_id(&format!(
        "memberships WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'beta') \
         AND account_id = (SELECT id FROM accounts WHERE email = '{ALAN}')"
    ));
    let console = app.get_text(&format!("/w/beta/users/{in_beta}")).await;
    assert!(
        console.contains("Blocked by Ada Lovelace (ada@example.com) on ")
            && !console.contains("Phishing reported"),
        "who blocked him, but not why: that is in acme's log, {console}"
    );
    app.post_fields(&format!("/w/acme/users/{alan}/unblock"), &[])
        .await;

    let account = app.first_id(&format!("accounts WHERE email = '{ALAN}'"));
    let dialog = app
        .get_text(&format!("/org/accounts/{account}/block"))
        .await;
    assert!(dialog.contains("name=\"reason\""));
    let refused = app
        .post_fields(
            &format!("/org/accounts/{account}/block"),
            &[("reason", "bad\u{1}text")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(app.count("accounts WHERE status = 'blocked'"), 0);
    let done = app
        .post_fields(
            &format!("/org/accounts/{account}/block"),
            &[("reason", "Left for a competitor")],
        )
        .await;
    assert_eq!(done.status().as_u16(), 303);
    let console = app.get_text(&format!("/w/acme/users/{alan}")).await;
    assert!(
        console.contains(": Left for a competitor"),
        "a block from the organization's page shows in the workspace too, to its log's readers"
    );
    // A workspace Admin reads the workspace's log, not the organization's: who, not why.
    app.add_member(
        "adm.in@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    let admin = app.new_client();
    admin.sign_in("adm.in@example.com", OWNER_PASSWORD).await;
    let console = admin.get_text(&format!("/w/acme/users/{alan}")).await;
    assert!(
        console.contains("Blocked by Ada Lovelace (ada@example.com) on ")
            && !console.contains("Left for a competitor"),
        "{console}"
    );
}

async fn api_post(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(app.url(path))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("API request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn the_api_takes_a_reason_too() {
    let app = app_with_people().await;
    let key = app
        .api_key(
            "HR sync",
            &["users.suspend", "users.remove", "users.view", "audit.view"],
        )
        .await;
    let (grace, alan) = (app.membership_of(GRACE), app.membership_of(ALAN));

    let (status, body) = api_post(
        &app,
        &key,
        &format!("/api/v1/users/{grace}/suspend"),
        serde_json::json!({"reason": "z".repeat(501)}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        app.count("audit_events WHERE action = 'member.suspended'"),
        0
    );

    let (status, _) = api_post(
        &app,
        &key,
        &format!("/api/v1/users/{grace}/suspend"),
        serde_json::json!({"reason": "Contract ended"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reason_of(&app, "member.suspended"), "Contract ended");

    let (status, _) = api_post(
        &app,
        &key,
        &format!("/api/v1/users/{alan}/remove"),
        serde_json::json!({"reason": "Duplicate account"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reason_of(&app, "member.removed"), "Duplicate account");

    // The API's audit list filters by reason as the page does.
    let text = app
        .get_with_key("/api/v1/audit-events?reason=duplicate", &key)
        .await;
    let page: Value = serde_json::from_str(&text).unwrap();
    let events = page["data"].as_array().expect("a page of events");
    assert_eq!(events.len(), 1, "{page}");
    assert_eq!(events[0]["changes"]["reason"], "Duplicate account");
}
