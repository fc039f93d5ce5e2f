//! Brute-force throttling of sign-in: per account, per client address (with and without
//! `TRUST_PROXY`), what the audit log shows, and an administrator's Clear. The clock is moved
//! forward instead of sleeping.

use chrono::Duration;

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

use crate::common::{OWNER_EMAIL, OWNER_PASSWORD, TestApp, spawn_app, spawn_app_with};

const GRACE: &str = "grace.hopper@example.com";

async fn attempt(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.new_client().sign_in(email, password).await
}

/// `forwarded_for` may hold several header lines, split by `|` (a client's, then a proxy's).
async fn attempt_from(app: &TestApp, forwarded_for: &str, email: &str) -> u16 {
    let browser = app.new_client();
    let csrf = browser.csrf_token("/login").await;
    let mut request = browser.client.post(app.url("/login"));
    for line in forwarded_for.split('|') {
        request = request.header("x-forwarded-for", line);
    }
    request
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_html_form::to_string([
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", "wrong password!"),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn retry_after(response: &reqwest::Response) -> i64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn with_grace() -> TestApp {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app
}

#[actix_web::test]
async fn an_account_pauses_after_five_failures_and_the_right_password_waits_too() {
    let app = with_grace().await;
    for _ in 0..4 {
        assert_eq!(attempt(&app, GRACE, "wrong password!").await.status(), 401);
    }
    // The fifth failure starts a one-second pause.
    assert_eq!(attempt(&app, GRACE, "wrong password!").await.status(), 401);
    let paused = attempt(&app, GRACE, OWNER_PASSWORD).await;
    assert_eq!(paused.status(), 429, "the right password waits too");
    assert_eq!(retry_after(&paused), 1);
    let page = paused.text().await.unwrap();
    assert!(page.contains("Try again in 1 second"), "{page}");

    app.settings.clock.advance(Duration::seconds(1));
    assert_eq!(attempt(&app, GRACE, "wrong password!").await.status(), 401);
    let paused = attempt(&app, GRACE, "wrong password!").await;
    assert_eq!(paused.status(), 429);
    assert_eq!(retry_after(&paused), 2, "the wait doubles");

    // The waits grow to 15 minutes at most.
    for _ in 0..12 {
        app.settings.clock.advance(Duration::minutes(15));
        assert_eq!(attempt(&app, GRACE, "wrong password!").await.status(), 401);
    }
    assert_eq!(
        retry_after(&attempt(&app, GRACE, OWNER_PASSWORD).await),
        15 * 60
    );

    // A success clears the count: four more failures do not pause.
    app.settings.clock.advance(Duration::minutes(15));
    assert_eq!(attempt(&app, GRACE, OWNER_PASSWORD).await.status(), 303);
    for _ in 0..4 {
        assert_eq!(attempt(&app, GRACE, "wrong password!").await.status(), 401);
    }
    assert_eq!(attempt(&app, GRACE, OWNER_PASSWORD).await.status(), 303);
}

#[actix_web::test]
async fn an_unknown_address_pauses_the_same_way() {
    let app = spawn_app().await;
    app.set_up().await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&app, "nobody@example.com", "wrong password!")
                .await
                .status(),
            401
        );
    }
    let paused = attempt(&app, "nobody@example.com", "wrong password!").await;
    assert_eq!(paused.status(), 429);
    assert!(
        paused
            .text()
            .await
            .unwrap()
            .contains("signing in to this account is paused")
    );
    // Another account is not affected.
    assert_eq!(
        attempt(&app, OWNER_EMAIL, OWNER_PASSWORD).await.status(),
        303
    );
}

#[actix_web::test]
async fn failed_sign_ins_and_pauses_are_in_the_audit_log_at_most_once_a_minute() {
    let app = with_grace().await;
    for _ in 0..7 {
        attempt(&app, GRACE, "wrong password!").await;
        app.settings.clock.advance(Duration::seconds(20));
    }
    let failed = app.count("audit_events WHERE action = 'session.sign_in_failed'");
    assert_eq!(failed, 3, "at 0 s, 60 s and 120 s");
    assert_eq!(
        app.count("audit_events WHERE action = 'account.sign_in_paused'"),
        3,
        "the fifth, sixth and seventh failure each paused"
    );
    let log = app
        .get_text("/org/audit?action=session.sign_in_failed")
        .await;
    assert!(log.contains(GRACE), "{log}");
    assert!(log.contains("Someone signing in"));
    // Failures for an unknown address are counted but name no account.
    attempt(&app, "nobody@example.com", "wrong password!").await;
    assert_eq!(
        app.count("audit_events WHERE action = 'session.sign_in_failed'"),
        3
    );
}

#[actix_web::test]
async fn an_address_with_fifty_failures_in_ten_minutes_waits() {
    let app = spawn_app().await;
    app.set_up().await;
    for i in 0..50 {
        let email = format!("guess{i}@example.com");
        assert_eq!(attempt(&app, &email, "wrong password!").await.status(), 401);
    }
    let refused = attempt(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(refused.status(), 429);
    assert!((1..=600).contains(&retry_after(&refused)));
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("from your network address")
    );
    app.settings.clock.advance(Duration::minutes(10));
    assert_eq!(
        attempt(&app, OWNER_EMAIL, OWNER_PASSWORD).await.status(),
        303
    );
}

