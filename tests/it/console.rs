//! HTTP tests of the user console (issue 4) on each backend: tabs, profile edits with bad input,
//! the role rules (own role, Owners, last owner — also concurrently), the admin warning, access
//! with reasons, activity, and ending sessions.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

fn membership_of(app: &TestApp, email: &str) -> i64 {
    app.first_id(&format!(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
    ))
}

/// A workspace whose Owner (this session) has Grace, active with `role`; her membership's id.
async fn with_grace(role: BuiltInRole) -> (TestApp, i64) {
    let app = spawn_with_member("grace.hopper@example.com", role, MembershipStatus::Active).await;
    let grace = membership_of(&app, "grace.hopper@example.com");
    (app, grace)
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token("/w/acme/users").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

#[actix_web::test]
async fn tabs_show_the_member_and_are_urls_of_their_own() {
    let (app, id) = with_grace(BuiltInRole::Admin).await;
    let overview = app.get_text(&format!("/w/acme/users/{id}")).await;
    for text in [
        "User ID",
        "grace.hopper@example.com",
        "Admin",
        "Time zone",
        "UTC",
        "Joined",
        "Last active",
        "Edit profile",
    ] {
        assert!(overview.contains(text), "{text}");
    }
    for tab in ["role", "access", "activity", "sessions"] {
        let page = app.get(&format!("/w/acme/users/{id}/{tab}")).await;
        assert_eq!(page.status().as_u16(), 200, "{tab}");
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!("href=\"/w/acme/users/{id}/{tab}\""))
                && html.contains("aria-current=\"page\"")
        );
    }
    let fragment = app
        .client
        .get(app.url(&format!("/w/acme/users/{id}/access")))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!fragment.contains("<html") && fragment.contains("Effective access"));
    assert_eq!(
        app.get(&format!("/w/acme/users/{id}/nope"))
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(app.get("/w/acme/users/999999").await.status().as_u16(), 404);
    assert!(
        app.get_text("/w/acme/users")
            .await
            .contains(&format!("href=\"/w/acme/users/{id}\"")),
        "the list links to the console"
    );
}

/// On PostgreSQL the overview's member is read with the session (`web::prefetch`): only within
/// the workspace the path names, and afresh on every view.
#[actix_web::test]
async fn the_overview_reads_its_member_in_the_paths_workspace_only() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303, "a second workspace");
    let labs = app.workspace_id("labs").0;
    let in_labs = app.first_id(&format!("memberships WHERE workspace_id = {labs}"));
    let grace = membership_of(&app, "grace.hopper@example.com");
    let status = |path: String| {
        let app = &app;
        async move { app.get(&path).await.status().as_u16() }
    };
    assert_eq!(
        status(format!("/w/acme/users/{in_labs}")).await,
        404,
        "a member of another workspace is not one of acme's"
    );
    assert_eq!(
        status(format!("/w/labs/users/{grace}")).await,
        404,
        "nor the other way round"
    );
    assert_eq!(status(format!("/w/labs/users/{in_labs}")).await, 200);
    let before = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(before.contains("grace.hopper@example.com") && !before.contains("Suspended"));
    app.execute(&format!(
        "UPDATE memberships SET status = 'suspended' WHERE id = {grace}"
    ));
    let after = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(after.contains("Suspended"), "read afresh: {after}");
}

#[actix_web::test]
async fn profile_edits_are_validated_and_audited() {
    let (app, id) = with_grace(BuiltInRole::Member).await;
    let path = format!("/w/acme/users/{id}/profile");
    let bad = post(
        &app,
        &path,
        &[
            ("first_name", ""),
            ("last_name", "Hopper"),
            ("email", "grace.hopper@example.com"),
            ("timezone", "Mars/Olympus"),
        ],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("id=\"first_name-error\"")
            && html.contains("Choose a time zone from the list")
    );
    assert!(html.contains("value=\"Mars/Olympus\""), "kept as typed");
    assert_eq!(
        app.count("accounts WHERE first_name = 'grace'"),
        1,
        "nothing written"
    );

    let ok = post(
        &app,
        &path,
        &[
            ("first_name", "Grace"),
            ("last_name", "Hopper"),
            ("email", "grace.hopper@example.com"),
            ("timezone", "Europe/Berlin"),
        ],
    )
    .await;
    assert_eq!(ok.status().as_u16(), 303);
    let page = app.get_text(&format!("/w/acme/users/{id}")).await;
    assert!(
        page.contains("Profile saved.")
            && page.contains("Europe/Berlin")
            && page.contains("Grace Hopper")
    );
    assert_eq!(app.count("audit_events WHERE action = 'member.profile_changed' AND changes LIKE '%Europe/Berlin%'"), 1);
    // The list follows the new name.
    assert!(
        app.get_text("/w/acme/users?q=Grace%20Hopper")
            .await
            .contains("grace.hopper@example.com")
    );
}

