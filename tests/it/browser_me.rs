//! In headless Chromium: a Member signs in, lands on their own page, fixes a refused time zone,
//! uploads a picture, changes their password (the other browser is signed out), and sorts nothing
//! else because a Member sees only this page.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use fantoccini::Locator;

fn picture_file() -> std::path::PathBuf {
    let picture = image::RgbImage::from_fn(320, 200, |x, y| {
        image::Rgb([(x % 256) as u8, 120, (y % 256) as u8])
    });
    let path = std::env::temp_dir().join(format!("avatar-{}.png", std::process::id()));
    picture.save(&path).expect("write the picture");
    path
}

#[actix_web::test]
async fn a_member_edits_their_profile_picture_and_password() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let other_browser = app.new_client();
    other_browser
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;

    let browser = Browser::start().await;
    let b = &browser;
    b.client.goto(&app.url("/login")).await.unwrap();
    // Typing starts in the form's first field.
    b.wait_for_script("return document.activeElement.id === 'email'")
        .await;
    b.fill("#email", "grace.hopper@example.com").await;
    b.fill("#password", OWNER_PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/me").await;
    b.screenshot("40-me").await;

    // A time zone that does not exist is refused beside the field, the rest kept as typed.
    b.fill("#first_name", "Grace Brewster").await;
    b.fill("#timezone", "Atlantis/Capital").await;
    b.click("form[action='/me/profile'] button[type=submit]")
        .await;
    let message = b.wait_for_text("#timezone-error", "time zone").await;
    assert!(!message.is_empty());
    let kept = b
        .client
        .find(Locator::Css("#first_name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Grace Brewster"));
    b.screenshot("41-me-bad-timezone").await;
    b.fill("#timezone", "America/New_York").await;
    // Edited, the field no longer shows its old message.
    b.wait_for_script("return document.getElementById('timezone-error').hidden")
        .await;
    b.click("form[action='/me/profile'] button[type=submit]")
        .await;
    b.wait_for_text(".flash-area", "Profile saved.").await;
    assert_eq!(
        app.count("accounts WHERE first_name = 'Grace Brewster' AND timezone = 'America/New_York'"),
        1
    );

    // A picture replaces the initials.
    let file = picture_file();
    b.client
        .find(Locator::Css("#avatar"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.click("form[action='/me/avatar'] button[type=submit]")
        .await;
    b.wait_for_text(".flash-area", "Picture saved.").await;
    b.client
        .find(Locator::Css("img.avatar-xl"))
        .await
        .expect("the uploaded picture is shown");
    b.screenshot("42-me-picture").await;
    let _ = std::fs::remove_file(file);

    // A new password signs the other browser out.
    b.fill("#current_password", OWNER_PASSWORD).await;
    b.fill("#new_password", "an entirely new passphrase").await;
    b.click("form[action='/me/password'] button[type=submit]")
        .await;
    b.wait_for_text(".flash-area", "signed out everywhere else")
        .await;
    let sessions = b.text("#sessions-title + .table-scroll table").await;
    assert!(
        sessions.contains("This browser"),
        "only this browser is left: {sessions}"
    );
    assert!(location(&other_browser.get("/me").await).starts_with("/login"));
    b.screenshot("43-me-password-changed").await;

    // A Member has no console.
    b.client.goto(&app.url("/w/acme/users")).await.unwrap();
    let page = b.text("body").await;
    assert!(!page.contains("Invite people"), "{page}");
    browser.close().await;
}
