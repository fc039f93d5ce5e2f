//! In headless Chromium, bulk actions of issue 18: filter the list by a search, choose "everyone
//! matching these filters", preview a bulk suspension with a reason (who changes, who is skipped),
//! confirm it and come back to the filtered list; then tick rows on the page ("select all") for a
//! bulk role change.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

#[actix_web::test]
async fn select_by_filter_preview_and_confirm_a_bulk_suspension() {
    let app = spawn_app().await;
    app.set_up().await;
    for email in [
        "grace.hopper@navy.example",
        "alan.turing@navy.example",
        "edsger.dijkstra@example.com",
    ] {
        app.add_member(email, BuiltInRole::Member, MembershipStatus::Active);
    }
    app.add_member(
        "barbara.liskov@navy.example",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // Everyone at navy.example, through the search.
    b.fill("#q", "navy.example").await;
    b.wait_for_url("/w/acme/users?q=navy.example").await;
    b.wait_for_text("#results", "barbara.liskov@navy.example")
        .await;
    b.select("#bulk-action", "suspend").await;
    b.click("#bulk input[name=all_matching]").await;
    b.screenshot("150-bulk-bar").await;

    b.click("#bulk button[type=submit]").await;

    // The preview: two will change, Barbara (suspended already) is skipped with the reason.
    let page = b.wait_for_text("h1", "Suspend 2 people?").await;
    assert!(page.contains("Suspend 2 people?"));
    let body = b.text("main").await;
    assert!(
        body.contains("Will change (2)") && body.contains("Skipped (1)"),
        "{body}"
    );
    assert!(body.contains("cannot be suspended"), "{body}");
    assert!(!body.contains("edsger.dijkstra@example.com"));
    assert_eq!(
        app.count("memberships WHERE status = 'suspended'"),
        1,
        "a preview changes nothing"
    );
    b.fill("main #reason", "Navy contract ended").await;
    b.screenshot("151-bulk-preview").await;
    b.click("main form button.button-danger").await;

    // Back on the filtered list, with what was done.
    b.wait_for_text(".flash-area", "Suspended 2 people. Skipped 1")
        .await;
    b.wait_for_url("/w/acme/users?q=navy.example").await;
    assert_eq!(app.count("memberships WHERE status = 'suspended'"), 3);
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.suspended' AND reason = 'Navy contract ended'"
        ),
        2
    );
    b.screenshot("152-bulk-done").await;

    // Tick every row of the page, then change their role.
    b.client
        .goto(&app.url("/w/acme/users?status=active"))
        .await
        .unwrap();
    // Nothing ticked: Preview says so beside the bar and stays on the list.
    b.click("#bulk button[type=submit]").await;
    b.wait_for_text("#bulk-error", "Tick the people to act on")
        .await;
    b.wait_for_url("/w/acme/users?status=active").await;
    b.click("input[data-select-all]").await;
    b.wait_for_text("#bulk-count", "2 selected").await;
    // "Select all" follows the rows: half-ticked when one is unticked, ticked again with it.
    let all_state = "const a = document.querySelector('input[data-select-all]'); \
                     return a.checked + ' ' + a.indeterminate;";
    assert_eq!(b.eval_text(all_state).await, "true false");
    b.click("#bulk input[name=member_id]").await;
    b.wait_for_text("#bulk-count", "1 selected").await;
    assert_eq!(b.eval_text(all_state).await, "false true");
    b.click("#bulk input[name=member_id]").await;
    b.wait_for_text("#bulk-count", "2 selected").await;
    assert_eq!(b.eval_text(all_state).await, "true false");
    let role_menu = b
        .client
        .find(fantoccini::Locator::Css("#bulk-role"))
        .await
        .unwrap();
    assert!(
        !role_menu.is_displayed().await.unwrap(),
        "the role menu waits for its action"
    );
    b.select("#bulk-action", "change_role").await;
    assert!(role_menu.is_displayed().await.unwrap());
    // No role chosen yet: said beside the bar, the ticks kept.
    b.click("#bulk button[type=submit]").await;
    b.wait_for_text("#bulk-error", "Choose the role to give.")
        .await;
    b.wait_for_text("#bulk-count", "2 selected").await;
    b.select("#bulk-role", "auditor").await;
    b.click("#bulk button[type=submit]").await;
    let body = b.wait_for_text("main", "Will change (1)").await;
    assert!(
        body.contains("Change the role of 1 person to Auditor?"),
        "{body}"
    );
    assert!(body.contains("edsger.dijkstra@example.com"), "{body}");
    assert!(
        body.contains("Skipped (1)") && body.contains("ada@example.com"),
        "{body}"
    );
    b.click("main form button.button-danger").await;
    b.wait_for_text(".flash-area", "Changed the role of 1 person to Auditor.")
        .await;
    assert_eq!(
        app.count(
            "memberships WHERE role_id = (SELECT id FROM roles WHERE name = 'Auditor' AND workspace_id IS NULL)"
        ),
        1
    );
    browser.close().await;
}

#[actix_web::test]
async fn upload_a_csv_preview_it_and_import() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let dir = std::env::temp_dir().join(format!("import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("people.csv");
    std::fs::write(
        &file,
        "email,first_name,last_name,role\n\
         katherine.johnson@example.com,Katherine,Johnson,admin\n\
         grace.hopper@example.com,,,\n\
         dorothy.vaughan@example.com,Dorothy,Vaughan,\n",
    )
    .unwrap();

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.click("a[href='/w/acme/import']").await;
    b.wait_for_text("h1", "Import people from a CSV").await;
    b.client
        .find(fantoccini::Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.click("main form button[type=submit]").await;
    let body = b.wait_for_text("main", "Preview of people.csv").await;
    assert!(
        body.contains("Already a member") && body.contains("Will be invited"),
        "{body}"
    );
    assert_eq!(app.count("memberships WHERE status = 'invited'"), 0);
    b.screenshot("153-import-preview").await;
    b.click("main form button.button-primary").await;
    b.wait_for_text(".flash-area", "Imported: 2 people invited.")
        .await;
    assert_eq!(app.count("memberships WHERE status = 'invited'"), 2);
    b.screenshot("154-imported").await;
    browser.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
