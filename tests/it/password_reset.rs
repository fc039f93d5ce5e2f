//! Password reset by email: asking (the same answer for any address), the link (single use, an
//! hour, three live at most, the first used ends the others, opening changes nothing),
//! setting the password (sessions end, this browser signs in), sending a link from a member's
//! console, and clearing a sign-in pause from the console and `/org/accounts`.

use chrono::Duration;

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

use crate::common::{OWNER_EMAIL, OWNER_PASSWORD, TestApp, spawn_app};

const GRACE: &str = "grace.hopper@example.com";
const NEW_PASSWORD: &str = "a fresh and long passphrase";

async fn with_grace() -> TestApp {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app
}

fn reset_emails(app: &TestApp, to: &str) -> i64 {
    app.count(&format!(
        "outbox_emails WHERE to_address = '{to}' AND subject = 'Reset your password'"
    ))
}

/// The link of the newest reset email to `to`, once the request (answered first) has written it.
async fn reset_link(app: &TestApp, to: &str, emails_before: i64) -> String {
    for _ in 0..100 {
        if reset_emails(app, to) > emails_before {
            let body = app.last_email(to, "Reset your password");
            let start = body.find("/password/reset/").expect("a reset link");
            return body[start..].split_whitespace().next().unwrap().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no reset email to {to}");
}

async fn ask(app: &TestApp, email: &str) -> reqwest::Response {
    let browser = app.new_client();
    let csrf = browser.csrf_token("/password/forgot").await;
    browser
        .post_form(
            "/password/forgot",
            &[("csrf_token", csrf.as_str()), ("email", email)],
        )
        .await
}

async fn choose(browser: &TestApp, link: &str, password: &str) -> reqwest::Response {
    let page = browser.get_text(link).await;
    let csrf = crate::common::csrf_in(&page);
    browser
        .post_form(
            link,
            &[("csrf_token", csrf.as_str()), ("password", password)],
        )
        .await
}

#[actix_web::test]
async fn asking_answers_the_same_for_any_address_and_emails_only_real_accounts() {
    let app = with_grace().await;
    app.add_member(
        "blocked.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(
        "UPDATE accounts SET status = 'blocked' WHERE email = 'blocked.person@example.com'",
    );
    let login = app.new_client().get_text("/login").await;
    assert!(login.contains("href=\"/password/forgot\""));

    let known = ask(&app, GRACE).await;
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap();
    let unknown = ask(&app, "nobody@example.com").await;
    assert_eq!(unknown.status(), 200);
    let unknown = unknown.text().await.unwrap();
    let strip = |page: &str, email: &str| {
        page.replace(email, "EMAIL")
            .lines()
            .filter(|l| !l.contains("csrf"))
            .collect::<String>()
    };
    assert_eq!(strip(&known, GRACE), strip(&unknown, "nobody@example.com"));
    assert!(known.contains("If an account uses"));
    reset_link(&app, GRACE, 0).await;
    ask(&app, "blocked.person@example.com").await;
    // Give the background work time to (not) write.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(reset_emails(&app, "nobody@example.com"), 0);
    assert_eq!(reset_emails(&app, "blocked.person@example.com"), 0);
    // Whoever typed the address is not named as its holder.
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.password_reset_requested' \
             AND actor_account_id IS NULL AND actor_label LIKE 'Someone%'"
        ),
        1
    );

    let refused = ask(&app, "not an address").await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("value=\"not an address\"")
    );
}

