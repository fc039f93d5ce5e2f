//! Keyboard only, in headless Chromium (issue 21 §4, §6): the invite dialog is opened, filled and
//! sent without a mouse — focus starts in the addresses field, the groups picker is one Tab stop
//! that typing narrows and the arrows walk, Send is a few Tabs away — and a bulk action on the
//! users list is chosen and previewed the same way.

use std::time::{Duration, Instant};

use fantoccini::key::Key;

use crate::common::browser::Browser;
use crate::common::*;

/// Sends keys to whatever has the focus.
async fn press(b: &Browser, keys: &str) {
    b.client
        .active_element()
        .await
        .expect("something has the focus")
        .send_keys(keys)
        .await
        .expect("keys");
}

/// The focused element, as `tag#id[name]` with its value or text and its label (to follow the
/// focus).
async fn focused(b: &Browser) -> String {
    b.eval_text(
        "const e = document.activeElement; \
         const text = e.tagName === 'BUTTON' ? e.textContent : (e.value || e.textContent); \
         return `${e.tagName.toLowerCase()}#${e.id}[${e.name || ''}] ${(text || '').trim().slice(0, 40)} ${e.getAttribute('aria-label') || ''}`",
    )
    .await
}

/// Presses `key` until the focus is on what `part` describes, at most `most` times in all (`used`
/// counts them across calls).
async fn key_until(b: &Browser, key: &str, part: &str, used: &mut usize, most: usize) {
    while !focused(b).await.contains(part) {
        press(b, key).await;
        *used += 1;
        assert!(
            *used <= most,
            "{part} not reached within {most} keys: {}",
            focused(b).await
        );
    }
}

