//! In headless Chromium: filter the list, open a member's console, change their role and see the
//! admin-share warning, and end a session from the Sessions tab.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use fantoccini::Locator;

#[actix_web::test]
async fn filter_open_a_console_change_a_role_and_end_a_session() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("UPDATE workspaces SET plan = 'team', seat_limit = 50");
    for i in 0..3 {
        app.add_member(
            &format!("admin{i}.team@example.com"),
            BuiltInRole::Admin,
            MembershipStatus::Active,
        );
    }
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );
    // Grace is signed in elsewhere.
    let graces_laptop = app.new_client();
    graces_laptop
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // Filter: suspended members only; the URL follows.
    b.client
        .find(Locator::Css("#filter-status"))
        .await
        .unwrap()
        .select_by_value("suspended")
        .await
        .unwrap();
    b.wait_for_url("/w/acme/users?status=suspended").await;
    let rows = b.wait_for_text("#results", "alan.turing@example.com").await;
    assert!(!rows.contains("grace.hopper@example.com"), "{rows}");
    b.screenshot("20-users-filtered").await;
    b.client
        .find(Locator::Css("#filter-status"))
        .await
        .unwrap()
        .select_by_value("")
        .await
        .unwrap();
    b.wait_for_url("/w/acme/users").await;

    // Search as you type, then open Grace's console.
    b.fill("#q", "hopper").await;
    b.wait_for_url("/w/acme/users?q=hopper").await;
    b.wait_for_text("#results", "grace.hopper@example.com")
        .await;
    b.click("#results tbody td > a:has(> .avs)").await;
    b.wait_for_text("main h1", "grace hopper").await;
    b.screenshot("21-console-overview").await;

    // Role tab: making her the fourth admin of seven members warns, and still changes the role.
    b.click("nav.tabs a[href$='/role']").await;
    b.wait_for_text("#panel", "Role in this workspace").await;
    assert_eq!(
        b.text("nav.tabs a[aria-current='page']").await,
        "Role",
        "the tab shown is the current one"
    );
    b.client
        .find(Locator::Css("#role"))
        .await
        .unwrap()
        .select_by_value("admin")
        .await
        .unwrap();
    b.click("#panel button[type=submit]").await;
    let flash = b
        .wait_for_text("#flash", "is now Admin (was Member).")
        .await;
    assert!(flash.contains("more than 20 %"), "{flash}");
    b.screenshot("22-console-role-warning").await;
    // Owner is asked first: cancelled, nothing is sent; confirmed, she is an Owner.
    for accept in [false, true] {
        b.select("#role", "owner").await;
        b.click("#panel button[type=submit]").await;
        let asked = b.answer_question(accept).await;
        assert!(asked.contains("an Owner?"), "{asked}");
    }
    b.wait_for_text("#flash", "is now Owner (was Admin).").await;
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.role_changed' AND changes LIKE '%\"after\":\"Owner\"%'"
        ),
        1,
        "once: the cancelled question sent nothing"
    );

    // Sessions tab: sign her laptop out.
    b.click("nav.tabs a[href$='/sessions']").await;
    b.wait_for_text("#panel", "Sign out everywhere").await;
    b.screenshot("23-console-sessions").await;
    // Asked first, like every other action that ends someone's access.
    b.click("#panel a[href$='/end-all']").await;
    b.wait_for_text("dialog", "out everywhere?").await;
    b.click("dialog button.button-danger").await;
    b.wait_for_text("#flash", "1 session ended.").await;
    assert_eq!(
        graces_laptop.get("/w/acme/users").await.status().as_u16(),
        303,
        "her next request goes to sign-in"
    );

    // "← Users" leads back to the list as it was left: the search for "hopper".
    b.click("main .breadcrumb a").await;
    b.wait_for_url("/w/acme/users?q=hopper").await;
    browser.close().await;
}
