//! HTTP tests of changing an email address (issue 4) on each backend: from a user's console and
//! from `/me`, confirmed only through the link sent to the new address; duplicates, bad input,
//! dead links, an address taken before confirmation, cancelling, and who may do it.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";

fn membership_of(app: &TestApp, email: &str) -> i64 {
    app.first_id(&format!(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
    ))
}

/// The token of the newest email-change link written to `address`.
fn link_token(app: &TestApp, address: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text_body: String,
    }
    let bodies: Vec<Body> = diesel::sql_query(format!(
        "SELECT text_body FROM outbox_emails WHERE to_address = '{address}' ORDER BY id DESC"
    ))
    .load(&mut *app.conn())
    .expect("outbox");
    let body = &bodies
        .first()
        .expect("an email to the new address")
        .text_body;
    let start = body.find("/email-change/").expect("a link") + "/email-change/".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn post(app: &TestApp, page: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token(page).await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

fn profile(email: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("email", email),
        ("timezone", "UTC"),
    ]
}

/// Opens the link in a browser of its own and presses the button; returns the final response.
async fn confirm(app: &TestApp, token: &str) -> reqwest::Response {
    let browser = app.new_client();
    let page = browser.get(&format!("/email-change/{token}")).await;
    if page.status().as_u16() != 200 {
        return page;
    }
    let csrf = csrf_in(&page.text().await.unwrap());
    browser
        .post_form(
            &format!("/email-change/{token}"),
            &[("csrf_token", csrf.as_str())],
        )
        .await
}

#[actix_web::test]
async fn an_admin_changes_an_email_and_it_takes_effect_once_confirmed() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    let console = format!("/w/acme/users/{id}");

    let saved = post(
        &app,
        &console,
        &format!("{console}/profile"),
        &profile("Grace@Navy.example.org"),
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    let page = app.get_text(&console).await;
    assert!(page.contains("A confirmation link was sent to grace@navy.example.org"));
    assert!(
        page.contains("changes once they confirm it"),
        "Grace confirms: {page}"
    );
    assert!(page.contains("Waiting for confirmation") && page.contains("grace@navy.example.org"));
    assert_eq!(
        app.count(&format!("accounts WHERE email = '{GRACE}'")),
        1,
        "not changed yet"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.email_change_requested'"),
        1
    );

    let token = link_token(&app, "grace@navy.example.org");
    // Opening the link changes nothing; the button does.
    let shown = app
        .new_client()
        .get(&format!("/email-change/{token}"))
        .await;
    assert_eq!(shown.status().as_u16(), 200);
    let html = shown.text().await.unwrap();
    assert!(html.contains(GRACE) && html.contains("grace@navy.example.org"));
    assert_eq!(app.count(&format!("accounts WHERE email = '{GRACE}'")), 1);

    let done = confirm(&app, &token).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/login?email_changed=1");
    assert!(
        app.new_client()
            .get_text("/login?email_changed=1")
            .await
            .contains("Your email address was changed: sign in with the new one.")
    );
    assert_eq!(
        app.count("accounts WHERE email = 'grace@navy.example.org'"),
        1
    );
    assert_eq!(
        app.count("memberships WHERE sort_email = 'grace@navy.example.org'"),
        1,
        "the list's email order follows"
    );
    assert_eq!(
        app.count(&format!("outbox_emails WHERE to_address = '{GRACE}'")),
        1,
        "the old address is told"
    );
    // In the log of the workspace that asked, beside the request.
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.email_changed' \
             AND workspace_id = (SELECT id FROM workspaces WHERE slug = 'acme')"
        ),
        1
    );
    assert!(
        app.get_text("/w/acme/audit")
            .await
            .contains("confirmed a new email address")
    );
    assert!(
        app.get_text("/w/acme/users?q=navy")
            .await
            .contains("grace@navy.example.org")
    );

    // Sign-in follows the address; the link works once.
    let grace = app.new_client();
    assert_eq!(
        grace.sign_in(GRACE, OWNER_PASSWORD).await.status().as_u16(),
        401
    );
    assert_eq!(
        grace
            .sign_in("grace@navy.example.org", OWNER_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(confirm(&app, &token).await.status().as_u16(), 404);
}

#[actix_web::test]
async fn duplicates_and_bad_addresses_are_refused_beside_the_field() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    let console = format!("/w/acme/users/{id}");
    for (typed, message) in [
        (
            "ADA@example.com",
            "Another account already uses this address.",
        ),
        ("not an address", "email"),
        ("", "email"),
    ] {
        let refused = post(
            &app,
            &console,
            &format!("{console}/profile"),
            &profile(typed),
        )
        .await;
        assert_eq!(refused.status().as_u16(), 422, "{typed}");
        let html = refused.text().await.unwrap();
        assert!(html.contains("id=\"email-error\""), "{typed}");
        assert!(html.contains(message), "{typed}");
        assert!(
            html.contains(&format!("value=\"{typed}\"")),
            "kept as typed: {typed}"
        );
    }
    assert_eq!(app.count("account_tokens"), 0);
    assert_eq!(app.count("outbox_emails"), 0);
    assert_eq!(
        app.count("audit_events WHERE action LIKE 'account.email%'"),
        0
    );
}