#[actix_web::test]
async fn role_changes_follow_the_rules() {
    let app = spawn_with_member(
        "grace.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "linus.member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let owner = membership_of(&app, OWNER_EMAIL);
    let grace = membership_of(&app, "grace.admin@example.com");
    let linus = membership_of(&app, "linus.member@example.com");

    // The owner promotes Linus; one audit event with before and after.
    let ok = post(
        &app,
        &format!("/w/acme/users/{linus}/role"),
        &[("role", "auditor")],
    )
    .await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(app.count("audit_events WHERE action = 'member.role_changed' AND changes LIKE '%\"before\":\"Member\"%' AND changes LIKE '%\"after\":\"Auditor\"%'"), 1);
    assert!(
        app.get_text(&format!("/w/acme/users/{linus}/role"))
            .await
            .contains("is now Auditor (was Member).")
    );
    // A role no page offers (deleted meanwhile, or made up) is refused as a bad value.
    let unknown = post(
        &app,
        &format!("/w/acme/users/{linus}/role"),
        &[("role", "custom:999999")],
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 422);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("That role does not exist")
    );
    // Nobody changes their own role; the last active owner cannot lose the role.
    let own = post(
        &app,
        &format!("/w/acme/users/{owner}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(own.status().as_u16(), 403);
    assert!(own.text().await.unwrap().contains("your own role"));

    let admin = app.new_client();
    admin
        .sign_in("grace.admin@example.com", OWNER_PASSWORD)
        .await;
    // An Admin cannot make an Owner, nor touch the Owner.
    let make_owner = post(
        &admin,
        &format!("/w/acme/users/{linus}/role"),
        &[("role", "owner")],
    )
    .await;
    assert_eq!(make_owner.status().as_u16(), 403);
    assert!(
        make_owner
            .text()
            .await
            .unwrap()
            .contains("Only an Owner can make someone an Owner.")
    );
    let demote_owner = post(
        &admin,
        &format!("/w/acme/users/{owner}/role"),
        &[("role", "member")],
    )
    .await;
    assert_eq!(demote_owner.status().as_u16(), 403);
    // The role tab offers the Admin no Owner role, and no form for herself.
    let tab = admin.get_text(&format!("/w/acme/users/{linus}/role")).await;
    assert!(tab.contains("value=\"admin\"") && !tab.contains("value=\"owner\""));
    let own_tab = admin.get_text(&format!("/w/acme/users/{grace}/role")).await;
    assert!(
        !own_tab.contains(&format!("action=\"/w/acme/users/{grace}/role\"")),
        "no form for one's own role"
    );

    // The last owner: make Grace an owner, then each may demote the other, but not both.
    assert_eq!(
        post(
            &app,
            &format!("/w/acme/users/{grace}/role"),
            &[("role", "owner")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let grace_owner = app.new_client();
    grace_owner
        .sign_in("grace.admin@example.com", OWNER_PASSWORD)
        .await;
    // Ada is the org owner: a workspace Owner does not outrank her.
    let outranked = post(
        &grace_owner,
        &format!("/w/acme/users/{owner}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(outranked.status().as_u16(), 403);
    assert!(
        outranked
            .text()
            .await
            .unwrap()
            .contains("Only an org owner can change the role of an org owner.")
    );
    assert_eq!(
        post(
            &app,
            &format!("/w/acme/users/{grace}/role"),
            &[("role", "admin")]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    let last = post(
        &grace_owner,
        &format!("/w/acme/users/{grace}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(
        last.status().as_u16(),
        403,
        "own role, and the last owner anyway"
    );
    assert_eq!(app.count("memberships WHERE role_id = (SELECT id FROM roles WHERE key = 'owner') AND status = 'active'"), 1);
}

#[actix_web::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = spawn_with_member(
        "grace.owner@example.com",
        BuiltInRole::Owner,
        MembershipStatus::Active,
    )
    .await;
    // Both org owners, so that neither outranks the other and only the last-Owner rule decides.
    app.execute("UPDATE accounts SET org_role = 'owner' WHERE email = 'grace.owner@example.com'");
    let ada = membership_of(&app, OWNER_EMAIL);
    let grace = membership_of(&app, "grace.owner@example.com");
    for round in 0..3 {
        let a = app.new_client();
        a.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
        let g = app.new_client();
        g.sign_in("grace.owner@example.com", OWNER_PASSWORD).await;
        let a_csrf = a.csrf_token("/w/acme/users").await;
        let g_csrf = g.csrf_token("/w/acme/users").await;
        let first = actix_web::rt::spawn(async move {
            a.post_form(
                &format!("/w/acme/users/{grace}/role"),
                &[("csrf_token", a_csrf.as_str()), ("role", "admin")],
            )
            .await
            .status()
            .as_u16()
        });
        let second = actix_web::rt::spawn(async move {
            g.post_form(
                &format!("/w/acme/users/{ada}/role"),
                &[("csrf_token", g_csrf.as_str()), ("role", "admin")],
            )
            .await
            .status()
            .as_u16()
        });
        let statuses = [first.await.unwrap(), second.await.unwrap()];
        let owners = app.count("memberships WHERE role_id = (SELECT id FROM roles WHERE key = 'owner') AND status = 'active'");
        assert_eq!(owners, 1, "round {round}: {statuses:?}");
        assert_eq!(
            statuses.iter().filter(|s| **s == 303).count(),
            1,
            "round {round}: one refused: {statuses:?}"
        );
        // Back to two owners for the next round (the org owner Ada can always act).
        app.execute("UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'owner')");
    }
}

#[actix_web::test]
async fn a_custom_role_cannot_grant_more_than_it_holds_and_many_admins_warn() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("UPDATE workspaces SET plan = 'team', seat_limit = 50");
    let sam = app.add_member(
        "sam.support@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(
        "INSERT INTO roles (workspace_id, key, name, description, permissions, built_in, created_at, updated_at)
         SELECT id, 'support', 'Support', '', 'users.view users.change_role', FALSE, created_at, created_at FROM workspaces",
    );
    app.execute(&format!("UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'support') WHERE account_id = {}", sam.0));
    for i in 0..5 {
        app.add_member(
            &format!("person{i}.x@example.com"),
            if i < 3 {
                BuiltInRole::Admin
            } else {
                BuiltInRole::Member
            },
            MembershipStatus::Active,
        );
    }
    let target = membership_of(&app, "person4.x@example.com");
    let support = app.new_client();
    support
        .sign_in("sam.support@example.com", OWNER_PASSWORD)
        .await;
    let escalation = post(
        &support,
        &format!("/w/acme/users/{target}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(escalation.status().as_u16(), 403);
    assert!(
        escalation
            .text()
            .await
            .unwrap()
            .contains("permissions you do not hold")
    );
    // Owner makes a fourth admin among 7 members: a warning, not a refusal.
    let warned = post(
        &app,
        &format!("/w/acme/users/{target}/role"),
        &[("role", "admin")],
    )
    .await;
    assert_eq!(warned.status().as_u16(), 303);
    assert!(
        app.get_text(&location(&warned))
            .await
            .contains("more than 20 %")
    );
    // Taking Admin away warns of nothing, though Admins are still past a fifth.
    let demoted = post(
        &app,
        &format!("/w/acme/users/{target}/role"),
        &[("role", "auditor")],
    )
    .await;
    assert_eq!(demoted.status().as_u16(), 303);
    let page = app.get_text(&location(&demoted)).await;
    assert!(
        page.contains("now Auditor") && !page.contains("more than 20 %"),
        "{page}"
    );
}

#[actix_web::test]
async fn access_tab_gives_effective_access_with_the_reason() {
    let (app, grace) = with_grace(BuiltInRole::Member).await;
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Finance', '', created_at, created_at FROM workspaces");
    app.execute("INSERT INTO apps (workspace_id, kind, name, restricted, created_at, updated_at) SELECT id, 'workflow', 'Payroll run', TRUE, created_at, created_at FROM workspaces");
    app.execute("INSERT INTO apps (workspace_id, kind, name, restricted, created_at, updated_at) SELECT id, 'app', 'CRM', FALSE, created_at, created_at FROM workspaces");
    app.execute(&format!("INSERT INTO group_members (group_id, membership_id, created_at) SELECT id, {grace}, created_at FROM groups"));
    app.execute("INSERT INTO grants (app_id, group_id, level, created_at) SELECT a.id, g.id, 'run', a.created_at FROM apps a, groups g WHERE a.name = 'Payroll run'");
    app.execute(&format!("INSERT INTO grants (app_id, membership_id, level, created_at) SELECT id, {grace}, 'view', created_at FROM apps WHERE name = 'Payroll run'"));
    app.execute(&format!("INSERT INTO grants (app_id, membership_id, level, created_at) SELECT id, {grace}, 'edit', created_at FROM apps WHERE name = 'CRM'"));
    let html = app.get_text(&format!("/w/acme/users/{grace}/access")).await;
    assert!(html.contains("Finance"));
    assert!(
        html.contains("Can run Payroll run — through group Finance"),
        "{html}"
    );
    assert!(html.contains("Can edit CRM — direct grant"));
    assert!(html.contains("Effective access") && !html.contains("none of it applies"));
    // Suspended, the same grants are listed as granted, and said not to apply.
    let suspended = post(&app, &format!("/w/acme/users/{grace}/suspend"), &[]).await;
    assert_eq!(suspended.status().as_u16(), 303);
    let html = app.get_text(&format!("/w/acme/users/{grace}/access")).await;
    assert!(
        html.contains("Access granted")
            && html.contains("Suspended: none of it applies until they are unsuspended.")
            && html.contains("Can edit CRM — direct grant"),
        "{html}"
    );
}

#[actix_web::test]
async fn activity_lists_what_was_done_to_and_by_the_member() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com", "member").await;
    let token = app.token_for("grace@example.com");
    app.accept_as_new(&token, "Grace", "Hopper").await;
    let grace = membership_of(&app, "grace@example.com");
    let html = app
        .get_text(&format!("/w/acme/users/{grace}/activity"))
        .await;
    // In words, as the audit log says them, times in the viewer's zone (Ada's: UTC).
    assert!(
        html.contains("Ada Lovelace (ada@example.com) invited grace@example.com")
            && html.contains("Grace Hopper (grace@example.com) joined"),
        "{html}"
    );
    assert!(
        html.contains(" UTC</time>") && !html.contains("{&quot;"),
        "{html}"
    );
}

#[actix_web::test]
async fn activity_lists_the_groups_and_app_access_the_member_was_given_and_lost() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com, alan@example.com", "member")
        .await;
    for email in ["grace@example.com", "alan@example.com"] {
        let token = app.token_for(email);
        app.accept_as_new(&token, "New", "Person").await;
    }
    let (grace, alan) = (
        membership_of(&app, "grace@example.com"),
        membership_of(&app, "alan@example.com"),
    );
    let (_, payroll) = app
        .group_and_app_events_naming(grace, "grace@example.com")
        .await;
    let lowered = post(
        &app,
        &format!("/w/acme/apps/{payroll}/grants"),
        &[("email", "grace@example.com"), ("level", "view")],
    )
    .await;
    assert_eq!(lowered.status().as_u16(), 303);
    let grant = app.first_id(&format!("grants WHERE membership_id = {grace}"));
    let ended = post(
        &app,
        &format!("/w/acme/apps/{payroll}/grants/{grant}/remove"),
        &[],
    )
    .await;
    assert_eq!(ended.status().as_u16(), 303);

    // Each is in Grace's Activity, though its target is the group or the app.
    let html = app
        .get_text(&format!("/w/acme/users/{grace}/activity"))
        .await;
    for words in [
        "added members to the group Night shift",
        "took a member out of the group Night shift",
        "gave access to Payroll",
        "changed access to Payroll",
        "ended access to Payroll",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    // Not in Alan's, whom none of them named.
    let html = app
        .get_text(&format!("/w/acme/users/{alan}/activity"))
        .await;
    assert!(
        !html.contains("Night shift") && !html.contains("Payroll"),
        "{html}"
    );
}

#[actix_web::test]
async fn ending_a_session_signs_that_browser_out_at_once() {
    let (app, grace) = with_grace(BuiltInRole::Auditor).await;
    let laptop = app.new_client();
    laptop
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let phone = app.new_client();
    phone
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let html = app
        .get_text(&format!("/w/acme/users/{grace}/sessions"))
        .await;
    assert_eq!(
        html.matches("/end\"").count(),
        2,
        "two sessions, each with Sign out"
    );
    let one = app.first_id(&format!(
        "sessions WHERE account_id = (SELECT account_id FROM memberships WHERE id = {grace})"
    ));
    assert_eq!(
        post(
            &app,
            &format!("/w/acme/users/{grace}/sessions/{one}/end"),
            &[]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    // The same session again (ended meanwhile), or one that is not hers: nothing done, said so.
    let again = post(
        &app,
        &format!("/w/acme/users/{grace}/sessions/{one}/end"),
        &[],
    )
    .await;
    assert_eq!(again.status().as_u16(), 303);
    let page = app.get_text(&location(&again)).await;
    assert!(
        page.contains("alert-warning") && page.contains("had ended already"),
        "{page}"
    );
    let statuses = [
        laptop.get("/w/acme/users").await.status().as_u16(),
        phone.get("/w/acme/users").await.status().as_u16(),
    ];
    assert!(
        statuses.contains(&303) && statuses.contains(&200),
        "one browser signed out: {statuses:?}"
    );
    assert_eq!(
        post(
            &app,
            &format!("/w/acme/users/{grace}/sessions/end-all"),
            &[]
        )
        .await
        .status()
        .as_u16(),
        303
    );
    assert_eq!(phone.get("/w/acme/users").await.status().as_u16(), 303);
    assert_eq!(laptop.get("/w/acme/users").await.status().as_u16(), 303);
    assert_eq!(
        app.count(
            "audit_events WHERE action IN ('member.session_ended', 'member.signed_out_everywhere')"
        ),
        2
    );
    // An auditor may look, but not act.
    let auditor = app.new_client();
    auditor
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let owner = membership_of(&app, OWNER_EMAIL);
    assert_eq!(
        post(
            &auditor,
            &format!("/w/acme/users/{owner}/sessions/end-all"),
            &[]
        )
        .await
        .status()
        .as_u16(),
        403
    );
    assert_eq!(
        post(
            &auditor,
            &format!("/w/acme/users/{owner}/role"),
            &[("role", "member")]
        )
        .await
        .status()
        .as_u16(),
        403
    );
    assert_eq!(
        post(
            &auditor,
            &format!("/w/acme/users/{owner}/profile"),
            &[
                ("first_name", "X"),
                ("last_name", "Y"),
                ("email", "x@example.com"),
                ("timezone", "UTC")
            ]
        )
        .await
        .status()
        .as_u16(),
        403
    );
}

/// The console's times are in the viewer's time zone, and "Last modified" follows a change to
/// the membership (a suspension) as well as to the account.
#[actix_web::test]
async fn the_overview_reads_in_the_viewers_zone_and_follows_membership_changes() {
    let (app, grace) = with_grace(BuiltInRole::Member).await;
    app.execute("UPDATE accounts SET updated_at = '2020-01-02 03:04:05'");
    app.execute("UPDATE memberships SET updated_at = '2020-01-02 03:04:05'");
    app.execute(&format!(
        "UPDATE accounts SET timezone = 'Asia/Tokyo' WHERE email = '{OWNER_EMAIL}'"
    ));
    let page = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(page.contains("2 Jan 2020, 12:04 JST"), "{page}");
    let suspended = app
        .post_fields(&format!("/w/acme/users/{grace}/suspend"), &[])
        .await;
    assert_eq!(suspended.status().as_u16(), 303);
    let page = app.get_text(&format!("/w/acme/users/{grace}")).await;
    let modified = page
        .split("Last modified")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .unwrap_or_default();
    assert!(
        !modified.contains("2020") && modified.contains("JST"),
        "{modified}"
    );
}

#[actix_web::test]
async fn the_access_tab_says_what_a_member_may_do_and_why() {
    let (app, grace) = with_grace(BuiltInRole::Admin).await;
    let tab = format!("/w/acme/users/{grace}/access");
    let page = app.get_text(&tab).await;
    assert!(page.contains("From their role, Admin:"), "{page}");
    assert!(page.contains("<li>Suspend and unsuspend members</li>"));
    assert!(!page.contains("<li>Plan, URL and ownership</li>"));
    let suspended = app
        .post_fields(&format!("/w/acme/users/{grace}/suspend"), &[])
        .await;
    assert_eq!(suspended.status().as_u16(), 303);
    let page = app.get_text(&tab).await;
    assert!(
        page.contains("Suspended: nothing here until unsuspended"),
        "{page}"
    );
    assert!(!page.contains("<li>Suspend and unsuspend members</li>"));
}