#[actix_web::test]
async fn the_link_sets_the_password_ends_sessions_and_signs_in_once() {
    let app = with_grace().await;
    let elsewhere = app.new_client();
    assert_eq!(elsewhere.sign_in(GRACE, OWNER_PASSWORD).await.status(), 303);
    ask(&app, GRACE).await;
    let link = reset_link(&app, GRACE, 0).await;

    // Opening the link changes nothing; a short password is refused beside the field.
    let browser = app.new_client();
    let form = browser.get(&link).await;
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains(GRACE));
    let short = choose(&browser, &link, "short").await;
    assert_eq!(short.status(), 422);
    assert!(short.text().await.unwrap().contains("Too short: that is"));

    let done = choose(&browser, &link, NEW_PASSWORD).await;
    assert_eq!(done.status(), 303);
    assert_eq!(crate::common::location(&done), "/me");
    let me = browser.get_text("/me").await;
    assert!(me.contains("Your new password is saved"), "{me}");
    // Signed in with the new password: in the log, as a sign-in on /login is (Grace's own
    // sign-in above is the first).
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE action = 'session.signed_in' AND target_label LIKE '%{GRACE}%'"
        )),
        2
    );
    // The other session ended; the old password no longer works, the new one does.
    assert_eq!(elsewhere.get("/me").await.status(), 303);
    assert_eq!(
        app.new_client()
            .sign_in(GRACE, OWNER_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.new_client().sign_in(GRACE, NEW_PASSWORD).await.status(),
        303
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.password_reset'"),
        1
    );

    // Used: the one dead-link page, for opening and for posting.
    let dead = app.new_client().get(&link).await;
    assert_eq!(dead.status(), 410);
    assert!(
        dead.text()
            .await
            .unwrap()
            .contains("This link no longer works")
    );
    let stranger = app.new_client();
    let csrf = stranger.csrf_token("/login").await;
    let posted = stranger
        .post_form(
            &link,
            &[("csrf_token", csrf.as_str()), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(posted.status(), 410);
}

/// Asking again does not end a link already sent (whoever knows the address cannot kill the one
/// its owner is about to open), three live links at most are sent, the first one used ends the
/// others, and links die after an hour.
#[actix_web::test]
async fn links_work_until_one_is_used_three_live_at_most_and_die_after_an_hour() {
    let app = with_grace().await;
    let mut links = Vec::new();
    for sent in 0..3 {
        ask(&app, GRACE).await;
        links.push(reset_link(&app, GRACE, sent).await);
    }
    for link in &links {
        assert_eq!(app.new_client().get(link).await.status(), 200, "{link}");
    }
    // A fourth request while three are live: the same answer, no email (asked of the service
    // itself, which the page runs after answering, so that nothing is left to chance).
    assert_eq!(ask(&app, GRACE).await.status(), 200);
    let grace = admin_console::domain::Email::parse(GRACE).unwrap();
    admin_console::services::password_reset::request(
        &mut app.conn(),
        &grace,
        None,
        "http://127.0.0.1",
        app.settings.clock.now(),
    )
    .unwrap();
    assert_eq!(
        app.count("account_tokens WHERE purpose = 'password_reset'"),
        3
    );
    assert_eq!(reset_emails(&app, GRACE), 3);
    assert_eq!(
        app.count("audit_events WHERE action = 'account.password_reset_requested'"),
        3
    );
    // The first one used ends the others.
    assert_eq!(
        choose(&app.new_client(), &links[1], NEW_PASSWORD)
            .await
            .status(),
        303
    );
    for link in &links {
        assert_eq!(app.new_client().get(link).await.status(), 410, "{link}");
    }
    // An hour on, links may be asked for again; and they die after an hour.
    app.settings.clock.advance(Duration::minutes(61));
    ask(&app, GRACE).await;
    let later = reset_link(&app, GRACE, 3).await;
    assert_eq!(app.new_client().get(&later).await.status(), 200);
    app.settings.clock.advance(Duration::minutes(61));
    assert_eq!(app.new_client().get(&later).await.status(), 410);
}

/// A new password ends every link still out: a reset link sent before it, and a change of address
/// waiting for its confirmation (whoever asked for either with a stolen session is shut out).
#[actix_web::test]
async fn a_new_password_ends_the_links_sent_before_it() {
    let app = with_grace().await;
    ask(&app, GRACE).await;
    let link = reset_link(&app, GRACE, 0).await;
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    let asked = grace
        .post_fields(
            "/me/profile",
            &[
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("email", "intruder@example.org"),
                ("timezone", "UTC"),
                ("email_password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(asked.status(), 303);
    let body = app.last_email("intruder@example.org", "Confirm your new email address");
    let start = body.find("/email-change/").expect("a confirmation link");
    let confirm = body[start..].split_whitespace().next().unwrap().to_owned();
    let changed = grace
        .post_fields(
            "/me/password",
            &[
                ("current_password", OWNER_PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(app.new_client().get(&link).await.status(), 410);
    assert_eq!(app.new_client().get(&confirm).await.status(), 404);
    assert_eq!(app.count("account_tokens WHERE used_at IS NULL"), 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'account.password_changed' AND changes LIKE '%\"links_ended\":2%'"),
        1
    );
}

/// A block ends the links still out for good: unblocking does not bring them back.
#[actix_web::test]
async fn a_block_ends_the_links_sent_before_it() {
    let app = with_grace().await;
    ask(&app, GRACE).await;
    let link = reset_link(&app, GRACE, 0).await;
    let id = app.membership_of(GRACE);
    for step in ["block", "unblock"] {
        let done = app
            .post_fields(&format!("/w/acme/users/{id}/{step}"), &[])
            .await;
        assert_eq!(done.status(), 303, "{step}");
    }
    assert_eq!(app.new_client().get(&link).await.status(), 410);
    assert_eq!(app.count("account_tokens WHERE used_at IS NULL"), 0);
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.blocked' AND changes LIKE '%\"links_ended\":1%'"
        ),
        1
    );
}

/// A link sent to an address the account no longer has stops working once the address changes.
#[actix_web::test]
async fn a_new_address_ends_the_links_sent_to_the_old_one() {
    let app = with_grace().await;
    ask(&app, GRACE).await;
    let link = reset_link(&app, GRACE, 0).await;
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    let saved = grace
        .post_fields(
            "/me/profile",
            &[
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("email", "grace@navy.example.org"),
                ("timezone", "UTC"),
                ("email_password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(app.new_client().get(&link).await.status(), 200, "not yet");
    let body = app.last_email("grace@navy.example.org", "Confirm your new email address");
    let start = body.find("/email-change/").expect("a confirmation link");
    let confirm = body[start..].split_whitespace().next().unwrap().to_owned();
    let page = grace.get_text(&confirm).await;
    let csrf = crate::common::csrf_in(&page);
    let confirmed = grace
        .post_form(&confirm, &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(
        app.count("accounts WHERE email = 'grace@navy.example.org'"),
        1
    );
    assert_eq!(app.new_client().get(&link).await.status(), 410);
}

#[actix_web::test]
async fn those_who_may_edit_a_member_send_them_a_link_from_the_console() {
    let app = with_grace().await;
    let grace = app.membership_of(GRACE);
    let console = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(console.contains("Send password reset link"));
    let sent = app
        .post_fields(&format!("/w/acme/users/{grace}/password-reset"), &[])
        .await;
    assert_eq!(sent.status(), 303);
    let link = reset_link(&app, GRACE, 0).await;
    assert!(
        app.get_text(&format!("/w/acme/users/{grace}"))
            .await
            .contains("A link to choose a new password was sent to")
    );
    assert_eq!(
        choose(&app.new_client(), &link, NEW_PASSWORD)
            .await
            .status(),
        303
    );

    // A Member may not; nobody sends one to an Owner but an Owner.
    let member = app.new_client();
    assert_eq!(member.sign_in(GRACE, NEW_PASSWORD).await.status(), 303);
    let ada = app.membership_of(OWNER_EMAIL);
    let refused = member
        .post_fields(&format!("/w/acme/users/{ada}/password-reset"), &[])
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(reset_emails(&app, OWNER_EMAIL), 0);
}

#[actix_web::test]
async fn a_paused_account_is_shown_and_cleared_from_the_console_and_the_accounts_page() {
    let app = with_grace().await;
    for _ in 0..9 {
        app.new_client().sign_in(GRACE, "wrong password!").await;
    }
    assert_eq!(
        app.new_client()
            .sign_in(GRACE, OWNER_PASSWORD)
            .await
            .status(),
        429
    );
    let grace = app.membership_of(GRACE);
    let console = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(console.contains("Sign-in paused until"), "{console}");
    assert!(console.contains("failed attempts"), "{console}");
    // To the second: a pause lasts seconds.
    let until = &console[console.find("Sign-in paused until").unwrap()..];
    let time = until.split(", ").nth(1).unwrap_or_default();
    assert!(
        time.len() > 8 && time.as_bytes()[2] == b':' && time.as_bytes()[5] == b':',
        "hh:mm:ss: {until:.80}"
    );
    let accounts = app.get_text("/org/accounts").await;
    assert!(accounts.contains("Sign-in paused until"));

    let cleared = app
        .post_fields(&format!("/w/acme/users/{grace}/sign-in-pause/clear"), &[])
        .await;
    assert_eq!(cleared.status(), 303);
    assert_eq!(
        app.new_client()
            .sign_in(GRACE, OWNER_PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.sign_in_cleared'"),
        1
    );

    // From /org/accounts too.
    for _ in 0..5 {
        app.new_client().sign_in(GRACE, "wrong password!").await;
    }
    let account = app.first_id(&format!("accounts WHERE email = '{GRACE}'"));
    let cleared = app
        .post_fields(&format!("/org/accounts/{account}/sign-in-pause/clear"), &[])
        .await;
    assert_eq!(crate::common::location(&cleared), "/org/accounts");
    assert_eq!(
        app.new_client()
            .sign_in(GRACE, OWNER_PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.sign_in_cleared'"),
        2
    );
    // Cleared again, with no pause left: nothing changed, said as a warning.
    let again = app
        .post_fields(&format!("/w/acme/users/{grace}/sign-in-pause/clear"), &[])
        .await;
    assert_eq!(again.status(), 303);
    let page = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        page.contains("alert-warning") && page.contains("the pause had ended already"),
        "{page}"
    );
}

#[actix_web::test]
async fn an_address_that_asked_fifty_times_waits() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(ask(&app, OWNER_EMAIL).await.status(), 200);
    let link = reset_link(&app, OWNER_EMAIL, 0).await;
    for i in 0..49 {
        assert_eq!(ask(&app, &format!("n{i}@example.com")).await.status(), 200);
    }
    // The counting happens after the answer: give it a moment.
    for _ in 0..100 {
        if ask(&app, "again@example.com").await.status() == 429 {
            // The reset link's form, sent from this address now, waits too, and still says
            // whose password it sets.
            let sent = choose(&app.new_client(), &link, "a brand new passphrase").await;
            assert_eq!(sent.status(), 429);
            let page = sent.text().await.unwrap();
            assert!(page.contains(OWNER_EMAIL), "{page}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the 51st request was not refused");
}
