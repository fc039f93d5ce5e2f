//! HTTP tests of invitations (issue 3) on each backend: the invite dialog and submit, all-or-nothing
//! refusals, seats, accept (new and existing accounts), token misuse, resend, revoke, expiry, audit,
//! and delivery through a real SMTP server — including while it is down.

use crate::common::smtp::{SmtpSink, invite_token};
use crate::common::*;
use admin_console::clock;
use admin_console::domain::ids::AccountId;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use admin_console::services::invitations;

const NO_LONGER_VALID: &str = "This invitation is no longer valid: used already, expired, replaced by a newer \
     one, or revoked. Joined already? Then the workspace is in the console. Otherwise ask your admin for a new one.";

fn htmx(app: &TestApp, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let _ = app;
    req.header("HX-Request", "true")
}

#[actix_web::test]
async fn the_invite_dialog_is_a_fragment_for_htmx_and_a_page_without_javascript() {
    let app = spawn_app().await;
    app.set_up().await;
    let dialog = htmx(&app, app.client.get(app.url("/w/acme/invitations/new")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dialog.trim_start().starts_with("<dialog"), "{dialog}");
    assert!(dialog.contains("name=\"emails\"") && dialog.contains("name=\"role\""));
    assert!(
        dialog.contains("value=\"owner\""),
        "an Owner may invite Owners"
    );
    let page = app.get_text("/w/acme/invitations/new").await;
    assert!(page.contains("<html") && page.contains("name=\"emails\""));
    assert!(page.contains("a link to join, valid for 7 days."), "{page}");

    // An Admin is not offered the Owner role; an Auditor may not invite at all.
    app.add_member(
        "grace.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    app.add_member(
        "ken.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let admin = app.new_client();
    admin
        .sign_in("grace.admin@example.com", OWNER_PASSWORD)
        .await;
    let page = admin.get_text("/w/acme/invitations/new").await;
    assert!(!page.contains("value=\"owner\"") && page.contains("value=\"admin\""));
    let auditor = app.new_client();
    auditor
        .sign_in("ken.auditor@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(
        auditor
            .get("/w/acme/invitations/new")
            .await
            .status()
            .as_u16(),
        403
    );
    let csrf = auditor.csrf_token("/w/acme/users").await;
    let refused = auditor
        .post_form(
            "/w/acme/invitations",
            &[
                ("csrf_token", csrf.as_str()),
                ("emails", "x@example.com"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(app.count("invitations"), 0);
}

#[actix_web::test]
async fn inviting_many_pasted_addresses_creates_pending_members_emails_and_audit_events() {
    let app = spawn_app().await;
    app.set_up().await;
    let events_before = app.count("audit_events");
    let response = app
        .invite("Grace Hopper <grace@example.com>, alan@example.com; ALAN@example.com\n\"Lovelace, Byron\" <byron@example.com>", "member")
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/w/acme/users");
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("3 invitations sent"), "flash shown once");
    for email in ["grace@example.com", "alan@example.com", "byron@example.com"] {
        assert!(list.contains(email), "{email} listed");
    }
    assert_eq!(list.matches("badge-invited\">Pending").count(), 3);
    assert!(list.contains("1 member · 3 pending invitations"));
    assert!(list.contains("Free plan: 4 of 10 seats used"));
    assert!(
        !app.get_text("/w/acme/users")
            .await
            .contains("3 invitations sent"),
        "the flash shows once"
    );
    assert_eq!(app.count("invitations"), 3);
    assert_eq!(app.count("outbox_emails"), 3);
    assert_eq!(app.count("audit_events WHERE action = 'member.invited'"), 3);
    assert_eq!(app.count("audit_events"), events_before + 3);
    // The names typed with the addresses are theirs; the invitation's page starts with them.
    assert_eq!(
        app.count(
            "accounts WHERE (email = 'grace@example.com' AND first_name = 'Grace' AND last_name = 'Hopper') \
             OR (email = 'byron@example.com' AND first_name = 'Byron' AND last_name = 'Lovelace') \
             OR (email = 'alan@example.com' AND first_name = '' AND last_name = '')"
        ),
        3
    );
    assert!(list.contains("Grace Hopper"), "listed by name");
    let accept = app
        .new_client()
        .get_text(&format!("/invite/{}", app.token_for("grace@example.com")))
        .await;
    assert!(accept.contains("value=\"Grace\"") && accept.contains("value=\"Hopper\""));
    // Only hashes are stored; the email carries the token.
    let token = app.token_for("grace@example.com");
    assert_eq!(token.len(), 43);
    assert_eq!(
        app.count(&format!("invitations WHERE token_hash = '{token}'")),
        0
    );
}

#[actix_web::test]
async fn htmx_submit_closes_the_dialog_and_refreshes_the_rows() {
    let app = spawn_app().await;
    app.set_up().await;
    let csrf = app.csrf_token("/w/acme/users").await;
    let body = serde_html_form::to_string([
        ("emails", "a@example.com b@example.com"),
        ("role", "member"),
    ])
    .unwrap();
    let response = app
        .client
        .post(app.url("/w/acme/invitations"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("hx-trigger").unwrap(),
        "members-changed"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("hx-swap-oob") && html.contains("2 invitations sent"));
    assert!(
        !html.contains("<dialog"),
        "the dialog is replaced by nothing"
    );
}

#[actix_web::test]
async fn any_bad_address_refuses_the_whole_invitation_and_names_each_problem() {
    let app = spawn_with_member(
        "member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "blocked@example.com",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'blocked@example.com'");
    // Blocked, with no membership here (a member of another workspace): not said to be blocked.
    app.add_blocked_elsewhere("elsewhere@example.com");
    app.invite("pending@example.com", "member").await;
    let counts = |app: &TestApp| {
        [
            "accounts",
            "memberships",
            "invitations",
            "outbox_emails",
            "audit_events",
        ]
        .map(|t| app.count(t))
    };
    let before = counts(&app);

    let response = app
        .invite("good@example.com, not-an-address, member@example.com, pending@example.com, blocked@example.com, elsewhere@example.com, also.good@example.com", "member")
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    for (address, reason) in [
        ("not-an-address", "is not a valid email address"),
        ("member@example.com", "is already a member"),
        ("pending@example.com", "has already been invited"),
        ("blocked@example.com", "is blocked in this organization"),
        (
            "elsewhere@example.com",
            "cannot be invited: an org admin can say why",
        ),
    ] {
        assert!(
            html.contains(&format!("<strong>{address}</strong> {reason}")),
            "{address}: {reason}"
        );
    }
    // The field keeps what was typed (a typo is fixed in place); the bad ones are listed below it.
    let field = html
        .split("name=\"emails\"")
        .nth(1)
        .unwrap()
        .split("</textarea>")
        .next()
        .unwrap();
    assert!(
        field.contains("good@example.com, not-an-address, member@example.com, pending@example.com")
    );
    assert_eq!(counts(&app), before, "nothing written");

    // Empty, and a role the inviter may not grant.
    let empty = app.invite("  ,  ", "member").await;
    assert_eq!(empty.status().as_u16(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("Enter at least one email address.")
    );
    let bad_role = app.invite("x@example.com", "superuser").await;
    assert_eq!(bad_role.status().as_u16(), 422);
    assert!(bad_role.text().await.unwrap().contains("Choose a role."));
    // A NUL typed (or pasted) is shown back marked, not sent in the page.
    let nul = app
        .invite("ok@example.com\nbad\0@example.com", "member")
        .await;
    assert_eq!(nul.status().as_u16(), 422);
    let html = nul.text().await.unwrap();
    assert!(!html.contains('\0'));
    assert!(
        html.contains("ok@example.com\nbad\u{FFFD}@example.com")
            && html.contains("<strong>bad\u{FFFD}@example.com</strong>"),
        "{html}"
    );
    assert_eq!(counts(&app), before);
}

#[actix_web::test]
async fn only_owners_invite_owners() {
    let app = spawn_with_member(
        "grace.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    let admin = app.new_client();
    admin
        .sign_in("grace.admin@example.com", OWNER_PASSWORD)
        .await;
    let response = admin.invite("boss@example.com", "owner").await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Only an Owner can make someone an Owner.")
    );
    assert_eq!(app.count("invitations"), 0);
    assert_eq!(
        admin
            .invite("helper@example.com", "admin")
            .await
            .status()
            .as_u16(),
        303
    );
}

#[actix_web::test]
async fn seats_refuse_an_invitation_that_would_pass_the_plan_with_the_numbers() {
    let app = spawn_app().await;
    app.set_up().await;
    // Free plan: 10 seats; the owner and 7 more use 8.
    let many: Vec<String> = (0..7).map(|i| format!("p{i}@example.com")).collect();
    assert_eq!(
        app.invite(&many.join(" "), "member")
            .await
            .status()
            .as_u16(),
        303
    );
    let response = app
        .invite(
            "a@example.com b@example.com c@example.com d@example.com e@example.com",
            "member",
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Free plan: 10 seats, 8 in use; adding 5 would pass the limit."),
        "{html}"
    );
    assert_eq!(app.count("invitations"), 7);
    assert_eq!(
        app.invite("a@example.com b@example.com", "member")
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.count("memberships WHERE status IN ('invited', 'active', 'suspended')"),
        10
    );
}

#[actix_web::test]
async fn at_most_500_addresses_per_submit() {
    let app = spawn_app().await;
    app.set_up().await;
    let many: Vec<String> = (0..501).map(|i| format!("person{i}@example.com")).collect();
    let response = app.invite(&many.join("\n"), "member").await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Invite at most 500 people at once; this list has 501.")
    );
    assert_eq!(app.count("invitations"), 0);
}

/// A plan lowered below the seats in use since the invitation was sent: the invitee is told to
/// ask for a seat (not to remove addresses they never typed), and nothing changes.
#[actix_web::test]
async fn an_accept_without_a_seat_left_says_whom_to_ask() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com, alan@example.com", "member")
        .await;
    app.execute("UPDATE workspaces SET seat_limit = 2");
    let token = app.token_for("grace@example.com");
    let (_, refused) = app.accept_as_new(&token, "Grace", "Hopper").await;
    assert_eq!(refused.status().as_u16(), 409);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Every seat of Acme HQ is in use, so this invitation cannot be accepted now"),
        "{html}"
    );
    assert_eq!(app.count("memberships WHERE status = 'invited'"), 2);
}

#[actix_web::test]
async fn a_new_person_accepts_sets_a_name_and_password_and_is_signed_in() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com", "auditor").await;
    let token = app.token_for("grace@example.com");

    let person = app.new_client();
    let page = person.get_text(&format!("/invite/{token}")).await;
    assert!(
        page.contains("Acme HQ") && page.contains("Ada Lovelace") && page.contains("Auditor"),
        "workspace, inviter, role"
    );
    // Bad input: messages beside the fields, nothing changed.
    let csrf = csrf_in(&page);
    let bad = person
        .post_form(
            &format!("/invite/{token}"),
            &[
                ("csrf_token", csrf.as_str()),
                ("first_name", ""),
                ("last_name", "Hopper"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("id=\"first_name-error\"") && html.contains("id=\"password-error\""));
    assert!(html.contains("value=\"Hopper\""));
    assert_eq!(app.count("memberships WHERE status = 'active'"), 1);

    let (grace, response) = app.accept_as_new(&token, "Grace", "Hopper").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        location(&response),
        "/w/acme",
        "the workspace's first page for her role"
    );
    let list = grace.get_text("/w/acme/users").await;
    assert!(
        list.contains("Grace Hopper")
            && list.contains("Welcome to Acme HQ: you joined as Auditor."),
        "signed in, the auditor reads the list, welcomed once"
    );
    assert!(!grace.get_text("/w/acme/users").await.contains("Welcome to"));
    assert_eq!(app.count("memberships WHERE status = 'active'"), 2);
    assert_eq!(app.count("invitations"), 0, "single use");
    assert_eq!(app.count("audit_events WHERE action = 'member.joined'"), 1);
    // Signed in by joining: in the log, as a sign-in on /login is.
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'session.signed_in' AND target_id = \
             (SELECT id FROM accounts WHERE email = 'grace@example.com')"
        ),
        1
    );
    // The same link again: the one page for every dead link.
    let again = app.new_client().get(&format!("/invite/{token}")).await;
    assert_eq!(again.status().as_u16(), 404);
    let again = again.text().await.unwrap();
    assert!(again.contains(NO_LONGER_VALID) && again.contains("href=\"/login\">Sign in"));
    // Grace, signed in, is led into the console instead.
    let hers = grace.get_text(&format!("/invite/{token}")).await;
    assert!(
        hers.contains(NO_LONGER_VALID) && hers.contains(">Go to the console</a>"),
        "{hers}"
    );

    // A Member's first page is their profile: the welcome is said there.
    app.invite("alan@example.com", "member").await;
    let token = app.token_for("alan@example.com");
    let (alan, _) = app.accept_as_new(&token, "Alan", "Turing").await;
    let landed = alan.get("/w/acme").await;
    assert_eq!(location(&landed), "/me");
    let profile = alan.get_text("/me").await;
    assert!(
        profile.contains("Welcome to Acme HQ: you joined as Member.")
            && !profile.contains("opens no page"),
        "{profile}"
    );
}

/// Linus has an account (a member of another workspace) with a password, and is invited to acme
/// as an Admin: his account and the link's token.
async fn linus_invited_with_an_account(app: &TestApp) -> (AccountId, String) {
    app.execute(
        "INSERT INTO workspaces (name, slug, plan, seat_limit, created_at, updated_at)
         VALUES ('Labs', 'labs', 'team', 50, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    let linus = app.add_member(
        "linus.t@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(&format!("UPDATE memberships SET workspace_id = (SELECT id FROM workspaces WHERE slug = 'labs') WHERE account_id = {}", linus.0));
    app.invite("Linus.T@example.com", "admin").await;
    (linus, app.token_for("linus.t@example.com"))
}

#[actix_web::test]
async fn too_many_wrong_passwords_pause_joining_and_the_link_stays_good() {
    let app = spawn_app().await;
    app.set_up().await;
    let (_, token) = linus_invited_with_an_account(&app).await;
    let person = app.new_client();
    let link = format!("/invite/{token}");
    let csrf = csrf_in(&person.get_text(&link).await);
    let mut paused = String::new();
    for _ in 0..8 {
        let form = [("csrf_token", csrf.as_str()), ("password", "not it")];
        let answer = person.post_form(&link, &form).await;
        if answer.status().as_u16() == 429 {
            paused = answer.text().await.unwrap();
            break;
        }
    }
    assert!(
        paused.contains("Joining is paused")
            && paused.contains("The invitation still works")
            && !paused.contains("Invitation not valid"),
        "{paused}"
    );
}

#[actix_web::test]
async fn someone_with_an_account_signs_in_to_accept() {
    let app = spawn_app().await;
    app.set_up().await;
    let (linus, token) = linus_invited_with_an_account(&app).await;
    let person = app.new_client();
    let page = person.get_text(&format!("/invite/{token}")).await;
    assert!(page.contains("You already have an account") && !page.contains("name=\"first_name\""));
    let csrf = csrf_in(&page);
    let answer = |password: &'static str| {
        let (link, csrf) = (format!("/invite/{token}"), csrf.clone());
        let person = &person;
        async move {
            let form = [("csrf_token", csrf.as_str()), ("password", password)];
            person.post_form(&link, &form).await
        }
    };
    let wrong = answer("not the password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("id=\"password-error\">That password is not correct."),
        "beside the field"
    );
    assert_eq!(app.count("invitations"), 1);
    let counted = format!("sign_in_throttles WHERE key = 'account:{}'", linus.0);
    assert_eq!(app.count(&counted), 1, "the wrong password is counted");
    assert_eq!(answer(OWNER_PASSWORD).await.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "memberships WHERE account_id = {} AND status = 'active'",
            linus.0
        )),
        2
    );
    assert_eq!(app.count("accounts"), 2, "no second account");
    // Signed in with the password, as on /login: in the log, and the wrong one forgotten.
    assert_eq!(
        app.count(&format!(
            "audit_events WHERE action = 'session.signed_in' AND target_id = {}",
            linus.0
        )),
        1
    );
    assert_eq!(app.count(&counted), 0);
}

