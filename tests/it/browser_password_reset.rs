//! In headless Chromium: a person who forgot their password asks for a link on the sign-in page,
//! opens the link from the email (delivered through a real SMTP server), chooses a new password
//! and is signed in.

use crate::common::browser::Browser;
use crate::common::smtp::{SmtpSink, link_token};
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

#[actix_web::test]
async fn a_forgotten_password_is_reset_through_the_emailed_link() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    app.set_up().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );

    let browser = Browser::start().await;
    let b = &browser;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.click("a[href='/password/forgot']").await;
    b.wait_for_url("/password/forgot").await;
    b.fill("#email", "grace.hopper@example.com").await;
    b.click("button[type=submit]").await;
    b.wait_for_text(".alert-info", "If an account uses").await;
    b.screenshot("70-password-forgot-sent").await;

    let message = sink.wait_for("grace.hopper@example.com").await;
    assert!(message.contains("Reset your password"));
    let token = link_token(&message, "/password/reset/");
    b.client
        .goto(&app.url(&format!("/password/reset/{token}")))
        .await
        .unwrap();
    b.wait_for_text("h1", "Choose a new password").await;
    b.fill("#password", "short").await;
    b.click("button[type=submit]").await;
    b.wait_for_text("#password-error", "a password needs 12")
        .await;
    b.screenshot("71-password-reset-refused").await;
    b.fill("#password", "a fresh and long passphrase").await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/me").await;
    b.wait_for_text(".flash-area", "Your new password is saved")
        .await;
    b.screenshot("72-password-reset-signed-in").await;
    browser.close().await;

    assert_eq!(
        app.new_client()
            .sign_in("grace.hopper@example.com", "a fresh and long passphrase")
            .await
            .status(),
        303
    );
}
