//! Invite via Slack (issue 19) over HTTP on each backend, against a stand-in of Slack's Web API on a
//! loopback port (`common::slack`): connect by token and by OAuth (state checked), Slack's errors
//! in words, the people read in pages (bots, Slackbot, deleted users and people without an email
//! skipped, the guest marked, a 429 honoured), the search, adding people (all or nothing under
//! seats, already-members marked), one direct message and one email each even after 429s, and
//! disconnect.

use std::time::{Duration, Instant};

use admin_console::config::SlackSettings;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

use crate::common::slack::{self, SlackStandIn};
use crate::common::*;

async fn app_with(standin: &SlackStandIn, app: Option<(&str, &str)>) -> TestApp {
    let url = standin.url.clone();
    let app_credentials = app.map(|(id, secret)| (id.to_owned(), secret.to_owned()));
    let app = spawn_app_with(move |s| {
        s.slack = SlackSettings {
            api_url: url,
            app: app_credentials,
        };
    })
    .await;
    app.set_up().await;
    app
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Connects /w/acme with the stand-in's token and waits until the people are read.
async fn connect(app: &TestApp) {
    let csrf = app.csrf_token("/w/acme/settings/slack").await;
    let response = app
        .post_form(
            "/w/acme/settings/slack",
            &[("csrf_token", csrf.as_str()), ("token", slack::TOKEN)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/w/acme/settings/slack");
    wait_until("the Slack people to be read", || {
        app.count("slack_connections WHERE people_read_at IS NOT NULL") == 1
    })
    .await;
}

/// Connected, the people read, and Grace Hopper (a person of the Slack roster) a member already.
async fn connected_with_grace_here(standin: &SlackStandIn) -> TestApp {
    let app = app_with(standin, None).await;
    connect(&app).await;
    app.add_member(
        "grace.hopper@slackco.example",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app
}

async fn add(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token("/w/acme/invitations/slack").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form("/w/acme/invitations/slack", &form).await
}

#[actix_web::test]
async fn connecting_by_token_reads_the_people_in_pages_and_keeps_the_token_sealed() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, None).await;
    let page = app.get_text("/w/acme/settings/slack").await;
    assert!(page.contains("Not connected to Slack") && page.contains("name=\"token\""));
    assert!(
        !page.contains("Add to Slack"),
        "no Slack app configured: only the token"
    );

    connect(&app).await;
    assert_eq!(
        app.count("slack_people"),
        slack::ROSTER_IMPORTABLE as i64,
        "bots, Slackbot, deleted users and people without an email are skipped"
    );
    assert_eq!(standin.calls("users.list"), 3, "three pages of up to 200");
    assert_eq!(app.count("slack_people WHERE is_guest"), 1);
    assert_eq!(
        app.count("slack_people WHERE slack_user_id IN ('UBOT00001', 'UDELETED1', 'UNOMAIL01', 'USLACKBOT')"),
        0
    );
    assert_eq!(
        app.count("slack_connections WHERE token_sealed LIKE '%xoxb%'"),
        0,
        "the token is stored encrypted"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'slack.connected'"),
        1
    );

    let page = app.get_text("/w/acme/settings/slack").await;
    assert!(page.contains(slack::TEAM_NAME), "{page}");
    assert!(page.contains("443 people read from Slack"), "{page}");
    assert!(page.contains("<code>users:read.email</code>"));
    assert!(!page.contains(slack::TOKEN), "never shown again");
    assert!(!page.contains("lacks"), "every scope granted");
}

#[actix_web::test]
async fn bad_tokens_and_slack_errors_are_refused_beside_the_field_in_plain_words() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, None).await;
    let csrf = app.csrf_token("/w/acme/settings/slack").await;
    let post = |token: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            let response = app
                .post_form(
                    "/w/acme/settings/slack",
                    &[("csrf_token", csrf.as_str()), ("token", token)],
                )
                .await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, page) = post("xoxp-123-456-user").await;
    assert_eq!(status, 422);
    assert!(page.contains("This is not a bot token"), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));

    let (status, page) = post("xoxb-not-the-token").await;
    assert_eq!(status, 422);
    assert!(page.contains("Slack did not accept the token"), "{page}");
    assert!(
        !page.contains("xoxb-not-the-token"),
        "a refused secret is not echoed"
    );

    standin.fail_auth_with(Some("account_inactive"));
    let (status, page) = post(slack::TOKEN).await;
    assert_eq!(status, 422);
    assert!(page.contains("deactivated"), "{page}");
    standin.fail_auth_with(None);
    assert_eq!(app.count("slack_connections"), 0);

    // Scopes missing: connected, and the page names what is missing.
    standin.set_scopes("users:read,chat:write");
    let (status, _) = post(slack::TOKEN).await;
    assert_eq!(status, 303);
    let page = app.get_text("/w/acme/settings/slack").await;
    assert!(
        page.contains("The Slack app lacks <code>users:read.email</code>, <code>im:write</code>"),
        "{page}"
    );
}

