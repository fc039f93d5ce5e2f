//! Two-factor sign-in over HTTP: enrolling with a code computed here (RFC 6238), the second step
//! of signing in (each code once, ±1 step, recovery codes once, failures throttled), turning it
//! off, and an administrator's reset.

use chrono::Duration;

use admin_console::domain::totp;

use crate::common::{
    OWNER_EMAIL, OWNER_PASSWORD, TestApp, csrf_in, location, spawn_app, spawn_with_member,
};

/// RFC 4648 base32 (no padding), as the page shows the key.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars() {
        bits = (bits << 5) | ALPHABET.find(c).expect("base32") as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

pub fn secret_in(page: &str) -> Vec<u8> {
    let marker = "<code class=\"secret\">";
    let start = page.find(marker).expect("the key on the page") + marker.len();
    base32_decode(&page[start..page[start..].find('<').unwrap() + start])
}

pub fn code_now(app: &TestApp, secret: &[u8]) -> String {
    let now = app.settings.clock.now().and_utc().timestamp();
    totp::code_at(secret, totp::step_of(now))
}

/// Turns two-factor on for the signed-in client; the key and the recovery codes.
pub async fn enrol(app: &TestApp) -> (Vec<u8>, Vec<String>) {
    let page = app.get_text("/me/two-factor").await;
    assert!(page.contains("<svg"), "a QR code");
    assert!(page.contains("otpauth://totp/"), "the URI as text");
    let secret = secret_in(&page);
    let done = app
        .post_fields(
            "/me/two-factor",
            &[
                ("password", OWNER_PASSWORD),
                ("code", &code_now(app, &secret)),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    let page = done.text().await.unwrap();
    let codes: Vec<String> = page
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes shown once");
    assert!(page.contains("Two-factor sign-in is on."));
    let file = format!("{}%0A{}", codes[0], codes[1]);
    assert!(
        page.contains("download=\"recovery-codes.txt\"") && page.contains(&file),
        "the codes as a file to keep: {page}"
    );
    (secret, codes)
}

/// Signs in with the password: the second step is asked for.
async fn password_step(app: &TestApp) -> TestApp {
    let browser = app.new_client();
    let response = browser.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login/two-factor");
    browser
}

async fn second_step(browser: &TestApp, code: &str) -> reqwest::Response {
    let page = browser.get_text("/login/two-factor").await;
    // A wait that is over sends the page back to /login: its form's token is the session's too.
    let csrf = match page.contains("name=\"csrf_token\"") {
        true => csrf_in(&page),
        false => csrf_in(&browser.get_text("/login").await),
    };
    browser
        .post_form(
            "/login/two-factor",
            &[("csrf_token", csrf.as_str()), ("code", code)],
        )
        .await
}

#[actix_web::test]
async fn enrolling_then_signing_in_takes_a_code_once() {
    let app = spawn_app().await;
    app.set_up().await;
    // A wrong first code is refused beside the field and nothing is turned on.
    let page = app.get_text("/me/two-factor").await;
    let secret = secret_in(&page);
    assert!(
        page.contains(r#"name="code" type="text" inputmode="numeric""#),
        "a phone shows its number pad for the app's code"
    );
    assert!(
        app.get_text("/me/two-factor")
            .await
            .contains(&totp::base32(&secret)),
        "a reload shows the same key"
    );
    let wrong = app
        .post_fields(
            "/me/two-factor",
            &[("password", OWNER_PASSWORD), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains(
        "That code is not right (or was used already). Enter the 6-digit code your app shows now.</"
    ));
    // The right code without the password (a session left open) turns nothing on.
    let no_password = app
        .post_fields(
            "/me/two-factor",
            &[("password", "guess"), ("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(no_password.status(), 422);
    let page = no_password.text().await.unwrap();
    assert!(
        page.contains("That password is not correct.") && page.contains(&totp::base32(&secret)),
        "said beside the field, the same key kept: {page}"
    );
    assert_eq!(app.count("accounts WHERE totp_enabled_at IS NOT NULL"), 0);
    // Left empty, the password is asked for (not called wrong).
    let empty = app
        .post_fields(
            "/me/two-factor",
            &[("password", ""), ("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Enter your password."));
    let (secret, _) = enrol(&app).await;
    assert_eq!(app.count("recovery_codes"), 10);
    assert_eq!(
        app.count("audit_events WHERE action = 'account.two_factor_enabled'"),
        1
    );
    // The key is stored sealed, not as the base32 people see.
    assert_eq!(
        app.count(&format!(
            "accounts WHERE totp_secret LIKE '%{}%'",
            totp::base32(&secret)
        )),
        0
    );

    // The password alone does not sign in.
    let browser = password_step(&app).await;
    assert_eq!(browser.get("/me").await.status(), 303);
    let refused = second_step(&browser, "123456").await;
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("or one of your unused recovery codes"),
        "a recovery code is taken here too"
    );
    // The code of the previous step still works (clock drift); then not again. (Enrolling used
    // the step two back.)
    app.settings.clock.advance(Duration::seconds(60));
    let now = app.settings.clock.now().and_utc().timestamp();
    let previous = totp::code_at(&secret, totp::step_of(now) - 1);
    let signed = second_step(&browser, &previous).await;
    assert_eq!(signed.status(), 303);
    assert_eq!(location(&signed), "/w/acme/users");
    assert_eq!(browser.get("/me").await.status(), 200);
    let again = password_step(&app).await;
    assert_eq!(second_step(&again, &previous).await.status(), 401);
    assert_eq!(
        second_step(&again, &totp::code_at(&secret, totp::step_of(now) - 2))
            .await
            .status(),
        401
    );
}

#[actix_web::test]
async fn recovery_codes_work_once_and_wrong_codes_count_toward_the_pause() {
    let app = spawn_app().await;
    app.set_up().await;
    let (_, codes) = enrol(&app).await;
    let browser = password_step(&app).await;
    let signed = second_step(&browser, &codes[0].to_uppercase()).await;
    assert_eq!(signed.status(), 303);
    assert!(browser.get_text("/me").await.contains("9 left"));
    assert_eq!(
        app.count("audit_events WHERE action = 'session.recovery_code_used'"),
        1
    );
    let again = password_step(&app).await;
    assert_eq!(second_step(&again, &codes[0]).await.status(), 401);

    // Wrong codes count toward the account's pause like wrong passwords.
    for _ in 0..4 {
        assert_eq!(second_step(&again, "999999").await.status(), 401);
    }
    let paused = second_step(&again, &codes[1]).await;
    assert_eq!(paused.status(), 429);
    assert!(paused.headers().contains_key("retry-after"));
}

/// A second step begun before the account changed its password (which signs it out everywhere)
/// does not finish: it starts again at the password.
#[actix_web::test]
async fn a_new_password_ends_a_second_step_under_way() {
    let app = spawn_app().await;
    app.set_up().await;
    let (_, codes) = enrol(&app).await;
    let thief = password_step(&app).await;
    let changed = app
        .post_fields(
            "/me/password",
            &[
                ("current_password", OWNER_PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    // The step's page sends back to /login, which says why.
    let back = thief.get("/login/two-factor").await;
    assert_eq!(location(&back), "/login?expired=1");
    assert!(
        thief
            .get_text("/login?expired=1")
            .await
            .contains("or something changed meanwhile")
    );
    let refused = second_step(&thief, &codes[0]).await;
    assert_eq!(refused.status(), 303);
    assert_eq!(location(&refused), "/login");
    assert_eq!(thief.get("/me").await.status(), 303, "not signed in");
    assert_eq!(
        app.count("audit_events WHERE action = 'session.recovery_code_used'"),
        0,
        "the code was not even tried"
    );
}

#[actix_web::test]
async fn turning_it_off_takes_the_password_and_a_code() {
    let app = spawn_app().await;
    app.set_up().await;
    let (secret, _) = enrol(&app).await;
    let wrong_password = turn_off(&app, "not my password", &code_now(&app, &secret)).await;
    assert_eq!(wrong_password.status(), 422);
    let wrong_code = turn_off(&app, OWNER_PASSWORD, "000000").await;
    assert_eq!(wrong_code.status(), 422);
    assert_eq!(app.count("accounts WHERE totp_enabled_at IS NOT NULL"), 1);
    app.settings.clock.advance(Duration::seconds(30));
    let off = turn_off(&app, OWNER_PASSWORD, &code_now(&app, &secret)).await;
    assert_eq!(off.status(), 303);
    assert_eq!(app.count("accounts WHERE totp_enabled_at IS NOT NULL"), 0);
    assert_eq!(app.count("recovery_codes"), 0);
    // From a tab that still shows it on: the page as it is now, saying so above it.
    let again = turn_off(&app, OWNER_PASSWORD, "123456").await;
    assert_eq!(location(&again), "/me/two-factor");
    let page = app.get_text("/me/two-factor").await;
    assert!(
        page.contains("alert-warning") && page.contains("Two-factor sign-in is off already"),
        "{page}"
    );
    assert_eq!(
        app.new_client()
            .sign_in(OWNER_EMAIL, OWNER_PASSWORD)
            .await
            .status(),
        303
    );
}

async fn turn_off(app: &TestApp, password: &str, code: &str) -> reqwest::Response {
    app.post_fields(
        "/me/two-factor/disable",
        &[("password", password), ("off_code", code)],
    )
    .await
}

#[actix_web::test]
async fn admins_see_and_reset_a_members_two_factor_and_the_list_filters_by_it() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    enrol(&grace).await;
    let id = app.membership_of("grace.hopper@example.com");
    let console = app.get_text(&format!("/w/acme/users/{id}")).await;
    assert!(console.contains("Two-factor sign-in"));
    assert!(console.contains("On since"));
    let off = app.get_text("/w/acme/users?status=two_factor_off").await;
    assert!(off.contains(OWNER_EMAIL) && !off.contains("grace.hopper@example.com"));

    let dialog = app
        .get_text(&format!("/w/acme/users/{id}/two-factor/reset"))
        .await;
    assert!(dialog.contains("two-factor sign-in?"), "{dialog}");
    let reset = app
        .post_fields(&format!("/w/acme/users/{id}/two-factor/reset"), &[])
        .await;
    assert_eq!(reset.status(), 303);
    assert_eq!(app.count("accounts WHERE totp_enabled_at IS NOT NULL"), 0);
    // Off now: nothing to reset, nothing asked.
    let dialog = app
        .get(&format!("/w/acme/users/{id}/two-factor/reset"))
        .await;
    assert_eq!(dialog.status(), 409);
    assert!(dialog.text().await.unwrap().contains("nothing to reset"));
    assert_eq!(
        app.count("audit_events WHERE action = 'account.two_factor_reset'"),
        1
    );
    let off = app.get_text("/w/acme/users?status=two_factor_off").await;
    assert!(off.contains("grace.hopper@example.com"));
}

#[actix_web::test]
async fn a_workspace_can_require_two_factor_of_owners_and_admins() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "mona.member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    // Not before the Owner has it themselves: the page says so before they try.
    let settings = app.get_text("/w/acme/settings").await;
    assert!(settings.contains("Yours is off"), "{settings}");
    // The Owner and the Admin (not the Member) would be sent to set it up.
    assert!(settings.contains("2 Owners and Admins here have it off."));
    let refused = app
        .post_fields("/w/acme/settings/two-factor", &[("require", "on")])
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Turn on your own two-factor"));
    // The box as ticked, beside its message.
    assert!(
        page.contains("name=\"require\" value=\"on\" checked"),
        "{page}"
    );
    enrol(&app).await;
    let settings = app.get_text("/w/acme/settings").await;
    assert!(!settings.contains("Yours is off"));
    assert!(settings.contains("1 Owner or Admin here has it off."));
    let saved = app
        .post_fields("/w/acme/settings/two-factor", &[("require", "on")])
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(app.count("workspaces WHERE require_two_factor"), 1);
    assert!(
        app.get_text("/w/acme/audit")
            .await
            .contains("required of: nobody → Owners and Admins")
    );
    assert_eq!(
        app.get("/w/acme/users").await.status(),
        200,
        "the Owner has it"
    );

    // The Admin without it is sent to enrol before any page; a form is refused.
    let admin = app.new_client();
    admin
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let sent = admin.get("/w/acme/users").await;
    assert_eq!(sent.status(), 303);
    assert_eq!(location(&sent), "/me/two-factor?required=acme");
    assert!(
        admin
            .get_text("/me/two-factor?required=acme")
            .await
            .contains("requires two-factor sign-in for Owners and Admins")
    );
    let form = admin
        .post_fields("/w/acme/groups", &[("name", "Ops"), ("description", "")])
        .await;
    assert_eq!(form.status(), 403);
    // Nor, as an org admin, through the organization's pages: she acts as an Owner here too.
    app.execute("UPDATE accounts SET org_role = 'admin' WHERE email = 'grace.hopper@example.com'");
    let mona = app.first_id("accounts WHERE email = 'mona.member@example.com'");
    let block = admin
        .post_fields(&format!("/org/accounts/{mona}/block"), &[])
        .await;
    assert_eq!(block.status(), 403);
    assert!(
        block
            .text()
            .await
            .unwrap()
            .contains("requires two-factor sign-in")
    );
    assert_eq!(app.count("accounts WHERE status = 'blocked'"), 0);
    // A refused block's form shown again is still a change: refused, not sent to enrol.
    let long = "x".repeat(600);
    let again = admin
        .post_fields(
            &format!("/org/accounts/{mona}/block"),
            &[("reason", long.as_str())],
        )
        .await;
    assert_eq!(again.status(), 403);
    // Nor through another workspace's console, where what only the org role allows reaches the
    // people of this one: a block, a change of a shared account. What that workspace's own Admins
    // may do stays hers there.
    app.invite_to_new_workspace("solo", "mona.member@example.com")
        .await;
    app.execute(
        "UPDATE memberships SET status = 'active', joined_at = CURRENT_TIMESTAMP \
         WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'solo')",
    );
    let in_solo = app.first_id(&format!(
        "memberships WHERE account_id = {mona} \
         AND workspace_id = (SELECT id FROM workspaces WHERE slug = 'solo')"
    ));
    let console = format!("/w/solo/users/{in_solo}");
    let profile = [
        ("first_name", "Mona"),
        ("last_name", "Taken"),
        ("email", "someone.else@example.com"),
        ("timezone", "UTC"),
    ];
    for (path, fields) in [
        (format!("{console}/block"), &[][..]),
        (format!("{console}/profile"), &profile[..]),
    ] {
        let refused = admin.post_fields(&path, fields).await;
        assert_eq!(refused.status(), 403, "{path}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("requires two-factor sign-in"),
            "{path}"
        );
    }
    assert_eq!(admin.get(&format!("{console}/block")).await.status(), 403);
    assert_eq!(app.count("accounts WHERE status = 'blocked'"), 0);
    assert_eq!(app.count("accounts WHERE last_name = 'Taken'"), 0);
    assert_eq!(
        app.count("account_tokens WHERE purpose = 'email_change'"),
        0
    );
    let suspended = admin.post_fields(&format!("{console}/suspend"), &[]).await;
    assert_eq!(suspended.status(), 303);
    // Its pages, which list that workspace's people, send her to enrol as the workspace's do.
    for page in [
        "/org/accounts".to_owned(),
        format!("/org/accounts/{mona}/block"),
        "/org/workspaces".to_owned(),
        "/org/audit".to_owned(),
        "/org/audit.csv".to_owned(),
    ] {
        let sent = admin.get(&page).await;
        assert_eq!(sent.status(), 303, "{page}");
        assert_eq!(location(&sent), "/me/two-factor?required=acme", "{page}");
    }
    enrol(&admin).await;
    assert_eq!(admin.get("/org/accounts").await.status(), 200);
    assert_eq!(admin.get("/org/audit").await.status(), 200);
    let block = admin
        .post_fields(&format!("/org/accounts/{mona}/block"), &[])
        .await;
    assert_eq!(block.status(), 303);
    let unblock = admin
        .post_fields(&format!("/org/accounts/{mona}/unblock"), &[])
        .await;
    assert_eq!(unblock.status(), 303);
    assert_eq!(admin.get("/w/acme/users").await.status(), 200);
    // A Member is not asked.
    let member = app.new_client();
    member
        .sign_in("mona.member@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(member.get("/me").await.status(), 200);
    // Nor told the name of a workspace she is not in by putting its slug in the address.
    let made = app
        .post_fields(
            "/org/workspaces",
            &[("name", "Secret Labs"), ("slug", "labs")],
        )
        .await;
    assert_eq!(made.status(), 303);
    let page = member.get_text("/me/two-factor?required=labs").await;
    assert!(!page.contains("Secret Labs"), "{page}");
}

const GRACE: &str = "grace.hopper@example.com";

/// Grace, a Member, with two-factor on (its key), and a browser of hers past the password step.
async fn grace_at_the_second_step() -> (TestApp, Vec<u8>, TestApp) {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    let (secret, _) = enrol(&grace).await;
    let pending = app.new_client();
    let password = pending.sign_in(GRACE, OWNER_PASSWORD).await;
    assert_eq!(location(&password), "/login/two-factor");
    (app, secret, pending)
}

#[actix_web::test]
async fn a_reset_link_or_an_invitation_does_not_skip_the_second_step() {
    let (app, secret, guesser) = grace_at_the_second_step().await;
    assert_eq!(second_step(&guesser, "000000").await.status(), 401);

    // A new password through the emailed link asks for a code too, checked before anything
    // changes; the wrong codes counted before stay counted (a mailbox is not a second factor).
    let id = app.membership_of(GRACE);
    app.post_fields(&format!("/w/acme/users/{id}/password-reset"), &[])
        .await;
    let body = crate::common::smtp::link_token(
        &app.last_email(GRACE, "Reset your password"),
        "/password/reset/",
    );
    let browser = app.new_client();
    let link = format!("/password/reset/{body}");
    let page = browser.get_text(&link).await;
    assert!(page.contains("Two-factor code"), "{page}");
    let csrf = csrf_in(&page);
    let reset_with = |code: String| {
        let (browser, link, csrf) = (&browser, &link, &csrf);
        async move {
            browser
                .post_form(
                    link,
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("password", "a fresh and long passphrase"),
                        ("code", code.as_str()),
                    ],
                )
                .await
        }
    };
    let old_password_works = || async {
        location(&app.new_client().sign_in(GRACE, OWNER_PASSWORD).await) == "/login/two-factor"
    };
    let without = reset_with(String::new()).await;
    assert_eq!(without.status(), 422);
    assert!(
        without
            .text()
            .await
            .unwrap()
            .contains("Enter a code from your authenticator app")
    );
    let wrong = reset_with("000000".to_owned()).await;
    assert_eq!(wrong.status(), 401);
    assert!(old_password_works().await, "nothing changed");
    assert_eq!(browser.get("/me").await.status(), 303, "not signed in");
    let account = app.first_id(&format!("accounts WHERE email = '{GRACE}'"));
    assert_eq!(
        app.count(&format!(
            "sign_in_throttles WHERE key = 'account:{account}' AND failures = 2"
        )),
        1,
        "the wrong code counted, with the guesser's"
    );
    app.settings.clock.advance(Duration::seconds(60));
    let signed = reset_with(code_now(&app, &secret)).await;
    assert_eq!(signed.status(), 303);
    assert!(
        browser
            .get_text("/me")
            .await
            .contains("Your new password is saved and you are signed in")
    );
    assert!(!old_password_works().await);
    // The wait at the second step, from before the new password, is over.
    let ended = second_step(&guesser, &code_now(&app, &secret)).await;
    assert_eq!(location(&ended), "/login");

    // Joining another workspace with the password: the same.
    assert_eq!(
        app.post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
            .await
            .status(),
        303
    );
    app.post_fields(
        "/w/labs/invitations",
        &[("emails", GRACE), ("role", "member")],
    )
    .await;
    let token = app.token_for(GRACE);
    let joining = app.new_client();
    let csrf = csrf_in(&joining.get_text(&format!("/invite/{token}")).await);
    let joined = joining
        .post_form(
            &format!("/invite/{token}"),
            &[
                ("csrf_token", csrf.as_str()),
                ("password", "a fresh and long passphrase"),
            ],
        )
        .await;
    assert_eq!(location(&joined), "/login/two-factor");
    assert_eq!(joining.get("/me").await.status(), 303, "not signed in yet");
    // The password alone joined nothing: the invitation waits for the second step.
    let active_in_labs = "memberships WHERE status = 'active' AND workspace_id = \
        (SELECT id FROM workspaces WHERE slug = 'labs') AND account_id = \
        (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')";
    assert_eq!(app.count(active_in_labs), 0);
    // The link waits in the session sealed: the database keeps no invitation link whole.
    assert_eq!(
        app.count(&format!("sessions WHERE state LIKE '%{token}%'")),
        0
    );
    app.settings.clock.advance(Duration::seconds(60));
    let signed = second_step(&joining, &code_now(&app, &secret)).await;
    assert_eq!(location(&signed), format!("/invite/{token}"));
    let page = joining.get_text(&format!("/invite/{token}")).await;
    assert!(
        page.contains("You are signed in as grace.hopper@example.com."),
        "{page}"
    );
    // Someone guessing her password elsewhere pauses signing in to her account, not her join.
    for _ in 0..6 {
        app.new_client().sign_in(GRACE, "not her password").await;
    }
    let guessed = app.new_client().sign_in(GRACE, "not her password").await;
    assert_eq!(guessed.status(), 429);
    let joined = joining
        .post_form(
            &format!("/invite/{token}"),
            &[("csrf_token", csrf_in(&page).as_str())],
        )
        .await;
    assert_eq!(location(&joined), "/w/labs");
    assert_eq!(app.count(active_in_labs), 1);
}

#[actix_web::test]
async fn signing_out_everywhere_ends_a_sign_in_waiting_for_its_code() {
    // With other sessions of Grace's to end, and with none (the waiting one is her only one).
    for others in [true, false] {
        let (app, secret, pending) = grace_at_the_second_step().await;
        if !others {
            app.execute(&format!(
                "DELETE FROM sessions WHERE account_id = \
                 (SELECT id FROM accounts WHERE email = '{GRACE}')"
            ));
        }
        let id = app.membership_of(GRACE);
        let ended = app
            .post_fields(&format!("/w/acme/users/{id}/sessions/end-all"), &[])
            .await;
        assert!(ended.status().is_redirection() || ended.status().is_success());
        let step = second_step(&pending, &code_now(&app, &secret)).await;
        assert_eq!(step.status(), 303, "others: {others}");
        assert_eq!(location(&step), "/login", "others: {others}");
        assert_eq!(location(&pending.get("/me").await), "/login?next=%2Fme");
    }
}

/// Signing in as someone else in the same browser starts from nothing: the key the last person
/// was setting up is not shown to the next.
#[actix_web::test]
async fn another_person_signing_in_on_the_same_browser_gets_a_key_of_their_own() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let ada_key = totp::base32(&secret_in(&app.get_text("/me/two-factor").await));
    // /login sends someone signed in away: the form is posted with the session's token.
    let switched = app
        .post_fields("/login", &[("email", GRACE), ("password", OWNER_PASSWORD)])
        .await;
    assert_eq!(switched.status(), 303);
    let page = app.get_text("/me/two-factor").await;
    assert!(page.contains(GRACE), "signed in as Grace");
    assert!(!page.contains(&ada_key), "Ada's key stays hers");
}

#[actix_web::test]
async fn a_reset_between_the_two_steps_sends_back_to_the_password() {
    let (app, secret, pending) = grace_at_the_second_step().await;
    let id = app.membership_of(GRACE);
    let reset = app
        .post_fields(&format!("/w/acme/users/{id}/two-factor/reset"), &[])
        .await;
    assert_eq!(reset.status(), 303);
    // The step's page does not ask for a code the person may no longer have.
    let page = pending.get("/login/two-factor").await;
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), "/login?expired=1");
    // Nor takes one: the sign-in starts again from the password.
    let step = second_step(&pending, &code_now(&app, &secret)).await;
    assert_eq!(step.status(), 303);
    assert_eq!(location(&step), "/login");
    let again = pending.sign_in(GRACE, OWNER_PASSWORD).await;
    assert_ne!(
        location(&again),
        "/login/two-factor",
        "two-factor is off now"
    );
    assert_eq!(pending.get("/me").await.status(), 200);
}

/// A reset link with a recovery code: the code is spent with the reset, in its transaction, and
/// not when the reset is refused.
#[actix_web::test]
async fn a_reset_takes_a_recovery_code_and_spends_none_when_refused() {
    let app = spawn_app().await;
    app.set_up().await;
    let (_, codes) = enrol(&app).await;
    let browser = app.new_client();
    let csrf = browser.csrf_token("/password/forgot").await;
    browser
        .post_form(
            "/password/forgot",
            &[("csrf_token", csrf.as_str()), ("email", OWNER_EMAIL)],
        )
        .await;
    // The request is answered first, then its email written.
    let sent = format!(
        "outbox_emails WHERE to_address = '{OWNER_EMAIL}' AND subject = 'Reset your password'"
    );
    for _ in 0..100 {
        if app.count(&sent) > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = crate::common::smtp::link_token(
        &app.last_email(OWNER_EMAIL, "Reset your password"),
        "/password/reset/",
    );
    let link = format!("/password/reset/{token}");
    let csrf = csrf_in(&browser.get_text(&link).await);
    let send = |password: &'static str| {
        let (browser, link, csrf, code) = (&browser, &link, &csrf, codes[0].clone());
        async move {
            browser
                .post_form(
                    link,
                    &[
                        ("csrf_token", csrf.as_str()),
                        ("password", password),
                        ("code", code.as_str()),
                    ],
                )
                .await
        }
    };
    let unused = "recovery_codes WHERE used_at IS NULL";
    assert_eq!(send("short").await.status(), 422);
    assert_eq!(
        app.count(unused),
        10,
        "refused for its password: no code spent"
    );
    let done = send("a fresh and long passphrase").await;
    assert_eq!(done.status(), 303);
    assert_eq!(app.count(unused), 9);
    let page = browser.get_text(&location(&done)).await;
    assert!(page.contains("You used a recovery code; 9 left."), "{page}");
}