#[actix_web::test]
async fn a_newer_request_or_a_cancel_kills_the_link_and_a_taken_address_changes_nothing() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    let console = format!("/w/acme/users/{id}");

    post(
        &app,
        &console,
        &format!("{console}/profile"),
        &profile("first@example.org"),
    )
    .await;
    let first = link_token(&app, "first@example.org");
    post(
        &app,
        &console,
        &format!("{console}/profile"),
        &profile("second@example.org"),
    )
    .await;
    let second = link_token(&app, "second@example.org");
    assert_eq!(
        confirm(&app, &first).await.status().as_u16(),
        404,
        "replaced"
    );

    let cancelled = post(
        &app,
        &console,
        &format!("{console}/email-change/cancel"),
        &[],
    )
    .await;
    assert_eq!(cancelled.status().as_u16(), 303);
    let page = app.get_text(&console).await;
    assert!(page.contains("alert-success") && page.contains("Email change cancelled"));
    // Cancelling again changes nothing, and says so as a warning, not a success.
    post(
        &app,
        &console,
        &format!("{console}/email-change/cancel"),
        &[],
    )
    .await;
    let page = app.get_text(&console).await;
    assert!(page.contains("alert-warning") && page.contains("no email change waiting"));
    assert_eq!(
        confirm(&app, &second).await.status().as_u16(),
        404,
        "cancelled"
    );

    // Someone else takes the address between the request and the confirmation.
    post(
        &app,
        &console,
        &format!("{console}/profile"),
        &profile("third@example.org"),
    )
    .await;
    let third = link_token(&app, "third@example.org");
    app.add_member(
        "third@example.org",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let taken = confirm(&app, &third).await;
    assert_eq!(taken.status().as_u16(), 409);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("Another account took this address")
    );
    assert_eq!(app.count(&format!("accounts WHERE email = '{GRACE}'")), 1);
    assert_eq!(
        app.count("audit_events WHERE action = 'account.email_changed'"),
        0
    );

    assert_eq!(
        confirm(&app, "not-a-real-token").await.status().as_u16(),
        404
    );
}

