//! HTTP tests of a person's own page `/me` (issue 4) on each backend: names and time zone with bad
//! input, password change (wrong current password; success ends every other session but keeps
//! this one), own sessions, and that a Member sees only this page.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

#[actix_web::test]
async fn names_and_time_zone_are_edited_with_bad_input_kept_beside_the_field() {
    let app = spawn_app().await;
    app.set_up().await;
    let page = app.get_text("/me").await;
    for text in [
        "Your profile",
        OWNER_EMAIL,
        "Time zone",
        "Change password",
        "This browser",
        "acme",
    ] {
        assert!(page.contains(text), "{text}");
    }

    let bad = post(
        &app,
        "/me/profile",
        &[
            ("first_name", "Ada<b>"),
            ("last_name", ""),
            ("email", OWNER_EMAIL),
            ("timezone", "Mars/Olympus"),
        ],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Mars/Olympus"), "typed value kept");
    assert!(html.contains("Ada&#60;b&#62;") || html.contains("Ada&lt;b&gt;"));
    assert!(html.contains("id=\"timezone-error\"") && html.contains("id=\"last_name-error\""));
    assert_eq!(
        app.count("audit_events WHERE action = 'account.profile_changed'"),
        0
    );

    let ok = post(
        &app,
        "/me/profile",
        &[
            ("first_name", "Augusta Ada"),
            ("last_name", "King"),
            ("email", OWNER_EMAIL),
            ("timezone", "Europe/London"),
        ],
    )
    .await;
    assert_eq!(ok.status().as_u16(), 303);
    let page = app.get_text("/me").await;
    assert!(page.contains("Profile saved.") && page.contains("Augusta Ada"));
    assert!(page.contains("value=\"Europe/London\""));
    assert_eq!(
        app.count(
            "accounts WHERE first_name = 'Augusta Ada' AND last_name = 'King' AND timezone = 'Europe/London'"
        ),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.profile_changed'"),
        1
    );

    // Saving the same values again changes nothing and writes no event.
    post(
        &app,
        "/me/profile",
        &[
            ("first_name", "Augusta Ada"),
            ("last_name", "King"),
            ("email", OWNER_EMAIL),
            ("timezone", "Europe/London"),
        ],
    )
    .await;
    assert_eq!(
        app.count("audit_events WHERE action = 'account.profile_changed'"),
        1
    );
}

#[actix_web::test]
async fn a_password_change_needs_the_current_one_and_ends_every_other_session() {
    let app = spawn_app().await;
    app.set_up().await;
    let laptop = app.new_client();
    assert_eq!(
        laptop
            .sign_in(OWNER_EMAIL, OWNER_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(laptop.get("/w/acme/users").await.status().as_u16(), 200);

    let wrong = post(
        &app,
        "/me/password",
        &[
            ("current_password", "not my password at all"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status().as_u16(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("The current password is not correct.")
    );
    let short = post(
        &app,
        "/me/password",
        &[
            ("current_password", OWNER_PASSWORD),
            ("new_password", "short"),
        ],
    )
    .await;
    assert_eq!(short.status().as_u16(), 422);
    assert_eq!(laptop.get("/w/acme/users").await.status().as_u16(), 200);

    let changed = post(
        &app,
        "/me/password",
        &[
            ("current_password", OWNER_PASSWORD),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(changed.status().as_u16(), 303);
    // This browser stays signed in; the other one goes to the sign-in page.
    let page = app.get("/me").await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("signed out everywhere else")
    );
    let other = laptop.get("/w/acme/users").await;
    assert_eq!(other.status().as_u16(), 303);
    assert!(location(&other).starts_with("/login"));
    assert_eq!(
        app.count("sessions WHERE account_id IS NOT NULL"),
        1,
        "only this browser's session is left"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.password_changed'"),
        1
    );

    let fresh = app.new_client();
    assert_eq!(
        fresh
            .sign_in(OWNER_EMAIL, OWNER_PASSWORD)
            .await
            .status()
            .as_u16(),
        401,
        "the old password no longer works"
    );
    assert_eq!(
        fresh
            .sign_in(OWNER_EMAIL, "a brand new passphrase")
            .await
            .status()
            .as_u16(),
        303
    );
}

#[actix_web::test]
async fn own_sessions_are_listed_and_ended_one_by_one() {
    let app = spawn_app().await;
    app.set_up().await;
    let phone = app.new_client();
    phone.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(phone.get("/me").await.status().as_u16(), 200);

    let page = app.get_text("/me").await;
    let forms = page.matches("/me/sessions/").count();
    assert_eq!(
        forms, 1,
        "the other session can be ended, this one is marked"
    );
    // Told apart by when they signed in, to the minute (the owner reads UTC).
    assert!(
        page.contains("Sign out<span class=\"visually-hidden\"> of ")
            && page.contains(" UTC</time>"),
        "{page}"
    );
    let phone_session = app.first_id(
        "sessions WHERE id = (SELECT MAX(id) FROM sessions WHERE account_id IS NOT NULL)",
    );
    let ended = post(&app, &format!("/me/sessions/{phone_session}/end"), &[]).await;
    assert_eq!(ended.status().as_u16(), 303);
    assert!(location(&phone.get("/me").await).starts_with("/login"));
    assert_eq!(app.get("/me").await.status().as_u16(), 200);

    // Someone else's session id is not ours to end.
    let grace = app.new_client();
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let grace_session = app.first_id(
        "sessions WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')",
    );
    post(&app, &format!("/me/sessions/{grace_session}/end"), &[]).await;
    assert_eq!(grace.get("/me").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_member_sees_only_their_own_page() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let grace = app.new_client();
    let signed_in = grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(location(&signed_in), "/me");
    let page = grace.get_text("/me").await;
    assert!(page.contains("grace.hopper@example.com") && page.contains("Member"));
    assert!(
        !page.contains("href=\"/w/acme/users\""),
        "no console link for a Member"
    );
    let list = grace.get("/w/acme/users").await;
    assert!(matches!(list.status().as_u16(), 303 | 403));
    // Changing one's own names works for a Member too.
    let ok = post(
        &grace,
        "/me/profile",
        &[
            ("first_name", "Grace"),
            ("last_name", "Hopper"),
            ("email", "grace.hopper@example.com"),
            ("timezone", "America/New_York"),
        ],
    )
    .await;
    assert_eq!(ok.status().as_u16(), 303);
}

async fn upload(app: &TestApp, file: &[u8]) -> reqwest::Response {
    upload_to(app, "/me/avatar", file).await
}

async fn upload_to(app: &TestApp, path: &str, file: &[u8]) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    let (content_type, body) = multipart_file(&csrf, "avatar", "me.png", file);
    app.client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut bytes = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

#[actix_web::test]
async fn a_picture_is_uploaded_scaled_served_and_removed() {
    let app = spawn_app().await;
    app.set_up().await;
    // Initials first, as inline SVG.
    let page = app.get_text("/me").await;
    assert!(page.contains("<svg class=\"avatar avatar-xl\"") && page.contains(">AL</text>"));

    let saved = upload(&app, &png(800, 600)).await;
    assert_eq!(saved.status().as_u16(), 303);
    let page = app.get_text("/me").await;
    assert!(page.contains("Picture saved."));
    let start = page.find("src=\"/avatars/").expect("the picture is shown") + 5;
    let url = page[start..].split('"').next().unwrap().to_owned();
    let served = app.get(&url).await;
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(
        served.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let stored = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((stored.width(), stored.height()), (256, 256));
    // The list and the console show it too.
    assert!(app.get_text("/w/acme/users").await.contains(&url));
    assert_eq!(
        app.count("audit_events WHERE action = 'account.avatar_changed'"),
        1
    );

    // A new upload gets a new address; the old one is gone.
    upload(&app, &png(300, 300)).await;
    assert_eq!(app.get(&url).await.status().as_u16(), 404);
    assert_eq!(app.count("avatars"), 1);

    let csrf = app.csrf_token("/me").await;
    let removed = app
        .post_form("/me/avatar/remove", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(removed.status().as_u16(), 303);
    assert_eq!(app.count("avatars"), 0);
    assert!(app.get_text("/me").await.contains(">AL</text>"));
    assert_eq!(
        app.get("/avatars/..%2Fetc.png").await.status().as_u16(),
        404
    );
}

#[actix_web::test]
async fn fake_oversized_or_missing_pictures_are_refused_beside_the_field() {
    let app = spawn_app().await;
    app.set_up().await;
    let mut oversized = png(64, 64);
    oversized.resize(1024 * 1024 + 10, 0);
    for (file, message) in [
        (b"<?php system($_GET['c']); ?>".to_vec(), "not a picture"),
        (
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            "not a picture",
        ),
        (oversized, "the largest allowed is 1 MB"),
        (Vec::new(), "Choose a picture"),
    ] {
        let refused = upload(&app, &file).await;
        assert_eq!(refused.status().as_u16(), 422, "{message}");
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("id=\"avatar-error\"") && html.contains(message),
            "{message}"
        );
    }
    assert_eq!(app.count("avatars"), 0);

    // Without the CSRF token the upload is refused before anything is read.
    let (content_type, body) = multipart_file("wrong-token", "avatar", "me.png", &png(10, 10));
    let forged = app
        .client
        .post(app.url("/me/avatar"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    // Bodies far over any picture are cut off at the door.
    let huge = vec![b'x'; 9 * 1024 * 1024];
    let csrf = app.csrf_token("/me").await;
    let (content_type, body) = multipart_file(&csrf, "avatar", "me.png", &huge);
    let too_large = app
        .client
        .post(app.url("/me/avatar"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status().as_u16(), 413);
    assert!(
        too_large
            .text()
            .await
            .unwrap()
            .contains("this file is larger than the console reads (8 MB). A picture takes 1 MB")
    );
    assert_eq!(app.count("avatars"), 0);
}

#[actix_web::test]
async fn admins_set_a_members_picture_from_the_console_but_not_an_owners() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.add_member(
        "audrey.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let member_of = |email: &str| {
        app.first_id(&format!(
            "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
        ))
    };
    let (alan, owner) = (member_of("alan.turing@example.com"), member_of(OWNER_EMAIL));
    let admin = app.new_client();
    admin
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;

    let fake = upload_to(&admin, &format!("/w/acme/users/{alan}/avatar"), b"GIF89a").await;
    assert_eq!(fake.status().as_u16(), 422);
    assert!(fake.text().await.unwrap().contains("id=\"avatar-error\""));

    let saved = upload_to(
        &admin,
        &format!("/w/acme/users/{alan}/avatar"),
        &png(120, 90),
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    let console = admin.get_text(&format!("/w/acme/users/{alan}")).await;
    assert!(console.contains("Picture saved.") && console.contains("src=\"/avatars/"));
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.avatar_changed' AND workspace_id IS NOT NULL"
        ),
        1
    );

    let on_owner = upload_to(
        &admin,
        &format!("/w/acme/users/{owner}/avatar"),
        &png(10, 10),
    )
    .await;
    assert_eq!(on_owner.status().as_u16(), 403);
    let auditor = app.new_client();
    auditor
        .sign_in("audrey.auditor@example.com", OWNER_PASSWORD)
        .await;
    let refused = upload_to(
        &auditor,
        &format!("/w/acme/users/{alan}/avatar"),
        &png(10, 10),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
    let csrf = auditor.csrf_token("/me").await;
    let refused = auditor
        .post_form(
            &format!("/w/acme/users/{alan}/avatar/remove"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(app.count("avatars"), 1);

    let csrf = admin.csrf_token("/me").await;
    let removed = admin
        .post_form(
            &format!("/w/acme/users/{alan}/avatar/remove"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(removed.status().as_u16(), 303);
    assert_eq!(app.count("avatars"), 0);
}