async fn wait_focus(b: &Browser, part: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let here = focused(b).await;
        if here.contains(part) {
            return here;
        }
        assert!(
            Instant::now() < deadline,
            "focus never reached {part}; it is on {here}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn the_invite_dialog_by_keyboard_alone() {
    let app = spawn_app().await;
    app.set_up().await;
    for name in [
        "Finance",
        "Legal",
        "Design",
        "Sales",
        "Support",
        "Research",
        "Security",
        "Product",
        "Quality",
        "Facilities",
        "Marketing",
        "Operations",
    ] {
        let made = app.post_fields("/w/acme/groups", &[("name", name)]).await;
        assert_eq!(made.status().as_u16(), 303);
    }
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // Focus the "Invite people" link as Tab would, and press Enter: focus lands in the addresses.
    b.client
        .execute(
            "document.querySelector(\"a[href='/w/acme/invitations/new']\").focus()",
            Vec::new(),
        )
        .await
        .unwrap();
    press(b, &Key::Enter.to_string()).await;
    wait_focus(b, "textarea#emails").await;
    press(b, "grace@example.com").await;

    // Role, then the groups picker: one Tab each.
    press(b, &Key::Tab.to_string()).await;
    wait_focus(b, "select#role").await;
    press(b, &Key::Tab.to_string()).await;
    wait_focus(b, "input#[] ").await;
    press(b, "fin").await;
    press(b, &Key::Down.to_string()).await;
    wait_focus(b, "[group_id]").await;
    press(b, &Key::Space.to_string()).await;
    b.wait_for_text("dialog[open] .picker-chosen", "Chosen: Finance")
        .await;

    // From the ticked group to Send: the rest of the groups are not Tab stops.
    let tab = Key::Tab.to_string();
    key_until(b, &tab, "Send invitations", &mut 0, 4).await;
    b.screenshot("90-invite-by-keyboard").await;
    press(b, &Key::Enter.to_string()).await;
    b.wait_for_text("#flash", "1 invitation sent").await;
    assert_eq!(
        app.count("invitation_groups JOIN groups ON groups.id = invitation_groups.group_id WHERE groups.name = 'Finance'"),
        1
    );
    browser.close().await;
}

#[actix_web::test]
async fn a_bulk_suspension_by_keyboard_alone() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // From the search field, Tab to Grace's box (past the filters, the bulk bar and the header
    // box) and tick it with Space.
    b.client
        .execute("document.querySelector('#q').focus()", Vec::new())
        .await
        .unwrap();
    let (tab, back) = (Key::Tab.to_string(), Key::Shift + &Key::Tab.to_string());
    let mut keys = 0;
    key_until(b, &tab, "Select grace hopper", &mut keys, 30).await;
    press(b, &Key::Space.to_string()).await;

    // Back to the bulk bar's action (Shift+Tab), Suspend is chosen; then Tab to Preview, Enter.
    key_until(b, &back, "select#bulk-action", &mut keys, 60).await;
    key_until(b, &tab, "Preview", &mut keys, 80).await;
    press(b, &Key::Enter.to_string()).await;
    b.wait_for_text("h1", "Suspend 1 person?").await;

    // The preview's reason field, then its confirm button, by keyboard.
    b.client
        .execute("document.querySelector('main #reason').focus()", Vec::new())
        .await
        .unwrap();
    press(b, "Keyboard test").await;
    key_until(b, &tab, "Suspend", &mut keys, 90).await;
    press(b, &Key::Enter.to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count("memberships WHERE status = 'suspended'") != 1 {
        assert!(Instant::now() < deadline, "the suspension was not made");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    browser.close().await;
}

#[actix_web::test]
async fn a_members_more_actions_by_keyboard_and_closed_behind_its_dialog() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let grace = app.membership_of("grace.hopper@example.com");
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.client
        .goto(&app.url(&format!("/w/acme/users/{grace}")))
        .await
        .unwrap();
    b.client
        .execute(
            "document.querySelector('details.more-actions summary').focus()",
            Vec::new(),
        )
        .await
        .unwrap();
    // Down opens it on its first item; Up from there wraps to the last, and on up to Remove.
    press(b, &Key::Down.to_string()).await;
    let first = wait_focus(b, "").await;
    assert!(
        b.eval_text("return String(document.querySelector('details.more-actions').open)")
            .await
            == "true"
            && first.contains("Send password reset link"),
        "{first}"
    );
    press(b, &Key::Up.to_string()).await;
    wait_focus(b, "Block account").await;
    let mut keys = 0;
    key_until(
        b,
        &Key::Up.to_string(),
        "Remove from workspace",
        &mut keys,
        4,
    )
    .await;
    press(b, &Key::Enter.to_string()).await;
    b.wait_for_text("dialog[open]", "Remove").await;
    assert_eq!(
        b.eval_text("return String(document.querySelector('details.more-actions').open)")
            .await,
        "false",
        "the menu does not stay open behind the dialog"
    );
    // Escape closes the dialog; the focus is back on the menu's button.
    press(b, &Key::Escape.to_string()).await;
    wait_focus(b, "More actions").await;
    browser.close().await;
}

#[actix_web::test]
async fn paging_and_sorting_keep_the_keyboards_place() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(60);
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.wait_for_text("#results", "Next").await;

    // Next by Enter: the rows are replaced, and the focus is on the page's Previous (the last
    // page has no Next), not back at the top of the page.
    b.client
        .execute(
            "document.querySelector('#results a[rel=next]').focus()",
            Vec::new(),
        )
        .await
        .unwrap();
    press(b, &Key::Enter.to_string()).await;
    wait_focus(b, "← Previous").await;

    // A column's sort link by Enter: the focus is on the same column's link in the new rows.
    let label = b
        .eval_text(
            "const a = document.querySelector('#results a.sort-link'); a.focus(); return a.textContent.trim();",
        )
        .await;
    let before = b.client.current_url().await.unwrap();
    press(b, &Key::Enter.to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.client.current_url().await.unwrap() == before {
        assert!(Instant::now() < deadline, "the sort did not happen");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let here = wait_focus(b, &label).await;
    assert!(here.starts_with("a#"), "{here}");

    // A filter after the sort keeps it.
    let sorted = b.client.current_url().await.unwrap();
    let order = sorted
        .query_pairs()
        .find(|(k, _)| k == "sort")
        .map(|(_, v)| v.into_owned())
        .expect("a sort in the address");
    b.eval_text(
        "const s = document.querySelector('#filter-status'); s.value = 'active'; \
         s.dispatchEvent(new Event('change', {bubbles: true})); return '';",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.client.current_url().await.unwrap() == sorted {
        assert!(Instant::now() < deadline, "the filter did not happen");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let filtered = b.client.current_url().await.unwrap();
    // The phones' "Filters" button says how many are set.
    assert_eq!(
        b.eval_text("return document.querySelector('.filters-toggle').textContent;")
            .await,
        "Filters (1)"
    );
    assert!(
        filtered
            .query_pairs()
            .any(|(k, v)| k == "sort" && v == order.as_str()),
        "{filtered}"
    );
    browser.close().await;
}