#[actix_web::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Not trusted: the header is ignored and every failure is the TCP peer's (127.0.0.1).
    let app = spawn_app().await;
    app.set_up().await;
    for i in 0..50 {
        let forged = format!("198.51.100.{i}");
        assert_eq!(
            attempt_from(&app, &forged, &format!("g{i}@example.com")).await,
            401
        );
    }
    assert_eq!(
        attempt_from(&app, "203.0.113.99", "x@example.com").await,
        429
    );

    // Trusted: each forwarded client is counted on its own.
    let app = spawn_app_with(|s| {
        s.trusted_proxies = admin_console::net::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    app.set_up().await;
    for i in 0..50 {
        assert_eq!(
            attempt_from(&app, "198.51.100.7", &format!("g{i}@example.com")).await,
            401
        );
    }
    assert_eq!(
        attempt_from(&app, "198.51.100.7", "x@example.com").await,
        429
    );
    assert_eq!(
        attempt_from(&app, "203.0.113.99", "x@example.com").await,
        401
    );
    let ips = app.count("sign_in_throttles WHERE key = 'ip:198.51.100.7'");
    assert_eq!(ips, 1);
    // A client's own line before the proxy's (HAProxy adds a line): the proxy's is believed.
    assert_eq!(
        attempt_from(&app, "203.0.113.50|198.51.100.7", "x@example.com").await,
        429
    );
}

#[actix_web::test]
async fn concurrent_failures_are_all_counted() {
    let app = spawn_app().await;
    app.set_up().await;
    let attempts = (0..30).map(|i| {
        let app = app.new_client();
        async move {
            attempt(&app, &format!("guess{i}@example.com"), "wrong password!")
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = crate::common::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Failures {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        failures: i64,
    }
    let row: Failures =
        diesel::sql_query("SELECT failures FROM sign_in_throttles WHERE key = 'ip:127.0.0.1'")
            .get_result(&mut *app.conn())
            .unwrap();
    assert_eq!(row.failures, 30);
}

/// A burst of guesses at one account, sent at once: each is checked in turn against the pause
/// the ones before it set, so only the free failures are checked and the rest wait (429). Sent
/// at once without turns, every guess passed the unraised counter and was checked.
#[actix_web::test]
async fn a_burst_of_parallel_guesses_gets_no_more_checks_than_one_after_another() {
    let app = with_grace().await;
    let attempts = (0..16).map(|_| {
        let app = app.new_client();
        async move {
            attempt(&app, GRACE, "wrong password!")
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = crate::common::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let waiting = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + waiting, 16, "{statuses:?}");
    // Five free failures (one or two more only if a pause of a second ran out meanwhile).
    assert!((5..=7).contains(&checked), "{statuses:?}");
}

/// A session (a stolen cookie, say) that guesses its own password on `/me` meets the account's
/// sign-in pause: the failures count, and once paused the right password waits too.
#[actix_web::test]
async fn guessing_ones_own_password_while_signed_in_is_paused_like_signing_in() {
    let app = with_grace().await;
    let grace = app.new_client();
    assert_eq!(grace.sign_in(GRACE, OWNER_PASSWORD).await.status(), 303);
    let change = |current: &'static str| {
        let grace = &grace;
        async move {
            let response = grace
                .post_fields(
                    "/me/password",
                    &[
                        ("current_password", current),
                        ("new_password", "a brand new passphrase"),
                    ],
                )
                .await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    for _ in 0..5 {
        let (status, page) = change("wrong password!").await;
        assert_eq!(status, 422);
        assert!(
            page.contains("The current password is not correct."),
            "{page}"
        );
    }
    let (status, page) = change(OWNER_PASSWORD).await;
    assert_eq!(status, 422);
    assert!(page.contains("Try again in"), "{page}");
    assert_eq!(
        app.count("audit_events WHERE action = 'account.password_changed'"),
        0
    );
    // The log names her, not a stranger signing in.
    assert_eq!(
        app.count("audit_events WHERE action = 'session.sign_in_failed'"),
        0
    );
    let log = app.get_text("/org/audit").await;
    assert!(
        log.contains(&format!(
            "grace hopper ({GRACE}) gave a wrong password or code while signed in"
        )),
        "{log}"
    );
    // The same pause as signing in.
    assert_eq!(attempt(&app, GRACE, OWNER_PASSWORD).await.status(), 429);
}

#[actix_web::test]
async fn guessing_invitation_links_counts_toward_the_address_limit() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = app.new_client();
    let csrf = browser.csrf_token("/login").await;
    let mut statuses = Vec::new();
    for i in 0..51 {
        let response = browser
            .post_form(
                &format!("/invite/guess{i}"),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("first_name", "Eve"),
                    ("last_name", "Guesser"),
                    ("password", "a long enough password"),
                ],
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert!(statuses[..50].iter().all(|s| *s == 404), "{statuses:?}");
    assert_eq!(statuses[50], 429);
}
