//! In headless Chromium: the invite dialog with a bad address, fixed and sent; the pending rows;
//! then the invitation accepted in a second browser session.

use crate::common::browser::Browser;
use crate::common::*;
use fantoccini::Locator;

#[actix_web::test]
async fn invite_with_the_dialog_then_accept_in_another_browser() {
    let app = spawn_app().await;
    app.set_up().await;
    let admin = Browser::start().await;
    let b = &admin;
    b.sign_in_as_owner(&app).await;

    b.click("a[href='/w/acme/invitations/new']").await;
    b.wait_for_text("dialog[open] h2", "Invite people").await;
    b.fill(
        "dialog[open] #emails",
        "Grace Hopper <grace@example.com>, not-an-email, alan@example.com",
    )
    .await;
    b.screenshot("10-invite-dialog").await;
    b.click("dialog[open] button[type=submit]").await;

    // Refused whole: the bad address is named beside the field, which keeps what was typed.
    let problems = b
        .wait_for_text("dialog[open] #emails-error", "not-an-email")
        .await;
    assert!(
        problems.contains("is not a valid email address"),
        "{problems}"
    );
    let kept = b
        .client
        .find(Locator::Css("dialog[open] #emails"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(
        kept,
        "Grace Hopper <grace@example.com>, not-an-email, alan@example.com"
    );
    b.screenshot("11-invite-dialog-error").await;
    assert_eq!(app.count("invitations"), 0);

    // A stray Escape does not throw away what was typed: it says a second one would.
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Escape.to_string())
        .await
        .unwrap();
    b.wait_for_text("dialog[open] .escape-note", "Press Escape again")
        .await;
    // Under the title and its ✕, not above them.
    let below = b
        .eval_text(
            "return String(document.querySelector('dialog[open] .dialog-head').nextElementSibling \
             === document.querySelector('dialog[open] .escape-note'))",
        )
        .await;
    assert_eq!(below, "true");

    // Fixed in place: sent, the dialog closes, rows appear.
    b.fill(
        "dialog[open] #emails",
        "Grace Hopper <grace@example.com>, alan@example.com",
    )
    .await;
    b.click("dialog[open] button[type=submit]").await;
    b.wait_for_text("#flash", "2 invitations sent").await;
    b.wait_for_text("#results", "grace@example.com").await;
    let rows = b.text("#results").await;
    assert!(
        rows.contains("alan@example.com") && rows.contains("Pending"),
        "{rows}"
    );
    assert!(
        b.client.find(Locator::Css("dialog[open]")).await.is_err(),
        "dialog closed"
    );
    b.wait_for_text("#member-summary", "2 pending invitations")
        .await;
    assert!(b.text("#seat-usage").await.contains("3 of 10 seats used"));
    b.screenshot("12-invite-sent").await;

    // Sent a moment ago: the row menu says when it may be sent again rather than offer it.
    let menu = format!(
        "a[data-actions][href$='/users/{}']",
        app.membership_of("grace@example.com")
    );
    b.click(&menu).await;
    b.wait_for_text(
        ".row-menu-items [aria-disabled='true']",
        "Resend invitation (in ",
    )
    .await;
    b.click(&menu).await;

    // Revoke asks first, in a dialog.
    b.click_row_action(app.membership_of("grace@example.com"), "Revoke invitation")
        .await;
    b.wait_for_text("dialog[open] h2", "Revoke invitation?")
        .await;
    b.screenshot("13-revoke-confirm").await;
    b.click("dialog[open] [data-close-dialog].button").await;

    // Grace accepts in her own browser.
    let token = app.token_for("grace@example.com");
    let grace = Browser::start().await;
    grace
        .client
        .goto(&app.url(&format!("/invite/{token}")))
        .await
        .unwrap();
    grace.wait_for_text("main h1", "Join Acme HQ").await;
    grace.screenshot("14-accept").await;
    grace.fill("#first_name", "Grace").await;
    grace.fill("#last_name", "Hopper").await;
    grace.fill("#password", "a brand new passphrase").await;
    grace.click("button[type=submit]").await;
    // A Member lands on her own profile.
    grace.wait_for_url("/me").await;
    grace.wait_for_text("main", "grace@example.com").await;
    grace.screenshot("15-accepted-profile").await;

    // The admin's list shows her as active.
    b.client.refresh().await.unwrap();
    let rows = b.wait_for_text("#results", "Grace Hopper").await;
    assert!(rows.contains("Grace Hopper"));
    assert_eq!(app.count("memberships WHERE status = 'active'"), 2);

    // Inviting as Owner is asked first: cancelled, nothing is sent and the dialog stays as typed.
    let sent = app.count("invitations");
    b.click("a[href='/w/acme/invitations/new']").await;
    b.wait_for_text("dialog[open] h2", "Invite people").await;
    b.fill("dialog[open] #emails", "ada.owner@example.com")
        .await;
    b.select("dialog[open] #role", "owner").await;
    for accept in [false, true] {
        b.click("dialog[open] button[type=submit]").await;
        let asked = b.answer_question(accept).await;
        assert!(
            asked.contains("Invite them as Owners?") && asked.contains("Only an Owner"),
            "{asked}"
        );
        if !accept {
            // The dialog stays as typed (had the cancelled question sent it, the second send
            // below would be refused: already invited).
            assert!(
                b.client
                    .find(Locator::Css("dialog[open] #emails"))
                    .await
                    .is_ok()
            );
        }
    }
    b.wait_for_text("#flash", "1 invitation sent").await;
    assert_eq!(app.count("invitations"), sent + 1);
    assert_eq!(
        app.count("memberships m JOIN roles r ON r.id = m.role_id WHERE r.key = 'owner' AND m.status = 'invited'"),
        1
    );
    grace.close().await;
    admin.close().await;
}

/// Too many addresses pasted at once (a body over what the console reads): the dialog says so
/// above its form, kept as typed, and nothing is sent.
#[actix_web::test]
async fn a_refused_dialog_says_why_in_the_dialog() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.click("a[href='/w/acme/invitations/new']").await;
    b.wait_for_text("dialog[open] h2", "Invite people").await;
    // Set at once (typing 300 KB would take minutes).
    b.client
        .execute(
            "document.querySelector('dialog[open] #emails').value = \
             Array.from({length: 12000}, (_, i) => `person${i}@example.com`).join('\\n');",
            Vec::new(),
        )
        .await
        .unwrap();
    b.click("dialog[open] button[type=submit]").await;
    let said = b
        .wait_for_text("dialog[open] .dialog-refusal", "Nothing was changed")
        .await;
    assert!(said.contains("500 at most"), "{said}");
    let kept = b
        .eval_text("return String(document.querySelector('dialog[open] #emails').value.length)")
        .await;
    assert!(kept.parse::<usize>().unwrap() > 250_000, "{kept}");
    let focused = b.eval_text("return document.activeElement.id").await;
    assert_eq!(focused, "emails", "back to the field to mend, not on Send");
    b.screenshot("16-invite-too-much").await;
    assert_eq!(app.count("invitations"), 0);
    browser.close().await;
}
