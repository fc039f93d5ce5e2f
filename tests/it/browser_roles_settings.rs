//! In headless Chromium, the custom roles and workspace settings of issue 6: an Owner builds a
//! "Support" role from the permission checkboxes, gives it to a member on the console's Role tab,
//! renames the workspace and moves its URL (the old address still leads there); the Support
//! member then sees the users list with its Suspend action and nothing else in the navigation.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const SAM: &str = "sam.support@example.com";

#[actix_web::test]
async fn build_a_support_role_give_it_and_move_the_workspace() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(SAM, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let sam = app.membership_of(SAM);

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // Roles: build "Support" from two checkboxes.
    b.click("nav.sidenav a[href='/w/acme/roles']").await;
    b.wait_for_text("main", "Owner").await;
    b.fill("#name", "Support").await;
    b.fill(
        "#description",
        "Helpdesk: finds people and suspends accounts",
    )
    .await;
    b.click("input[name=permission][value='users.view']").await;
    b.click("input[name=permission][value='users.suspend']")
        .await;
    b.screenshot("70-role-form").await;
    b.click("form[action='/w/acme/roles'] button.button-primary")
        .await;
    b.wait_for_text(".flash-area", "Role Support created.")
        .await;
    b.screenshot("71-role-page").await;
    let support = app.first_id("roles WHERE name = 'Support'").to_string();

    // Give it to Sam on his Role tab.
    b.client
        .goto(&app.url(&format!("/w/acme/users/{sam}/role")))
        .await
        .unwrap();
    b.select("#role", &support).await;
    b.click("form[action$='/role'] button.button-primary").await;
    b.wait_for_text("main", "Support").await;
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {sam} AND role_id = {support}"
        )),
        1
    );

    // Settings: rename, then move the URL; the old address leads to the new one.
    b.click("nav.sidenav a[href='/w/acme/settings']").await;
    b.wait_for_text("main", "Danger zone").await;
    b.fill("#name", "Acme Support Desk").await;
    b.click("form[action='/w/acme/settings/name'] button").await;
    b.wait_for_text(".flash-area", "Name saved.").await;
    b.fill("#slug", "acme-desk").await;
    b.click("form[action='/w/acme/settings/slug'] button").await;
    b.wait_for_url("/w/acme-desk/settings").await;
    b.screenshot("72-settings").await;
    b.client.goto(&app.url("/w/acme/users")).await.unwrap();
    b.wait_for_url("/w/acme-desk/users").await;
    b.click("form[action='/logout'] button").await;
    b.wait_for_url_where("the sign-in page", |h| h.starts_with("/login"))
        .await;

    // Sam, with the Support role: the users list with Suspend, and no other page.
    b.fill("#email", SAM).await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/w/acme-desk/users").await;
    let list = b.wait_for_text("main", "grace").await;
    assert!(list.contains("Suspend"), "{list}");
    let nav = b.text("nav.sidenav").await;
    assert_eq!(
        nav.split_whitespace().collect::<Vec<_>>(),
        ["Users"],
        "{nav}"
    );
    b.screenshot("73-support-view").await;
    browser.close().await;
}
