//! The README's screenshots (issue 21 §7), taken by this test on every SQLite run: the users list
//! of a workspace with 60 people, on a 1366×900 desktop and a 390×844 phone, light and dark, into
//! tests/screenshots/ (the README shows them).

use crate::common::browser::Browser;
use crate::common::*;

const DARK: &str = "--blink-settings=preferredColorScheme=0";

#[actix_web::test]
async fn readme_screenshots_light_and_dark_desktop_and_phone() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(60);
    for (flags, name) in [
        (&[][..], "users-light"),
        (&[DARK][..], "users-dark"),
        (&["phone"][..], "users-phone-light"),
        (&["phone", DARK][..], "users-phone-dark"),
    ] {
        let browser = Browser::start_with(flags).await;
        let b = &browser;
        b.sign_in_as_owner(&app).await;
        if !flags.contains(&"phone") {
            b.client.set_window_size(1366, 900).await.unwrap();
        }
        b.client.goto(&app.url("/w/acme/users")).await.unwrap();
        b.wait_for_text("#member-summary", "50 shown").await;
        // One set is enough: the PostgreSQL run leaves the files as they are.
        if backend() == Backend::Sqlite {
            let path = format!("tests/screenshots/{name}.png");
            b.screenshot_to(&path).await;
            let written =
                std::fs::metadata(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
                    .expect("the screenshot was written");
            assert!(written.len() > 10_000, "{path} is {} bytes", written.len());
        }
        browser.close().await;
    }
}