#[actix_web::test]
async fn unknown_expired_revoked_and_replaced_tokens_all_get_the_same_page() {
    let app = spawn_app().await;
    app.set_up().await;
    let visitor = app.new_client();
    for path in ["/invite/nonsense", &format!("/invite/{}", "A".repeat(43))] {
        let response = visitor.get(path).await;
        assert_eq!(response.status().as_u16(), 404);
        assert!(response.text().await.unwrap().contains(NO_LONGER_VALID));
    }
    // Expired.
    app.invite("late@example.com", "member").await;
    let late = app.token_for("late@example.com");
    app.execute("UPDATE invitations SET expires_at = '2020-01-01 00:00:00'");
    assert!(
        visitor
            .get_text(&format!("/invite/{late}"))
            .await
            .contains(NO_LONGER_VALID)
    );
    // POSTs with a dead token change nothing.
    let csrf = visitor.csrf_token("/login").await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("first_name", "Late"),
        ("last_name", "Person"),
        ("password", "long enough password"),
    ];
    let accept = visitor.post_form(&format!("/invite/{late}"), &form).await;
    assert_eq!(accept.status().as_u16(), 404);
    assert_eq!(app.count("memberships WHERE status = 'active'"), 1);
    let forged = visitor
        .post_form(
            "/invite/forged-token",
            &[
                ("csrf_token", csrf.as_str()),
                ("first_name", "A"),
                ("last_name", "B"),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(forged.status().as_u16(), 404);
}

#[actix_web::test]
async fn resend_issues_a_new_link_once_a_minute_and_kills_the_old_one() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com", "member").await;
    let old = app.token_for("grace@example.com");
    let id = app.first_id("invitations");
    // Within the minute: refused, with the reason.
    let csrf = app.csrf_token("/w/acme/users").await;
    let too_soon = app
        .post_form(
            &format!("/w/acme/invitations/{id}/resend"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(too_soon.status().as_u16(), 409);
    assert!(
        too_soon
            .text()
            .await
            .unwrap()
            .contains("You can send it again in")
    );
    app.execute("UPDATE invitations SET last_sent_at = '2020-01-01 00:00:00'");
    let resent = app
        .post_form(
            &format!("/w/acme/invitations/{id}/resend"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(resent.status().as_u16(), 303);
    let new = app.token_for("grace@example.com");
    assert_ne!(old, new);
    assert_eq!(app.count("invitations WHERE sent_count = 2"), 1);
    assert_eq!(app.count("outbox_emails"), 2);
    assert_eq!(
        app.count("audit_events WHERE action = 'invitation.resent'"),
        1
    );
    assert!(
        app.new_client()
            .get_text(&format!("/invite/{old}"))
            .await
            .contains(NO_LONGER_VALID)
    );
    let (_, accepted) = app.accept_as_new(&new, "Grace", "Hopper").await;
    assert_eq!(accepted.status().as_u16(), 303);
}

#[actix_web::test]
async fn revoke_asks_first_then_frees_the_seat_and_kills_the_link() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com", "member").await;
    let token = app.token_for("grace@example.com");
    let id = app.first_id("invitations");
    let member = app.membership_of("grace@example.com");
    // Before she joins, she is put in a group and made an app's owner: both go with her.
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Finance', '', created_at, created_at FROM workspaces");
    app.execute("INSERT INTO apps (workspace_id, kind, name, restricted, owner_membership_id, created_at, updated_at) SELECT workspace_id, 'app', 'Payroll', FALSE, id, created_at, created_at FROM memberships WHERE status = 'invited'");
    let added = app
        .post_fields(
            &format!("/w/acme/groups/{}/members/bulk", app.first_id("groups")),
            &[("emails", "grace@example.com")],
        )
        .await;
    assert!(added.status().is_success() || added.status().as_u16() == 303);
    assert_eq!(app.count("groups WHERE member_count = 1"), 1);
    // Without JavaScript the confirmation is a page of its own.
    let confirm = app
        .get_text(&format!("/w/acme/invitations/{id}/revoke"))
        .await;
    assert!(confirm.contains("Revoke invitation?") && confirm.contains("grace@example.com"));
    assert!(confirm.contains(&format!("action=\"/w/acme/invitations/{id}/revoke\"")));
    let csrf = csrf_in(&confirm);
    let response = app
        .post_form(
            &format!("/w/acme/invitations/{id}/revoke"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("Invitation for grace@example.com revoked."));
    assert!(!list.contains("badge-invited"));
    assert!(list.contains("Free plan: 1 of 10 seats used"));
    assert_eq!(
        app.count("accounts WHERE password_hash IS NULL"),
        1,
        "the invitee's account stays, unable to sign in (deleting it could race another invitation)"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'invitation.revoked'"),
        1
    );
    let log = app.get_text("/w/acme/audit").await;
    assert!(
        log.contains("groups left: Finance") && log.contains("apps left without owner: Payroll"),
        "{log}"
    );
    assert_eq!(app.count("groups WHERE member_count = 0"), 1);
    assert_eq!(app.count("apps WHERE owner_membership_id IS NULL"), 1);
    assert!(
        app.new_client()
            .get_text(&format!("/invite/{token}"))
            .await
            .contains(NO_LONGER_VALID)
    );
    // Revoking again: the reason, not an error page.
    let again = app
        .post_form(
            &format!("/w/acme/invitations/{id}/revoke"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
    // The next invitation gets an id of its own (SQLite would give a deleted row's to the next
    // one): the stale confirmation still revokes nobody.
    app.invite("yvonne@example.com", "member").await;
    assert!(app.first_id("invitations") > id);
    assert!(app.membership_of("yvonne@example.com") > member);
    let stale = app
        .post_form(
            &format!("/w/acme/invitations/{id}/revoke"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(stale.status().as_u16(), 409);
    assert_eq!(app.count("invitations"), 1);
}

#[actix_web::test]
async fn expired_invitations_are_withdrawn_with_an_audit_event() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("late@example.com, early@example.com", "member")
        .await;
    app.execute("UPDATE invitations SET expires_at = '2020-01-01 00:00:00' WHERE email = 'late@example.com'");
    let expired = invitations::expire_due(&mut app.conn(), clock::now()).unwrap();
    assert_eq!(expired, 1);
    assert_eq!(app.count("invitations"), 1);
    assert_eq!(app.count("memberships WHERE status = 'invited'"), 1);
    assert_eq!(
        app.count("audit_events WHERE action = 'invitation.expired'"),
        1
    );
}

#[actix_web::test]
async fn a_blocked_account_cannot_accept() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com", "member").await;
    let token = app.token_for("grace@example.com");
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'grace@example.com'");
    // A form opened before the block is refused when sent.
    let grace = app.new_client();
    let csrf = grace.csrf_token("/login").await;
    let response = grace
        .post_form(
            &format!("/invite/{token}"),
            &[
                ("csrf_token", csrf.as_str()),
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("This account is blocked.")
    );
    assert_eq!(app.count("memberships WHERE status = 'active'"), 1);

    // An account with a password, blocked after its invitation: the form refuses before it
    // checks the password, so it does not confirm a guess (right or wrong, the same answer).
    app.add_member(
        "alan@example.com",
        admin_console::domain::role::BuiltInRole::Member,
        admin_console::domain::membership::MembershipStatus::Active,
    );
    app.execute(
        "DELETE FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'alan@example.com')",
    );
    app.invite("alan@example.com", "member").await;
    let token = app.token_for("alan@example.com");
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'alan@example.com'");
    for password in [OWNER_PASSWORD, "a wrong guess at it"] {
        let alan = app.new_client();
        // The link's page says so and offers no form; a form opened before the block refuses.
        let page = alan.get_text(&format!("/invite/{token}")).await;
        assert!(page.contains("This account is blocked.") && !page.contains("name=\"password\""));
        let csrf = alan.csrf_token("/login").await;
        let response = alan
            .post_form(
                &format!("/invite/{token}"),
                &[("csrf_token", csrf.as_str()), ("password", password)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 403, "{password}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("This account is blocked.")
        );
    }
}

/// A group or app chosen and gone meanwhile (the workspace's last one, so the form lists none):
/// the reason is said all the same.
#[actix_web::test]
async fn a_group_or_app_gone_meanwhile_is_said_beside_its_field() {
    let app = spawn_app().await;
    app.set_up().await;
    let csrf = app.csrf_token("/w/acme/users").await;
    let response = app
        .post_form(
            "/w/acme/invitations",
            &[
                ("csrf_token", csrf.as_str()),
                ("emails", "grace@example.com"),
                ("role", "member"),
                ("group_id", "999"),
                ("app_id", "999"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("One of the chosen groups does not exist (any more).")
            && page.contains("One of the chosen apps does not exist (any more).")
            && page.contains("grace@example.com"),
        "{page}"
    );
}

#[actix_web::test]
async fn groups_and_apps_chosen_at_invite_are_granted_on_accept() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Finance', '', created_at, created_at FROM workspaces");
    app.execute("INSERT INTO apps (workspace_id, kind, name, restricted, created_at, updated_at) SELECT id, 'workflow', 'Payroll run', TRUE, created_at, created_at FROM workspaces");
    let group = app.first_id("groups").to_string();
    let app_id = app.first_id("apps").to_string();
    let dialog = app.get_text("/w/acme/invitations/new").await;
    assert!(dialog.contains("Finance") && dialog.contains("Payroll run"));
    let csrf = app.csrf_token("/w/acme/users").await;
    let response = app
        .post_form(
            "/w/acme/invitations",
            &[
                ("csrf_token", csrf.as_str()),
                ("emails", "grace@example.com"),
                ("role", "member"),
                ("group_id", &group),
                ("app_id", &app_id),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    // Someone puts the invitee in the group before she joins (the group's picker offers her).
    let added = app
        .post_fields(
            &format!("/w/acme/groups/{group}/members/bulk"),
            &[("emails", "grace@example.com")],
        )
        .await;
    assert!(added.status().is_success() || added.status().as_u16() == 303);
    assert_eq!(app.count("group_members"), 1);
    let token = app.token_for("grace@example.com");
    let (_, accepted) = app.accept_as_new(&token, "Grace", "Hopper").await;
    assert_eq!(accepted.status().as_u16(), 303);
    assert_eq!(app.count("group_members"), 1);
    assert_eq!(
        app.count("grants WHERE level = 'view' AND membership_id IS NOT NULL"),
        1
    );
    assert_eq!(app.count("groups WHERE member_count = 1"), 1);
}

#[actix_web::test]
async fn the_email_goes_through_a_real_smtp_server_and_its_link_works() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    app.set_up().await;
    app.invite("Grace Hopper <grace@example.com>", "member")
        .await;
    let message = sink.wait_for("grace@example.com").await;
    assert!(
        message.contains("Ada Lovelace invited you to Acme HQ"),
        "subject"
    );
    assert!(
        message.contains("text/plain") && message.contains("text/html"),
        "both parts"
    );
    let token = invite_token(&message);
    let (grace, response) = app.accept_as_new(&token, "Grace", "Hopper").await;
    assert_eq!(response.status().as_u16(), 303);
    assert!(grace.get_text("/me").await.contains("grace@example.com"));
    // The list shows the delivery: sent.
    app.invite("alan@example.com", "member").await;
    sink.wait_for("alan@example.com").await;
    wait_until(&app, "outbox_emails WHERE state = 'sent'", 2).await;
    assert!(app.get_text("/w/acme/users").await.contains("Email sent"));
}

async fn wait_until(app: &TestApp, rows: &str, n: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.count(rows) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {n} {rows}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Once handled, what an email said (its single-use link) is forgotten after an hour; one still
/// to be sent keeps it.
#[actix_web::test]
async fn the_link_of_a_handled_email_does_not_stay_in_the_database() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com alan@example.com", "member")
        .await;
    wait_until(&app, "outbox_emails WHERE state = 'sent'", 2).await;
    // Alan's is due again (as if it had failed once): still to be sent.
    app.execute(
        "UPDATE outbox_emails SET state = 'queued', next_attempt_at = '2999-01-01 00:00:00' \
         WHERE to_address = 'alan@example.com'",
    );
    let forget = |before| {
        admin_console::store::outbox::forget_bodies(&mut app.conn(), before).expect("forgets")
    };
    assert_eq!(
        forget(clock::now() - chrono::Duration::hours(1)),
        0,
        "not within the hour"
    );
    assert_eq!(forget(clock::now() + chrono::Duration::seconds(1)), 1);
    assert_eq!(
        app.count(
            "outbox_emails WHERE to_address = 'grace@example.com' \
             AND text_body = '' AND html_body = ''"
        ),
        1,
        "the sent one's link is gone"
    );
    assert_eq!(
        app.count(
            "outbox_emails WHERE to_address = 'alan@example.com' AND text_body LIKE '%/invite/%'"
        ),
        1,
        "the one to send keeps it"
    );
}

#[actix_web::test]
async fn smtp_down_loses_nothing_the_email_is_retried_until_it_arrives() {
    let mut sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    app.set_up().await;
    sink.stop();
    let response = app.invite("grace@example.com", "member").await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the request does not wait for SMTP"
    );
    assert_eq!(app.count("invitations"), 1);
    wait_until(
        &app,
        "outbox_emails WHERE attempts >= 1 AND last_error IS NOT NULL AND state = 'queued'",
        1,
    )
    .await;
    assert!(
        app.get_text("/w/acme/users")
            .await
            .contains("Email failing, retrying")
    );
    sink.resume().await;
    let message = sink.wait_for("grace@example.com").await;
    assert!(!invite_token(&message).is_empty());
    wait_until(&app, "outbox_emails WHERE state = 'sent'", 1).await;
}

#[actix_web::test]
async fn concurrent_invites_and_accepts_never_pass_the_seat_limit() {
    let app = spawn_app().await;
    app.set_up().await;
    // 10 seats: the owner and 7 pending invitations leave 2.
    let pending: Vec<String> = (0..7).map(|i| format!("p{i}@example.com")).collect();
    app.invite(&pending.join(" "), "member").await;
    let tokens: Vec<String> = pending.iter().map(|e| app.token_for(e)).collect();
    let mut invites = Vec::new();
    for i in 0..50 {
        let client = app.new_client();
        client.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
        let csrf = client.csrf_token("/w/acme/users").await;
        invites.push(actix_web::rt::spawn(async move {
            let emails = format!("new{i}@example.com");
            let form = [
                ("csrf_token", csrf.as_str()),
                ("emails", emails.as_str()),
                ("role", "member"),
            ];
            client
                .post_form("/w/acme/invitations", &form)
                .await
                .status()
                .as_u16()
        }));
    }
    let mut accepts = Vec::new();
    for i in 0..50 {
        let token = tokens[i % tokens.len()].clone();
        let person = app.new_client();
        let page = person.get_text(&format!("/invite/{token}")).await;
        accepts.push(actix_web::rt::spawn(async move {
            if !page.contains("csrf_token") {
                return 404;
            }
            let csrf = csrf_in(&page);
            let form = [
                ("csrf_token", csrf.as_str()),
                ("first_name", "P"),
                ("last_name", "Q"),
                ("password", "a brand new passphrase"),
            ];
            person
                .post_form(&format!("/invite/{token}"), &form)
                .await
                .status()
                .as_u16()
        }));
    }
    let mut invited = Vec::new();
    for task in invites {
        invited.push(task.await.unwrap());
    }
    let mut accepted = Vec::new();
    for task in accepts {
        accepted.push(task.await.unwrap());
    }
    assert!(
        invited.iter().all(|s| *s == 303 || *s == 422),
        "{invited:?}"
    );
    assert!(
        accepted.iter().all(|s| *s == 303 || *s == 404),
        "{accepted:?}"
    );
    let new_invitations = invited.iter().filter(|s| **s == 303).count() as i64;
    assert!(
        new_invitations <= 2,
        "only two seats were free: {new_invitations} invited"
    );
    let seats = app.count("memberships WHERE status IN ('invited', 'active', 'suspended')");
    assert!(seats <= 10, "seats used: {seats}");
    assert_eq!(seats, 1 + 7 + new_invitations);
    assert_eq!(
        accepted.iter().filter(|s| **s == 303).count(),
        7,
        "each invitation accepted exactly once"
    );
    assert_eq!(app.count("audit_events WHERE action = 'member.joined'"), 7);
    assert_eq!(
        app.count("audit_events WHERE action = 'member.invited'"),
        7 + new_invitations
    );
    // The maintained counters agree with the rows.
    assert_eq!(app.count(&format!("workspaces WHERE slug = 'acme' AND invited_count + active_count + suspended_count = {seats}")), 1);
}

#[actix_web::test]
async fn a_revoked_invitation_is_not_emailed_once_smtp_is_back() {
    let mut sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    app.set_up().await;
    sink.stop();
    app.invite("keep@example.com, drop@example.com", "member")
        .await;
    wait_until(&app, "outbox_emails WHERE attempts >= 1", 2).await;
    let id = app.first_id("invitations WHERE email = 'drop@example.com'");
    let csrf = app.csrf_token("/w/acme/users").await;
    let revoked = app
        .post_form(
            &format!("/w/acme/invitations/{id}/revoke"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 303);
    assert_eq!(app.count("outbox_emails WHERE to_address = 'drop@example.com' AND state = 'failed' AND last_error LIKE 'cancelled%'"), 1);
    sink.resume().await;
    sink.wait_for("keep@example.com").await;
    wait_until(&app, "outbox_emails WHERE state = 'sent'", 1).await;
    assert!(
        !sink
            .messages()
            .iter()
            .any(|m| m.contains("X-RcptTo: drop@example.com")),
        "the dead link was not sent"
    );
}

/// A pending invitee's page offers what can be done to an invitation (resend, revoke) and not a
/// reset link, which they cannot use before they choose a password by accepting; an Admin is not
/// offered an Owner's invitation.
#[actix_web::test]
async fn a_pending_invitees_page_offers_the_invitation_not_a_reset_link() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(app.invite("ivy@example.com", "member").await.status(), 303);
    assert_eq!(app.invite("olga@example.com", "owner").await.status(), 303);
    let (ivy, olga) = (
        app.membership_of("ivy@example.com"),
        app.membership_of("olga@example.com"),
    );
    let invitation = app.first_id(&format!("invitations WHERE membership_id = {ivy}"));
    let page = app.get_text(&format!("/w/acme/users/{ivy}")).await;
    assert!(page.contains(&format!("/w/acme/invitations/{invitation}/resend")));
    assert!(page.contains("Revoke invitation…"));
    assert!(!page.contains("Send password reset link"), "{page}");
    let refused = app
        .post_fields(&format!("/w/acme/users/{ivy}/password-reset"), &[])
        .await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("has no password yet")
    );
    assert_eq!(app.count("account_tokens"), 0);

    app.execute("UPDATE invitations SET last_sent_at = '2020-01-01 00:00:00'");
    let resent = app
        .post_fields(&format!("/w/acme/invitations/{invitation}/resend"), &[])
        .await;
    assert_eq!(resent.status(), 303);
    assert_eq!(
        app.count(&format!(
            "invitations WHERE id = {invitation} AND sent_count = 2"
        )),
        1
    );

    app.add_member(
        "alan.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    let alan = app.new_client();
    alan.sign_in("alan.admin@example.com", OWNER_PASSWORD).await;
    let page = alan.get_text(&format!("/w/acme/users/{olga}")).await;
    assert!(!page.contains("Resend invitation"), "{page}");
    assert!(!page.contains("Revoke invitation"));
    let page = alan.get_text(&format!("/w/acme/users/{ivy}")).await;
    assert!(page.contains("Resend invitation"));

    // A role that invites but cannot see who is invited manages no invitation, by guessing ids.
    let inviter = app
        .with_custom_role("ian.inviter@example.com", "Inviter", &["users.invite"])
        .await;
    for action in ["resend", "revoke"] {
        let refused = inviter
            .post_fields(&format!("/w/acme/invitations/{invitation}/{action}"), &[])
            .await;
        assert_eq!(refused.status(), 403, "{action}");
        assert!(!refused.text().await.unwrap().contains("ivy@example.com"));
    }
    assert_eq!(
        app.count(&format!(
            "invitations WHERE id = {invitation} AND sent_count = 2"
        )),
        1
    );
}

/// An invitation email greets by first name where the pasted address came with a name.
#[actix_web::test]
async fn an_invitation_greets_by_name_where_one_was_given() {
    let app = spawn_app().await;
    app.set_up().await;
    let invited = app
        .invite(
            "Grace Hopper <grace.named@example.com>, plain@example.com",
            "member",
        )
        .await;
    assert_eq!(invited.status().as_u16(), 303);
    let subject = "Ada Lovelace invited you to Acme HQ";
    let named = app.last_email("grace.named@example.com", subject);
    assert!(named.starts_with("Hello Grace,\n"), "{named}");
    let plain = app.last_email("plain@example.com", subject);
    assert!(plain.starts_with("Hello,\n"), "{plain}");
}

/// A blocked account cannot accept, so its pending invitation is neither sent again (alone or in
/// bulk) nor offered to be; it can still be revoked, and its link says so before any form.
#[actix_web::test]
async fn an_invitation_to_a_blocked_account_is_not_sent_again_and_its_link_says_why() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(app.invite("ivy@example.com", "member").await.status(), 303);
    let token = app.token_for("ivy@example.com");
    let ivy = app.first_id("accounts WHERE email = 'ivy@example.com'");
    let blocked = app
        .post_fields(&format!("/org/accounts/{ivy}/block"), &[])
        .await;
    assert_eq!(blocked.status().as_u16(), 303);
    // Past the once-a-minute wait, so only the block refuses.
    app.settings.clock.advance(chrono::Duration::minutes(2));

    let link = app.new_client().get(&format!("/invite/{token}")).await;
    assert_eq!(link.status().as_u16(), 403);
    let link = link.text().await.unwrap();
    assert!(
        link.contains("Account blocked")
            && link.contains("This account is blocked")
            && !link.contains("name=\"password\"")
            && !link.contains("href=\"/login\""),
        "no form, and no sign-in a blocked account could not use: {link}"
    );

    let invitation = app.first_id("invitations");
    let emails = app.count("outbox_emails");
    let resent = app
        .post_fields(&format!("/w/acme/invitations/{invitation}/resend"), &[])
        .await;
    assert_eq!(resent.status().as_u16(), 409);
    assert!(
        resent
            .text()
            .await
            .unwrap()
            .contains("Their account is blocked, so they could not accept it: nothing was sent.")
    );
    let member = app.membership_of("ivy@example.com").to_string();
    let preview = app
        .post_fields(
            "/w/acme/users/bulk",
            &[("action", "resend"), ("member_id", member.as_str())],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(preview.contains("Their account is blocked"), "{preview}");
    app.post_fields(
        "/w/acme/users/bulk",
        &[
            ("action", "resend"),
            ("member_id", member.as_str()),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(app.count("outbox_emails"), emails, "nothing sent");
    assert_eq!(
        app.count("audit_events WHERE action = 'invitation.resent'"),
        0
    );

    // Offered: revoke, not resend (the list's row menu and the member's page).
    let list = app.get_text("/w/acme/users").await;
    assert!(
        list.contains(&format!(
            "href=\"/w/acme/users/{member}\" data-actions=\"revoke\""
        )),
        "{list}"
    );
    let page = app.get_text(&format!("/w/acme/users/{member}")).await;
    assert!(
        !page.contains("/resend\"") && page.contains("/revoke\""),
        "{page}"
    );
    let revoked = app
        .post_fields(&format!("/w/acme/invitations/{invitation}/revoke"), &[])
        .await;
    assert_eq!(revoked.status().as_u16(), 303);
    assert_eq!(app.count("invitations"), 0);
}

/// Rule 5 when Admins are invited: counted as if they had joined, warned as a role change is.
#[actix_web::test]
async fn inviting_admins_past_a_fifth_of_members_warns() {
    let app = spawn_app().await;
    app.set_up().await;
    let few = app.invite("a1@example.com, a2@example.com", "admin").await;
    assert_eq!(few.status().as_u16(), 303);
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("2 invitations sent.") && !list.contains("Admins (more than 20 %)"));
    let more = app.invite("a3@example.com, a4@example.com", "admin").await;
    assert_eq!(more.status().as_u16(), 303);
    let list = app.get_text("/w/acme/users").await;
    assert!(
        list.contains("2 invitations sent. 4 of 5 members would be Admins (more than 20 %)"),
        "{list}"
    );
    // Members are not warned about.
    app.invite("m1@example.com", "member").await;
    assert!(
        !app.get_text("/w/acme/users")
            .await
            .contains("more than 20 %")
    );
}