#[actix_web::test]
async fn oauth_install_binds_its_state_to_the_session_and_exchanges_the_code() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, Some(("client-1", "secret-1"))).await;
    assert!(
        app.get_text("/w/acme/settings/slack")
            .await
            .contains("Add to Slack")
    );
    let response = app.get("/w/acme/settings/slack/install").await;
    assert_eq!(response.status().as_u16(), 303);
    let to = location(&response);
    let authorize = standin.url.trim_end_matches("/api").to_owned() + "/oauth/v2/authorize?";
    assert!(to.starts_with(&authorize), "{to}");
    assert!(to.contains("client_id=client-1"));
    assert!(to.contains("scope=users%3Aread%2Cusers%3Aread.email%2Cim%3Awrite%2Cchat%3Awrite"));
    let state = to
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .expect("a state")
        .to_owned();

    // Another browser (another session) cannot finish it, even with the right state.
    let other = app.new_client();
    other.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let callback = |state: &str, code: &str| {
        format!("/w/acme/settings/slack/callback?code={code}&state={state}")
    };
    let response = other.get(&callback(&state, slack::OAUTH_CODE)).await;
    assert_eq!(location(&response), "/w/acme/settings/slack");
    assert!(
        other
            .get_text("/w/acme/settings/slack")
            .await
            .contains("was not started from this page")
    );
    assert_eq!(app.count("slack_connections"), 0);

    // A wrong state in this session is refused, and uses the state up.
    let response = app.get(&callback("forged", slack::OAUTH_CODE)).await;
    assert_eq!(location(&response), "/w/acme/settings/slack");
    assert_eq!(app.count("slack_connections"), 0);
    let response = app.get(&callback(&state, slack::OAUTH_CODE)).await;
    assert_eq!(location(&response), "/w/acme/settings/slack");
    assert_eq!(app.count("slack_connections"), 0, "a state works once");

    // Started again: the code is exchanged.
    let to = location(&app.get("/w/acme/settings/slack/install").await);
    let state = to
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_owned();
    let response = app.get(&callback(&state, slack::OAUTH_CODE)).await;
    assert_eq!(location(&response), "/w/acme/settings/slack");
    assert_eq!(app.count("slack_connections"), 1);
    let sent = standin
        .last_oauth_request()
        .expect("oauth.v2.access was called");
    assert_eq!(sent["client_id"], "client-1");
    assert_eq!(sent["client_secret"], "secret-1");
    assert_eq!(sent["code"], slack::OAUTH_CODE);
    assert!(sent["redirect_uri"].ends_with("/w/acme/settings/slack/callback"));
    let page = app.get_text("/w/acme/settings/slack").await;
    assert!(
        page.contains(&format!("Connected to {}", slack::TEAM_NAME)),
        "{page}"
    );
}

