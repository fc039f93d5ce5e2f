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
    b.sign_in_as_owner(&app).await;

    b.client.goto(&app.url("/me")).await.unwrap();
    b.click("a[href='/me/two-factor']").await;
    b.wait_for_url("/me/two-factor").await;
    b.wait_for_text("h2", "Turn on").await;
    let page = b.client.source().await.unwrap();
    assert!(page.contains("<svg"), "the QR code is drawn on the page");
    let secret = secret_in(&page);
    b.screenshot("80-two-factor-enrol").await;
    b.fill("#code", &code_now(&app, &secret)).await;
    b.fill("#password", OWNER_PASSWORD).await;
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

#[actix_web::test]
async fn an_admin_sees_a_paused_member_and_clears_the_pause() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    // Fifteen failures, each after the previous pause: the pause is now 15 minutes.
    for _ in 0..15 {
        app.settings.clock.advance(Duration::minutes(16));
        app.new_client()
            .sign_in("grace.hopper@example.com", "wrong password!")
            .await;
    }
    let grace = app.membership_of("grace.hopper@example.com");

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.client
        .goto(&app.url(&format!("/w/acme/users/{grace}")))
        .await
        .unwrap();
    b.wait_for_text(".notice-warning", "Sign-in paused until")
        .await;
    b.screenshot("83-console-sign-in-paused").await;
    b.click(".notice-warning button[type=submit]").await;
    b.wait_for_text(".flash-area", "The sign-in pause is cleared")
        .await;
    browser.close().await;
    assert_eq!(
        app.new_client()
            .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
            .await
            .status(),
        303
    );
}
