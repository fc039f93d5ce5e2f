//! In headless Chromium, issue 14's rule as a person meets it: someone with a "Support" role
//! (`users.view` + `users.suspend`) opens an Admin's console and finds no Suspend button but the
//! reason in words; on the users list the Admin's row has no Suspend either; a plain Member they
//! suspend through the console's dialog.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const SAM: &str = "sam.support@example.com";
const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";

#[actix_web::test]
async fn a_support_role_sees_why_it_cannot_touch_an_admin_and_suspends_a_member() {
    let app = spawn_app().await;
    app.set_up().await;
    let created = app
        .post_fields(
            "/w/acme/roles",
            &[
                ("name", "Support"),
                ("description", "Suspends people under pressure"),
                ("permission", "users.view"),
                ("permission", "users.suspend"),
            ],
        )
        .await;
    assert_eq!(created.status().as_u16(), 303);
    let support = app.first_id("roles WHERE workspace_id IS NOT NULL AND name = 'Support'");
    app.add_member(SAM, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let (sam, grace, alan) = (
        app.membership_of(SAM),
        app.membership_of(GRACE),
        app.membership_of(ALAN),
    );
    let given = app
        .post_fields(
            &format!("/w/acme/users/{sam}/role"),
            &[("role", support.to_string().as_str())],
        )
        .await;
    assert_eq!(given.status().as_u16(), 303);

    let browser = Browser::start().await;
    let b = &browser;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.fill("#email", SAM).await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/w/acme/users").await;
    let list = b.text("#results").await;
    assert!(list.contains("alan.turing@example.com"), "{list}");
    let html = b.client.source().await.unwrap();
    // The row menus name what each row offers: Suspend for Alan, nothing for the Admin.
    assert!(html.contains(&format!(
        "href=\"/w/acme/users/{alan}\" data-actions=\"suspend"
    )));
    assert!(
        !html.contains(&format!(
            "href=\"/w/acme/users/{grace}\" data-actions=\"suspend"
        )),
        "the Admin's row offers no Suspend"
    );

    // The Admin's console: no Suspend, and the reason instead.
    b.client
        .goto(&app.url(&format!("/w/acme/users/{grace}")))
        .await
        .unwrap();
    let why = b
        .wait_for_text("main", "your role cannot act on roles")
        .await;
    assert!(why.contains("is an Admin"), "{why}");
    assert!(!b.text(".page-actions").await.contains("Suspend"));
    b.screenshot("140-support-sees-why-not-an-admin").await;

    // A plain Member: Suspend through the dialog, and the console shows the new state.
    b.client
        .goto(&app.url(&format!("/w/acme/users/{alan}")))
        .await
        .unwrap();
    b.click(&format!("a[href='/w/acme/users/{alan}/suspend']"))
        .await;
    b.wait_for_text("dialog", "keep their seat").await;
    b.click("dialog button.button-danger").await;
    b.wait_for_text(".flash-area", "is suspended").await;
    b.screenshot("141-support-suspended-a-member").await;
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {alan} AND status = 'suspended'"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {grace} AND status = 'active'"
        )),
        1
    );
    browser.close().await;
}
