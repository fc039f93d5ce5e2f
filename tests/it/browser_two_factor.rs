//! In headless Chromium: a person turns on two-factor sign-in from their profile (the QR code
//! and the key on the page; the code computed here as an app would), signs out, and signs in
//! with their password and a code.

use crate::common::browser::Browser;
use crate::common::*;
use crate::two_factor::{code_now, secret_in};
use chrono::Duration;

#[actix_web::test]
async fn a_person_turns_on_two_factor_and_signs_in_with_a_code() {
    let app = spawn_app().await;
    app.set_up().await;

    let browser = Browser::start().await;
    let b = &browser;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.fill("#email", OWNER_EMAIL).await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/w/acme/users").await;

    b.client.goto(&app.url("/me")).await.unwrap();
    b.click("a[href='/me/two-factor']").await;
    b.wait_for_url("/me/two-factor").await;
    b.wait_for_text("h2", "Turn on").await;
    let page = b.client.source().await.unwrap();
    assert!(page.contains("<svg"), "the QR code is drawn on the page");
    let secret = secret_in(&page);
    b.screenshot("80-two-factor-enrol").await;
    b.fill("#code", &code_now(&app, &secret)).await;
    b.click("form[action='/me/two-factor'] button[type=submit]")
        .await;
    b.wait_for_text("h2", "Your recovery codes").await;
    b.screenshot("81-two-factor-recovery-codes").await;

    // Sign out, then in: the password, then a code (the next time step: each code works once).
    b.client.goto(&app.url("/me")).await.unwrap();
    b.click("form[action='/logout'] button[type=submit]").await;
    b.wait_for_url_where("the sign-in page", |url| url.contains("/login"))
        .await;
    b.fill("#email", OWNER_EMAIL).await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/login/two-factor").await;
    b.screenshot("82-two-factor-sign-in").await;
    app.settings.clock.advance(Duration::seconds(30));
    b.fill("#code", &code_now(&app, &secret)).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/w/acme/users").await;
    browser.close().await;
}