#[actix_web::test]
async fn only_those_who_may_edit_the_member_can_change_the_address() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    app.add_member(
        "audrey.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let owner = membership_of(&app, OWNER_EMAIL);
    let grace_id = membership_of(&app, GRACE);

    let admin = app.new_client();
    admin.sign_in(GRACE, OWNER_PASSWORD).await;
    let on_owner = format!("/w/acme/users/{owner}");
    let refused = post(
        &admin,
        &on_owner,
        &format!("{on_owner}/profile"),
        &[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "stolen@example.org"),
            ("timezone", "UTC"),
        ],
    )
    .await;
    assert_eq!(
        refused.status().as_u16(),
        403,
        "an Admin cannot redirect an Owner's email"
    );

    let auditor = app.new_client();
    auditor
        .sign_in("audrey.auditor@example.com", OWNER_PASSWORD)
        .await;
    let on_grace = format!("/w/acme/users/{grace_id}");
    let refused = post(
        &auditor,
        &on_grace,
        &format!("{on_grace}/profile"),
        &profile("x@example.org"),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
    let refused = post(
        &auditor,
        &on_grace,
        &format!("{on_grace}/email-change/cancel"),
        &[],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(app.count("account_tokens"), 0);
}

/// Ada asks, on her profile, for her address to become `email`.
async fn ask_for(app: &TestApp, email: &str) -> reqwest::Response {
    let fields = [
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", email),
        ("timezone", "UTC"),
        ("email_password", OWNER_PASSWORD),
    ];
    post(app, "/me", "/me/profile", &fields).await
}

#[actix_web::test]
async fn a_person_changes_their_own_address_from_their_profile() {
    let app = spawn_app().await;
    app.set_up().await;
    let saved = ask_for(&app, "countess@example.org").await;
    assert_eq!(saved.status().as_u16(), 303);
    let page = app.get_text("/me").await;
    assert!(page.contains("Waiting for confirmation") && page.contains("countess@example.org"));
    let token = link_token(&app, "countess@example.org");
    assert_eq!(
        location(&confirm(&app, &token).await),
        "/login?email_changed=1",
        "confirmed in a browser that is not signed in"
    );
    assert!(app.get_text("/me").await.contains("countess@example.org"));
    assert_eq!(
        app.count("accounts WHERE email = 'countess@example.org'"),
        1
    );

    // Cancelling from /me.
    ask_for(&app, "again@example.org").await;
    let token = link_token(&app, "again@example.org");
    assert_eq!(
        post(&app, "/me", "/me/email-change/cancel", &[])
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(confirm(&app, &token).await.status().as_u16(), 404);
    post(&app, "/me", "/me/email-change/cancel", &[]).await;
    let page = app.get_text("/me").await;
    assert!(page.contains("alert-warning") && page.contains("no email change waiting"));
    // A link asked for before the account was blocked changes nothing while it is.
    ask_for(&app, "blocked@example.org").await;
    let token = link_token(&app, "blocked@example.org");
    app.execute("UPDATE accounts SET status = 'blocked'");
    let refused = confirm(&app, &token).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("This account is blocked")
    );
    assert_eq!(app.count("accounts WHERE email = 'blocked@example.org'"), 0);
}

#[actix_web::test]
async fn a_corrected_address_ends_the_old_invitation_link_and_sends_a_new_one_there() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("typo@example.com", "member").await;
    let old_link = app.token_for("typo@example.com");
    let id = membership_of(&app, "typo@example.com");
    let console = format!("/w/acme/users/{id}");
    let saved = post(
        &app,
        &console,
        &format!("{console}/profile"),
        &profile("real@example.com"),
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    let token = link_token(&app, "real@example.com");
    let confirmed = confirm(&app, &token).await;
    assert_eq!(location(&confirmed), "/login?email_changed=invited");
    // Someone who has not joined has no password to sign in with: the page says where to go.
    let login = app
        .new_client()
        .get_text("/login?email_changed=invited")
        .await;
    assert!(
        login.contains("your invitation was sent to it again"),
        "{login}"
    );
    assert_eq!(app.count("accounts WHERE email = 'real@example.com'"), 1);

    // Whoever reads the old mailbox no longer joins as the corrected address.
    let dead = app.new_client().get(&format!("/invite/{old_link}")).await;
    assert_eq!(dead.status().as_u16(), 404);
    // The invitation went to the new address at once, as its inviter's, and that link works;
    // the list says it was sent again.
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'invitation.resent' AND target_label = 'real@example.com'"
        ),
        1
    );
    assert_eq!(
        app.count(
            "outbox_emails WHERE to_address = 'real@example.com' \
             AND subject = 'Ada Lovelace invited you to Acme HQ'"
        ),
        1
    );
    assert!(
        app.get_text("/w/acme/users")
            .await
            .contains("Invited 2 times"),
        "the row counts the second sending"
    );
    let fresh = app.token_for("real@example.com");
    let (_, joined) = app.accept_as_new(&fresh, "Real", "Person").await;
    assert_eq!(joined.status().as_u16(), 303);
    assert_eq!(app.count("memberships WHERE status = 'active'"), 2);
}

