//! In headless Chromium (issue 21 §3): the users list shows someone coming online as it happens,
//! without a reload, and the keyboard's focus stays where it was.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

/// The text of `member`'s cell under the "Last active" heading, and of the one under "Joined".
async fn cells(b: &Browser, member: i64) -> (String, String) {
    let under = |heading: &str| {
        format!(
            "const row = document.querySelector(`tr:has(a[href$='/users/{member}'])`); \
             const at = [...row.closest('table').tHead.rows[0].cells] \
               .findIndex((th) => th.textContent.trim() === '{heading}'); \
             return row.cells[at].textContent.trim();"
        )
    };
    (
        b.eval_text(&under("Last active")).await,
        b.eval_text(&under("Joined")).await,
    )
}

#[actix_web::test]
async fn someone_coming_online_shows_in_place_and_focus_stays() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    // The Owner sees the Groups column; a Support role does not: the cell moves, and is found.
    let support = app
        .with_custom_role("sam.support@example.com", "Support", &["users.view"])
        .await;
    drop(support);
    for (viewer, watched) in [
        (OWNER_EMAIL, "grace.hopper@example.com"),
        ("sam.support@example.com", "alan.turing@example.com"),
    ] {
        let grace_id = app.membership_of(watched);
        let browser = Browser::start().await;
        let b = &browser;
        b.client.goto(&app.url("/login")).await.unwrap();
        b.fill("#email", viewer).await;
        b.fill("#password", OWNER_PASSWORD).await;
        b.click("button[type=submit]").await;
        b.wait_for_url("/w/acme/users").await;
        let (last_active, joined) = cells(b, grace_id).await;
        assert!(last_active.contains("Never"), "{viewer}: {last_active}");

        // The keyboard is on the search field; a marker tells whether the page was reloaded.
        b.client
            .execute(
                "document.querySelector('#q').focus(); window.stillThisPage = true;",
                Vec::new(),
            )
            .await
            .unwrap();
        let grace = app.new_client();
        grace.sign_in(watched, OWNER_PASSWORD).await;
        assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
        let row = format!("tr:has(a[href$='/users/{grace_id}'])");
        b.wait_for_text(&row, "just now").await;
        assert_eq!(
            cells(b, grace_id).await,
            ("Online, just now".to_owned(), joined),
            "{viewer}: only the Last active cell changed"
        );
        let state = b
            .client
            .execute(
                "return [document.activeElement.id, window.stillThisPage === true]",
                Vec::new(),
            )
            .await
            .unwrap();
        assert_eq!(state, serde_json::json!(["q", true]), "{viewer}: {state}");
        if viewer == OWNER_EMAIL {
            b.screenshot("70-presence-online").await;
        }
        browser.close().await;
    }
}