#[actix_web::test]
async fn the_search_reads_the_stored_list_and_marks_people_already_here() {
    let standin = SlackStandIn::start().await;
    let app = connected_with_grace_here(&standin).await;
    let calls = standin.calls("users.list");
    let page = app
        .get_text("/w/acme/invitations/slack?q=grace%20hopper")
        .await;
    assert!(page.contains("grace.hopper@slackco.example"), "{page}");
    assert!(page.contains("Already a member"));
    assert!(
        page.contains("value=\"UGRACE001\" disabled"),
        "someone already here cannot be ticked"
    );
    let gus = app.get_text("/w/acme/invitations/slack?q=gus.guest").await;
    assert!(gus.contains(">Guest</span>"), "{gus}");
    // Blocked, with no membership here: not said to be blocked (only where the list shows it).
    app.add_blocked_elsewhere("gus.guest@slackco.example");
    let gus = app.get_text("/w/acme/invitations/slack?q=gus.guest").await;
    assert!(
        gus.contains("Cannot be invited: an org admin can say why") && !gus.contains("Blocked"),
        "{gus}"
    );
    assert!(gus.contains("(1 of 1 shown)"));
    let none = app
        .get_text("/w/acme/invitations/slack?q=nobody-like-this")
        .await;
    assert!(none.contains("Nobody in Slack matches"));
    assert_eq!(
        standin.calls("users.list"),
        calls,
        "searching never calls Slack"
    );

    // The dialog's tab is a fragment for htmx.
    let dialog = app
        .client
        .get(app.url("/w/acme/invitations/slack"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dialog.trim_start().starts_with("<dialog"), "{dialog}");
    assert!(dialog.contains("(50 of 443 shown)"), "{dialog}");
    assert!(dialog.contains("Select all 443"));
}

#[actix_web::test]
async fn adding_people_makes_active_members_and_each_gets_one_dm_and_one_email_even_after_429s() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, None).await;
    connect(&app).await;
    let people: Vec<slack::Person> = slack::roster()
        .into_iter()
        .filter(|p| p.email.is_some() && !p.is_bot && !p.deleted && p.id != "USLACKBOT")
        .take(3)
        .collect();
    standin.throttle("chat.postMessage", 2, 1);
    let mut fields = vec![("role", "member")];
    for p in &people {
        fields.push(("slack_user_id", p.id.as_str()));
    }
    let response = add(&app, &fields).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/w/acme/users");
    for p in &people {
        let email = p.email.as_deref().unwrap();
        assert_eq!(
            app.count(&format!(
                "memberships JOIN accounts ON accounts.id = memberships.account_id \
                 WHERE accounts.email = '{email}' AND memberships.status = 'active' \
                 AND accounts.password_hash IS NULL"
            )),
            1,
            "{email} is an active member, without a password yet"
        );
        assert_eq!(
            app.count(&format!("outbox_emails WHERE to_address = '{email}'")),
            1
        );
    }
    assert_eq!(
        app.count("audit_events WHERE action = 'slack.people_added'"),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'member.added_from_slack'"),
        3
    );
    wait_until("three direct messages", || standin.messages().len() >= 3).await;
    // Longer than Retry-After and a few worker rounds: no message is sent twice.
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let messages = standin.messages();
    assert_eq!(messages.len(), 3, "{messages:?}");
    for p in &people {
        assert_eq!(messages.iter().filter(|(to, _)| *to == p.id).count(), 1);
    }
    assert!(
        standin.calls("chat.postMessage") >= 5,
        "two 429s, then three sent"
    );
    assert_eq!(app.count("slack_messages WHERE state = 'sent'"), 3);

    // The message carries no link that sets a password (Slack's word for an address proves
    // nothing about who reads it): it points to the email, whose link does.
    let (to, text) = &messages[0];
    let email = people
        .iter()
        .find(|p| p.id == *to)
        .unwrap()
        .email
        .clone()
        .unwrap();
    assert!(!text.contains("/password/reset/"), "{text}");
    assert!(
        text.contains(&format!("the link we sent to {email}")),
        "{text}"
    );
    let body: String = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Body {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text_body: String,
        }
        diesel::sql_query(format!(
            "SELECT text_body FROM outbox_emails WHERE to_address = '{email}'"
        ))
        .get_result::<Body>(&mut *app.conn())
        .unwrap()
        .text_body
    };
    let start = body.find("/password/reset/").expect("a link in the email");
    let path = body[start..].split_whitespace().next().unwrap();
    let visitor = app.new_client();
    let page = visitor.get_text(path).await;
    assert!(page.contains("name=\"password\""), "{page}");
}

#[actix_web::test]
async fn someone_with_an_account_already_is_told_where_to_sign_in_and_sent_no_password_link() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, None).await;
    connect(&app).await;
    // Grace has an account with a password, and no membership here (she left, or belongs to
    // another workspace): adding her must not hand the adder a way to set her password.
    let grace = app.add_member(
        "grace.hopper@slackco.example",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(&format!(
        "DELETE FROM memberships WHERE account_id = {}",
        grace.0
    ));
    let response = add(&app, &[("role", "member"), ("slack_user_id", "UGRACE001")]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "memberships WHERE account_id = {} AND status = 'active'",
            grace.0
        )),
        1
    );
    assert_eq!(
        app.count(&format!("account_tokens WHERE account_id = {}", grace.0)),
        0,
        "no password link was made for her"
    );
    let email = app.last_email("grace.hopper@slackco.example", "You were added to Acme HQ");
    assert!(email.contains("/login"), "{email}");
    assert!(!email.contains("/password/reset/"), "{email}");
    wait_until("the direct message", || !standin.messages().is_empty()).await;
    let (to, text) = &standin.messages()[0];
    assert_eq!(to, "UGRACE001");
    assert!(text.contains("/login|open the console>"), "{text}");
    assert!(!text.contains("/password/reset/"), "{text}");
    // Her password still works.
    let visitor = app.new_client();
    let response = visitor
        .sign_in("grace.hopper@slackco.example", OWNER_PASSWORD)
        .await;
    assert_eq!(response.status().as_u16(), 303);
}

