//! In headless Chromium, the API keys of issue 16: an Owner opens them from the settings, is told
//! beside the field what is missing, makes a key with one scope, copies the secret shown once,
//! uses it, then revokes it through its confirmation dialog; the API's reference page renders.

use fantoccini::Locator;

use crate::common::browser::Browser;
use crate::common::*;

async fn api_status(app: &TestApp, secret: &str) -> u16 {
    reqwest::Client::new()
        .get(app.url("/api/v1/users"))
        .header("authorization", format!("Bearer {secret}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn make_a_key_copy_it_once_use_it_and_revoke_it() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    b.client.goto(&app.url("/w/acme/settings")).await.unwrap();
    b.click("a[href='/w/acme/settings/api-keys']").await;
    b.wait_for_text("main", "No API keys yet").await;

    // Nothing filled in: told beside each field, nothing made.
    b.click("form[action='/w/acme/settings/api-keys'] button.button-primary")
        .await;
    b.wait_for_text(".field-error", "").await;
    assert_eq!(app.count("api_keys"), 0);

    b.fill("#name", "Okta sync").await;
    b.click("input[name=scope][value='users.view']").await;
    b.fill("#expires_in_days", "90").await;
    b.screenshot("80-api-key-form").await;
    b.click("form[action='/w/acme/settings/api-keys'] button.button-primary")
        .await;
    b.wait_for_text(".panel-secret", "shown only this once")
        .await;
    let secret = b
        .client
        .find(Locator::Css("#new-secret"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .expect("the secret");
    assert!(secret.starts_with("ack_"), "{secret}");
    assert_eq!(
        b.eval_text("return document.activeElement.id").await,
        "new-secret",
        "the secret takes the focus, at the top of the page"
    );
    // The Copy button (shown by the page's script) copies it and says what happened.
    b.click("button[data-copy='new-secret']").await;
    let said = b
        .wait_for_text("button[data-copy='new-secret'][data-copied]", "")
        .await;
    assert!(said == "Copied" || said == "Press Ctrl+C to copy", "{said}");
    assert_eq!(
        b.eval_text("return document.activeElement.id + ':' + (window.getSelection().toString() || document.getElementById('new-secret').selectionEnd)").await.split(':').next(),
        Some("new-secret"),
        "the secret is selected"
    );
    b.screenshot("81-api-key-created").await;
    assert_eq!(api_status(&app, &secret).await, 200);

    // Shown once: a reload lists the keys (the form is not sent again), naming the key by its
    // prefix only.
    b.client.refresh().await.unwrap();
    let list = b.wait_for_text("main", "Okta sync").await;
    assert_eq!(app.count("api_keys"), 1, "one key made");
    assert!(!list.contains(&secret));
    assert!(list.contains(&secret[..12]));

    b.click("a[href$='/revoke']").await;
    b.wait_for_text("dialog", "stop working at once").await;
    b.screenshot("82-api-key-revoke-dialog").await;
    b.click("dialog button.button-danger").await;
    b.wait_for_text("main", "Revoked").await;
    assert_eq!(api_status(&app, &secret).await, 401);

    b.client.goto(&app.url("/api/v1/docs")).await.unwrap();
    b.wait_for_text("main", "POST /api/v1/users/{id}/suspend")
        .await;
    b.screenshot("83-api-reference").await;
}
