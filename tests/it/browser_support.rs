//! In headless Chromium, the support flow of issue 5: search a person, suspend them from their row
//! through the confirmation dialog and see the badge change in place; remove someone with
//! reassignment through the revoke dialog's picker; find them under "Removed" and restore them.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use fantoccini::Locator;

#[actix_web::test]
async fn search_suspend_remove_with_reassignment_and_restore() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')",
    );
    let alan = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'alan.turing@example.com')",
    );
    let ws = app.workspace_id("acme").0;
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, owner_membership_id, restricted, created_at, updated_at)
         VALUES ({ws}, 'app', 'CRM', {grace}, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    ));

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // Search, then suspend from the row: a dialog says what happens; the badge changes in place.
    b.fill("#q", "grace").await;
    b.wait_for_url("/w/acme/users?q=grace").await;
    b.click_row_action(grace, "Suspend").await;
    let dialog = b.wait_for_text("dialog", "keep their seat").await;
    assert!(dialog.contains("Suspend"), "{dialog}");
    b.fill("dialog #reason", "On leave until March").await;
    b.screenshot("50-suspend-dialog").await;
    b.click("dialog button.button-danger").await;
    b.wait_for_text("#results", "Suspended").await;
    b.wait_for_text(".flash-area", "is suspended").await;
    // The rows read again, the keyboard is back on her row's menu.
    b.wait_for_script(&format!(
        "return document.activeElement.matches(\"a[data-actions][href$='/users/{grace}']\")"
    ))
    .await;
    b.screenshot("51-suspended-in-place").await;

    // Her console says who suspended her, when, and why.
    b.client
        .goto(&app.url(&format!("/w/acme/users/{grace}")))
        .await
        .unwrap();
    b.wait_for_text(
        ".state-note",
        "Suspended by Ada Lovelace (ada@example.com) on ",
    )
    .await;
    let note = b.text(".state-note").await;
    assert!(note.ends_with(": On leave until March"), "{note}");
    b.screenshot("54-suspended-with-reason").await;
    b.client
        .goto(&app.url("/w/acme/users?q=grace"))
        .await
        .unwrap();

    // Remove with reassignment: type in the picker, choose Alan, confirm.
    b.click_row_action(grace, "Remove").await;
    b.wait_for_text("dialog", "They own 1 app").await;
    b.fill("#picker-q", "alan").await;
    // Wait for the type-ahead's answer (Ada drops out), so the choice is not swapped away.
    for _ in 0..100 {
        let options = b.text("#picker-options").await;
        if options.contains("alan.turing@example.com") && !options.contains("ada@example.com") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.client
        .find(Locator::Css(&format!(
            "#picker-options input[type=radio][value='{alan}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.screenshot("52-remove-dialog").await;
    b.click("dialog button.button-danger").await;
    b.wait_for_text(".flash-area", "went to alan turing.").await;
    // Her row is gone from the list: the keyboard is on the message.
    b.wait_for_script("return document.activeElement.matches('#flash .alert')")
        .await;
    assert_eq!(
        app.count("apps WHERE name = 'CRM' AND owner_membership_id = (SELECT id FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'alan.turing@example.com'))"),
        1
    );

    // Restore from the Removed filter.
    b.client
        .goto(&app.url("/w/acme/users?status=removed"))
        .await
        .unwrap();
    b.click_row_action(grace, "Restore").await;
    b.wait_for_text("dialog", "stays with its").await;
    b.click("dialog button[type=submit]").await;
    // She was suspended when removed: she comes back suspended (a restore is no unsuspension).
    b.wait_for_text(".flash-area", "is restored, and still suspended")
        .await;
    b.screenshot("53-restored").await;
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {grace} AND status = 'suspended'"
        )),
        1
    );
    browser.close().await;
}