#[actix_web::test]
async fn adding_is_all_or_nothing_under_seats_and_for_people_already_here() {
    let standin = SlackStandIn::start().await;
    let app = connected_with_grace_here(&standin).await;
    let members = app.count("memberships");
    let response = add(
        &app,
        &[
            ("role", "member"),
            ("slack_user_id", "UGRACE001"),
            ("slack_user_id", "UGUEST001"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("grace.hopper@slackco.example</strong> is already a member"),
        "{page}"
    );
    assert_eq!(app.count("memberships"), members, "nobody was added");

    // The Free plan's 10 seats: everyone matching is more than the seats left.
    let response = add(&app, &[("role", "member"), ("select_all", "1")]).await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("Free plan: 10 seats"), "{page}");
    assert_eq!(app.count("memberships"), members);
    assert_eq!(app.count("slack_messages"), 0);

    // Nobody chosen.
    let response = add(&app, &[("role", "member")]).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Choose at least one person.")
    );

    // On a plan without a limit, "select all" adds everyone matching but those already here.
    let csrf = app.csrf_token("/w/acme/settings").await;
    app.post_form(
        "/w/acme/settings/plan",
        &[
            ("csrf_token", csrf.as_str()),
            ("plan", "business"),
            ("seat_limit", ""),
        ],
    )
    .await;
    let hoppers = app.count("slack_people WHERE search LIKE '%hopper%'");
    assert!(hoppers > 1, "the roster has several Hoppers");
    let response = add(
        &app,
        &[("role", "member"), ("select_all", "1"), ("q", "hopper")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.count("memberships"), members + hoppers - 1);
}

#[actix_web::test]
async fn a_rate_limited_read_waits_and_disconnect_revokes_and_forgets() {
    let standin = SlackStandIn::start().await;
    standin.throttle("users.list", 1, 1);
    let app = app_with(&standin, None).await;
    connect(&app).await;
    assert_eq!(app.count("slack_people"), slack::ROSTER_IMPORTABLE as i64);
    assert_eq!(standin.calls("users.list"), 4, "one 429, then three pages");

    // A direct message waiting for a retry (Slack asked to wait) when the workspace disconnects.
    app.execute(
        "INSERT INTO slack_messages (workspace_id, slack_user_id, text, next_attempt_at, created_at) \
         SELECT id, 'U0GRACE', 'You were added', '2099-01-01 00:00:00', '2026-01-01 00:00:00' \
         FROM workspaces WHERE slug = 'acme'",
    );
    // A new token of the same team keeps it: it is sent through the new connection.
    connect(&app).await;
    assert_eq!(app.count("slack_messages WHERE state = 'queued'"), 1);
    let csrf = app.csrf_token("/w/acme/settings/slack").await;
    let confirm = app.get_text("/w/acme/settings/slack/disconnect").await;
    assert!(confirm.contains(&format!("Disconnect from {}?", slack::TEAM_NAME)));
    let response = app
        .post_form(
            "/w/acme/settings/slack/disconnect",
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(location(&response), "/w/acme/settings/slack");
    assert!(standin.revoked());
    assert_eq!(app.count("slack_connections"), 0);
    assert_eq!(app.count("slack_people"), 0);
    assert_eq!(
        app.count("slack_messages WHERE state = 'queued'"),
        0,
        "as the dialog says, it is never sent, even through a later connection"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'slack.disconnected'"),
        1
    );
    let picker = app.get_text("/w/acme/invitations/slack").await;
    assert!(picker.contains("not connected to Slack"));
}

#[actix_web::test]
async fn only_slack_managers_connect_and_auditors_only_read() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, None).await;
    connect(&app).await;
    app.add_member(
        "ken.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let auditor = app.new_client();
    auditor
        .sign_in("ken.auditor@example.com", OWNER_PASSWORD)
        .await;
    let page = auditor.get_text("/w/acme/settings/slack").await;
    assert!(page.contains(slack::TEAM_NAME));
    assert!(!page.contains("name=\"token\"") && !page.contains("/disconnect"));
    let csrf = auditor.csrf_token("/w/acme/settings/slack").await;
    let response = auditor
        .post_form(
            "/w/acme/settings/slack/disconnect",
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    let response = auditor.get("/w/acme/invitations/slack").await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.count("slack_connections"), 1);
}

/// The invite dialog's "From Slack" tab is there where Slack is connected, or for someone who may
/// connect it (its page says how); an inviter who may not, in a workspace without Slack, gets the
/// email form alone.
#[actix_web::test]
async fn the_from_slack_tab_shows_where_it_can_lead_somewhere() {
    let standin = SlackStandIn::start().await;
    let app = app_with(&standin, None).await;
    let ivy = app
        .with_custom_role(
            "ivy.inviter@example.com",
            "Inviter",
            &["users.view", "users.invite"],
        )
        .await;
    let tab = ">From Slack</a>";
    assert!(app.get_text("/w/acme/invitations/new").await.contains(tab));
    assert!(!ivy.get_text("/w/acme/invitations/new").await.contains(tab));
    connect(&app).await;
    assert!(ivy.get_text("/w/acme/invitations/new").await.contains(tab));
}
