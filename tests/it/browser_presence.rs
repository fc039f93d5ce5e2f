//! In headless Chromium (issue 21 §3): the users list shows someone coming online as it happens,
//! without a reload, and the keyboard's focus stays where it was.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

#[actix_web::test]
async fn someone_coming_online_shows_in_place_and_focus_stays() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    let grace_id = app.membership_of("grace.hopper@example.com");
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    // Her row's "Last active" cell: five cells after the one with her name.
    let cell = format!(
        "tr:has(a[href$='/users/{grace_id}']) > td:has(> a > .avs) + td + td + td + td + td"
    );
    assert!(b.text(&cell).await.contains("Never"));

    // The keyboard is on the search field; a marker tells whether the page was reloaded.
    b.client
        .execute(
            "document.querySelector('#q').focus(); window.stillThisPage = true;",
            Vec::new(),
        )
        .await
        .unwrap();
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    b.wait_for_text(&cell, "just now").await;
    let state = b
        .client
        .execute(
            &format!(
                "return [document.activeElement.id, window.stillThisPage === true, \
                 !!document.querySelector(\"{cell} .online-dot\")]"
            ),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(state, serde_json::json!(["q", true, true]), "{state}");
    b.screenshot("70-presence-online").await;
    browser.close().await;
}