/// A session left open is not enough to move an account to another mailbox (where its password
/// resets would then go): a new address on one's own profile takes the current password, checked
/// like a sign-in; one's own console does not change one's address at all.
#[actix_web::test]
async fn a_new_own_address_takes_the_current_password() {
    let app = spawn_app().await;
    app.set_up().await;
    let fields = |password: &'static str| {
        vec![
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "thief@example.org"),
            ("timezone", "UTC"),
            ("email_password", password),
        ]
    };
    let missing = post(&app, "/me", "/me/profile", &fields("")).await;
    assert_eq!(missing.status().as_u16(), 422);
    let html = missing.text().await.unwrap();
    assert!(
        html.contains("id=\"email_password-error\"")
            && html.contains("Enter your current password to change your email address.")
            && html.contains("value=\"thief@example.org\""),
        "beside the field, the form as typed"
    );
    let wrong = post(&app, "/me", "/me/profile", &fields("not my password")).await;
    assert_eq!(wrong.status().as_u16(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That password is not correct.")
    );
    assert_eq!(
        app.count("outbox_emails WHERE to_address = 'thief@example.org'"),
        0
    );
    assert_eq!(app.count("account_tokens"), 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'account.own_check_failed'"),
        1,
        "a wrong password counts as a failed sign-in"
    );
    // Names and time zone alone need no password.
    let renamed = post(
        &app,
        "/me",
        "/me/profile",
        &[
            ("first_name", "Augusta"),
            ("last_name", "Lovelace"),
            ("email", OWNER_EMAIL),
            ("timezone", "UTC"),
        ],
    )
    .await;
    assert_eq!(renamed.status().as_u16(), 303);

    // Her own console shows her address read-only, saying where it changes; sent anyway, it is
    // refused beside the field.
    let own = membership_of(&app, OWNER_EMAIL);
    let console = format!("/w/acme/users/{own}");
    let page = app.get_text(&console).await;
    assert!(
        page.contains("readonly aria-describedby=\"email-hint\"")
            && page.contains("Change your own email address from your profile"),
        "{page}"
    );
    let refused = post(
        &app,
        &console,
        &format!("{console}/profile"),
        &[
            ("first_name", "Augusta"),
            ("last_name", "Lovelace"),
            ("email", "thief@example.org"),
            ("timezone", "UTC"),
        ],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"email-error\"") && html.contains("from your profile"),
        "{html}"
    );
    assert_eq!(app.count("account_tokens"), 0);
}

/// Asking to change one's own address counts, sent or refused because another account has it:
/// five go at once, then each waits a little longer, so that a session cannot probe which
/// addresses have accounts, or have the console mail outside addresses, without limit.
#[actix_web::test]
async fn asking_to_change_ones_own_address_too_often_waits() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    for (i, (email, status)) in [
        ("one@example.org", 303),
        (GRACE, 422),
        ("two@example.org", 303),
        (GRACE, 422),
        ("three@example.org", 303),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(ask_for(&app, email).await.status().as_u16(), status, "{i}");
    }
    // The fifth began a wait (a second); made longer here, so that the test does not race the
    // clock.
    app.execute(
        "UPDATE sign_in_throttles SET paused_until = '2999-01-01 00:00:00' \
         WHERE key LIKE 'email-change:%'",
    );
    for email in ["four@example.org", GRACE] {
        let waits = ask_for(&app, email).await;
        assert_eq!(waits.status().as_u16(), 422);
        let html = waits.text().await.unwrap();
        assert!(
            html.contains(
                "You asked to change your address several times in a short while: try again in"
            ) && html.contains("id=\"email-error\""),
            "{email}: {html}"
        );
    }
    assert_eq!(app.count("account_tokens WHERE used_at IS NULL"), 1);
    // Names alone are saved all the same.
    assert_eq!(ask_for(&app, OWNER_EMAIL).await.status().as_u16(), 303);
    // The wait over, the next one goes.
    app.execute(
        "UPDATE sign_in_throttles SET paused_until = '2000-01-01 00:00:00' \
         WHERE key LIKE 'email-change:%'",
    );
    assert_eq!(
        ask_for(&app, "four@example.org").await.status().as_u16(),
        303
    );
}

/// A member without a password yet (added by an identity provider or from Slack) whose address
/// an administrator changes gets, once it is confirmed, a new link to choose one at the new
/// address: the one sent to the old address stopped working.
#[actix_web::test]
async fn a_member_without_a_password_gets_a_new_link_at_the_new_address() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(
        "nopass@example.com",
        admin_console::domain::role::BuiltInRole::Member,
        admin_console::domain::membership::MembershipStatus::Active,
    );
    app.execute("UPDATE accounts SET password_hash = NULL WHERE email = 'nopass@example.com'");
    let id = membership_of(&app, "nopass@example.com");
    let console = format!("/w/acme/users/{id}");
    let saved = post(
        &app,
        &console,
        &format!("{console}/profile"),
        &profile("moved@example.com"),
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    let token = link_token(&app, "moved@example.com");
    let confirmed = confirm(&app, &token).await;
    assert_eq!(location(&confirmed), "/login?email_changed=welcome");
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.welcome_link_sent' \
             AND target_label = 'moved@example.com'"
        ),
        1
    );
    let login = app
        .new_client()
        .get_text("/login?email_changed=welcome")
        .await;
    assert!(
        login.contains("a link to choose your password was sent"),
        "{login}"
    );
}
