//! In headless Chromium, the groups flow of issue 6: create a group, add two members through the
//! type-ahead picker, see them listed, read the group on a member's Access tab, grant the group
//! "run" on a restricted workflow and read the reason on the Access tab, take one out, and delete
//! the group through its confirmation dialog.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

/// A property of the focused element (`id`, `textContent`), trimmed.
async fn focused(b: &Browser, property: &str) -> String {
    b.eval_text(&format!(
        "return String(document.activeElement.{property}).trim();"
    ))
    .await
}

/// Types `search` into the picker, waits until its options no longer show `other` (the type-ahead
/// has answered), and ticks the one option left.
async fn pick(b: &Browser, search: &str, other: &str) {
    b.fill("#picker-q", search).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while b.text("#picker-options").await.contains(other) {
        assert!(
            std::time::Instant::now() < deadline,
            "the picker did not answer {search:?}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.click("#picker-options input[type=checkbox]:not([disabled])")
        .await;
}

fn group_id_of(app: &TestApp, name: &str) -> String {
    app.first_id(&format!("groups WHERE name = '{name}'"))
        .to_string()
}

#[actix_web::test]
async fn create_a_group_add_members_with_the_picker_and_delete_it() {
    let app = spawn_app().await;
    app.set_up().await;
    for email in ["grace.hopper@example.com", "alan.turing@example.com"] {
        app.add_member(email, BuiltInRole::Member, MembershipStatus::Active);
    }
    let grace = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')",
    );

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // From the side navigation to an empty list, then create a group.
    b.click("nav.sidenav a[href='/w/acme/groups']").await;
    b.wait_for_text("main", "No groups yet").await;
    b.screenshot("60-groups-empty").await;
    // "New group" at the top leads to the form, its first field ready.
    b.click("main .page-head a[data-focus-form]").await;
    assert_eq!(focused(b, "id").await, "name");
    b.fill("#name", "Finance").await;
    b.fill("#description", "Runs payroll every month").await;
    b.click("form[method=post][action='/w/acme/groups'] button[type=submit]")
        .await;
    b.wait_for_text(".flash-area", "Group Finance created.")
        .await;
    let here = b
        .wait_for_url_where("the group's page", |h| h.starts_with("/w/acme/groups/"))
        .await;

    // The picker answers as one types; tick someone, search again and tick another: the first
    // stays ticked above the new results, and both are added.
    pick(b, "hopper", "alan.turing@example.com").await;
    b.fill("#picker-q", "turing").await;
    b.wait_for_text("#picker-options", "alan.turing@example.com")
        .await;
    b.click("#picker-options input[type=checkbox]:not([disabled]):not(:checked)")
        .await;
    let ticked = b
        .eval_text(
            "return Array.from(document.querySelectorAll('#picker-options input:checked:not([disabled])')).map(b => b.closest('label').textContent.trim()).join(' | ');",
        )
        .await;
    assert!(
        ticked.contains("grace.hopper@example.com") && ticked.contains("alan.turing@example.com"),
        "{ticked}"
    );
    b.screenshot("61-picker").await;
    b.click("form[action$='/members'] button.button-primary")
        .await;
    let members = b.wait_for_text("main", "2 members").await;
    assert!(
        members.contains("grace hopper") && members.contains("alan turing"),
        "{members}"
    );
    b.screenshot("62-group-with-members").await;

    // A member's Access tab names the group.
    b.client
        .goto(&app.url(&format!("/w/acme/users/{grace}/access")))
        .await
        .unwrap();
    b.wait_for_text("#panel", "Finance").await;

    // Grant the group "run" on a restricted workflow, and read the reason on the Access tab.
    b.click("nav.sidenav a[href='/w/acme/apps']").await;
    b.wait_for_text("main", "Nothing to grant access to yet")
        .await;
    b.select("#kind", "workflow").await;
    b.fill("#name", "Payroll run").await;
    b.click("#restricted").await;
    b.click("form[method=post][action='/w/acme/apps'] button[type=submit]")
        .await;
    b.wait_for_text(".flash-area", "Workflow Payroll run created.")
        .await;
    b.wait_for_text("#who-answer", "Nobody").await;
    b.select("#group_id", &group_id_of(&app, "Finance")).await;
    b.select("#group-level", "run").await;
    b.click("form[action$='/grants'] button.button-primary")
        .await;
    b.wait_for_text(".flash-area", "Group Finance may now run it.")
        .await;
    let who = b.wait_for_text("#who-answer", "2 members").await;
    assert!(who.contains("by name"), "{who}");
    b.screenshot("64-app-permissions").await;
    // Ending the grant asks first (it would take access from both); cancelled, nothing changes.
    b.click("tr:has(a.person-name[href*='/groups/']) a[hx-get$='/remove']")
        .await;
    b.wait_for_text("dialog[open]", "Its 2 members lose the run access")
        .await;
    b.screenshot("66-end-access-dialog").await;
    b.click("dialog[open] [data-close-dialog].button").await;
    assert_eq!(app.count("grants"), 1);
    b.client
        .goto(&app.url(&format!("/w/acme/users/{grace}/access")))
        .await
        .unwrap();
    b.wait_for_text("#panel", "Can run Payroll run — through group Finance")
        .await;
    b.screenshot("65-access-reason").await;

    // Remove Alan (the group grants access: it asks first), then delete the group through its
    // dialog.
    b.client.goto(&app.url(&here)).await.unwrap();
    b.click("a[aria-label^='Remove alan']").await;
    b.wait_for_text("dialog[open]", "loses the access it gives")
        .await;
    b.click("dialog[open] button.button-danger").await;
    b.wait_for_text(".flash-area", "was removed from the group.")
        .await;
    b.wait_for_text("main", "1 member").await;
    // The picker's Search button (a page of its own without JavaScript) searches in place, as
    // typing does: someone ticked before stays ticked.
    pick(b, "turing", "grace.hopper@example.com").await;
    b.fill("#picker-q", "hopper").await;
    b.click("button[form='picker-search']").await;
    b.wait_for_text("#picker-options", "grace.hopper@example.com")
        .await;
    let (url, ticked) = (
        b.client.current_url().await.unwrap(),
        b.eval_text(
            "return Array.from(document.querySelectorAll('#picker-options input:checked:not([disabled])')).map(b => b.value).length.toString();",
        )
        .await,
    );
    assert!(
        url.path().ends_with(&here) && url.query().is_none(),
        "{url}"
    );
    assert_eq!(ticked, "1");
    b.client.goto(&app.url(&here)).await.unwrap();
    b.click("a.button-danger[href$='/delete']").await;
    let dialog = b.wait_for_text("dialog", "cannot be undone").await;
    assert!(
        dialog.contains("1 member") && dialog.contains("1 app grant"),
        "{dialog}"
    );
    b.screenshot("63-delete-dialog").await;
    // Nothing to fill in: the focus starts on Cancel, so a stray Enter deletes nothing.
    assert_eq!(focused(b, "textContent").await, "Cancel");
    b.click("dialog button.button-danger").await;
    b.wait_for_url("/w/acme/groups").await;
    b.wait_for_text(".flash-area", "Group Finance deleted.")
        .await;
    assert_eq!(app.count("groups"), 0);

    // A refused form comes back with the focus in the field in error.
    b.fill("#name", "Ops").await;
    b.click("form[method=post][action='/w/acme/groups'] button[type=submit]")
        .await;
    b.wait_for_text(".flash-area", "Group Ops created.").await;
    b.client.goto(&app.url("/w/acme/groups")).await.unwrap();
    b.fill("#name", "ops").await;
    b.click("form[method=post][action='/w/acme/groups'] button[type=submit]")
        .await;
    b.wait_for_text("main", "already").await;
    assert_eq!(focused(b, "id").await, "name");
    browser.close().await;
}

/// A search of the groups swaps the rows in place; a status line says what came (the table itself
/// is no live region, read out whole at every keystroke).
#[actix_web::test]
async fn a_search_in_place_says_what_came_in_a_status_line() {
    let app = spawn_app().await;
    app.set_up().await;
    for name in ["Finance", "Sales", "Support"] {
        let made = app.post_fields("/w/acme/groups", &[("name", name)]).await;
        assert_eq!(made.status().as_u16(), 303);
    }
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.client.goto(&app.url("/w/acme/groups")).await.unwrap();
    b.fill("#q", "s").await;
    b.wait_for_text("#results-status", "groups shown").await;
    b.fill("#q", "sal").await;
    b.wait_for_text("#results-status", "1 group shown").await;
    let live = b
        .eval_text("return String(document.querySelector('#results').getAttribute('aria-live'))")
        .await;
    assert_eq!(live, "null");
    browser.close().await;
}
