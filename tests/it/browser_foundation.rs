//! In headless Chromium: first-run setup, sign out, sign in, the users list, and a live search.
//! Screenshots land in target/screenshots/.

use crate::common::browser::Browser;
use crate::common::*;
use fantoccini::Locator;

#[actix_web::test]
async fn setup_sign_in_list_and_search_in_a_real_browser() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    let b = &browser;

    // A fresh install opens on setup.
    b.client.goto(&app.url("/")).await.unwrap();
    b.wait_for_url("/setup").await;
    b.screenshot("01-setup").await;

    // Bad input first: the page comes back with messages beside the fields, typed values kept.
    // The code the server printed when it started.
    let code = admin_console::tokens::setup_code(&app.settings.session_key);
    b.fill("#setup_code", &code).await;
    b.fill("#organization_name", "Acme Corporation").await;
    b.fill("#workspace_name", "Acme HQ").await;
    b.fill("#workspace_slug", "Acme HQ").await;
    b.fill("#email", "ada@example").await;
    b.fill("#first_name", "Ada").await;
    b.fill("#last_name", "Lovelace").await;
    b.fill("#password", "short").await;
    b.click("button[type=submit]").await;
    b.wait_for_text("#workspace_slug-error", "lower-case").await;
    assert!(b.text("#email-error").await.contains("valid email"));
    assert!(
        b.text("#password-error")
            .await
            .contains("that is 5 characters, and a password needs 12")
    );
    let kept = b
        .client
        .find(Locator::Css("#organization_name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Acme Corporation"));
    b.screenshot("02-setup-errors").await;

    b.fill("#workspace_slug", "acme").await;
    b.fill("#email", OWNER_EMAIL).await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/w/acme/users").await;
    b.wait_for_text("main h1", "Users").await;
    assert!(b.text(".table").await.contains("Ada Lovelace"));

    // Sign out from the header, then sign in again.
    b.click(".account button[type=submit]").await;
    b.wait_for_url("/login?signed_out=1").await;
    b.fill("#email", OWNER_EMAIL).await;
    b.fill("#password", "wrong password here").await;
    b.click("button[type=submit]").await;
    b.wait_for_text(".alert-error", "email or password is not correct")
        .await;
    b.screenshot("03-login-error").await;
    assert_eq!(
        b.eval_text("return document.activeElement.id").await,
        "password",
        "the password to type again has the focus"
    );
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/w/acme/users").await;

    // Enough people for pages and a search.
    app.seed_members(180);
    b.client.refresh().await.unwrap();
    b.wait_for_text("main .muted", "members").await;
    let rows = b
        .client
        .find_all(Locator::Css(".table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 50, "a page holds 50 people");
    b.screenshot("04-users-list").await;

    // Next page through htmx: the URL follows, so the view can be shared.
    b.click("a[rel=next]").await;
    b.wait_for_text(".pager", "Previous").await;
    b.wait_for_url_where("the next page's address", |here| {
        here.starts_with("/w/acme/users?after=")
    })
    .await;

    // Live search: typing swaps the rows without a page load, and the URL keeps the query.
    b.fill("#q", "lovelace").await;
    b.wait_for_url("/w/acme/users?q=lovelace").await;
    let text = b.wait_for_text("#results", "ada@example.com").await;
    assert!(text.to_lowercase().contains("lovelace"));
    assert!(!text.contains("hopper"), "only matches remain");
    b.screenshot("05-users-search").await;

    b.fill("#q", "no-such-person-xyz").await;
    b.wait_for_text("#results", "No one matches").await;
    b.screenshot("06-users-empty-search").await;

    browser.close().await;
}
