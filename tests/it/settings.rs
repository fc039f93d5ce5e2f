//! HTTP tests of a workspace's settings (issue 6) on each backend: rename, URL slug with redirects
//! of old addresses, plan and seat limit held against the seats in use, deletion confirmed by the
//! slug, one audit event per change, and who may do what.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

/// A second person of /w/acme with `role`, signed in in a browser of their own.
async fn signed_in_as(app: &TestApp, email: &str, role: BuiltInRole) -> TestApp {
    app.add_member(email, role, MembershipStatus::Active);
    let person = app.new_client();
    assert_eq!(
        person
            .sign_in(email, OWNER_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    person
}

#[actix_web::test]
async fn the_name_is_saved_and_bad_names_are_refused_beside_the_field() {
    let app = spawn_app().await;
    app.set_up().await;
    let page = app.get_text("/w/acme/settings").await;
    assert!(
        page.contains("href=\"/w/acme/settings\" aria-current=\"page\""),
        "in the side navigation"
    );
    assert!(page.contains("1 of 10 seats used") && page.contains("<meter"));
    assert!(page.contains("Danger zone") && page.contains("Type acme to confirm"));
    // Not connected to Slack: the deletion's words do not speak of a connection.
    assert!(!page.contains("its connection to the Slack"), "{page}");

    let saved = post(&app, "/w/acme/settings/name", &[("name", "  Acme Labs ")]).await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/w/acme/settings");
    let page = app.get_text("/w/acme/settings").await;
    assert!(page.contains("Name saved.") && page.contains("value=\"Acme Labs\""));
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'workspace.renamed' AND changes LIKE '%Acme HQ%' \
             AND changes LIKE '%Acme Labs%'"
        ),
        1
    );

    for (typed, message) in [
        ("   ", "This field is required."),
        (&"x".repeat(101) as &str, "Use 100 characters at most."),
        // What `name=%FF%FE` (not UTF-8) decodes to.
        ("\u{FFFD}\u{FFFD}", "could not be read"),
    ] {
        let refused = post(&app, "/w/acme/settings/name", &[("name", typed)]).await;
        assert_eq!(refused.status().as_u16(), 422, "{typed:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message) && body.contains("id=\"name-error\""));
        assert!(
            body.contains(&format!("value=\"{typed}\"")),
            "kept as typed"
        );
    }
    let unchanged = post(&app, "/w/acme/settings/name", &[("name", "Acme Labs")]).await;
    assert_eq!(unchanged.status().as_u16(), 303);
    assert_eq!(app.count("workspaces WHERE name = 'Acme Labs'"), 1);
    assert_eq!(
        app.count("audit_events WHERE action = 'workspace.renamed'"),
        1,
        "refused or unchanged: no event"
    );
}

#[actix_web::test]
async fn a_new_url_slug_redirects_every_old_address_and_can_be_taken_back() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(
        "left.long.ago@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    let same = post(&app, "/w/acme/settings/slug", &[("slug", "acme")]).await;
    assert_eq!(location(&same), "/w/acme/settings");
    assert!(
        app.get_text("/w/acme/settings")
            .await
            .contains("The URL name is /w/acme already: nothing changed.")
    );
    let moved = post(&app, "/w/acme/settings/slug", &[("slug", "acme-labs")]).await;
    assert_eq!(moved.status().as_u16(), 303);
    assert_eq!(location(&moved), "/w/acme-labs/settings");
    let page = app.get_text("/w/acme-labs/settings").await;
    assert!(page.contains("The workspace is now at /w/acme-labs"));
    assert!(
        page.contains("href=\"/w/acme-labs/users\""),
        "the switcher follows"
    );

    // Old addresses, with what is below the slug and the query string, lead to the new one.
    for (old, new) in [
        (
            "/w/acme/users?status=active&q=ada",
            "/w/acme-labs/users?status=active&q=ada",
        ),
        ("/w/acme/groups/7?after=3", "/w/acme-labs/groups/7?after=3"),
        ("/w/acme/settings", "/w/acme-labs/settings"),
        ("/w/acme", "/w/acme-labs"),
        // Typed percent-encoded: once sent back to itself, again and again.
        ("/w/%61cme/users?q=x", "/w/acme-labs/users?q=x"),
        ("/w/ac%6De", "/w/acme-labs"),
    ] {
        let response = app.get(old).await;
        assert_eq!(response.status().as_u16(), 303, "{old}");
        assert_eq!(location(&response), new);
    }
    assert_eq!(app.get("/w/acme-labs/users").await.status().as_u16(), 200);
    // A form sent to the old address is refused, not redirected (a 303 would read as done).
    let stale = post(&app, "/w/acme/settings/name", &[("name", "Renamed")]).await;
    assert_eq!(stale.status().as_u16(), 409);
    assert!(
        stale
            .text()
            .await
            .unwrap()
            .contains("is now /w/acme-labs: nothing was changed")
    );
    assert_eq!(app.count("workspaces WHERE name = 'Renamed'"), 0);
    // Someone who may not enter the workspace does not learn its new name from the old one.
    let outsider = app.new_client();
    outsider
        .sign_in("left.long.ago@example.com", OWNER_PASSWORD)
        .await;
    for path in ["/w/acme/users", "/w/acme-labs/users", "/w/never-was/users"] {
        let response = outsider.get(path).await;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert!(
            !response.text().await.unwrap().contains("acme-labs"),
            "{path}"
        );
    }

    // Bad or taken slugs: beside the field, as typed, nothing changed.
    let csrf = app.csrf_token("/org/workspaces").await;
    let other = app
        .post_form(
            "/org/workspaces",
            &[
                ("csrf_token", csrf.as_str()),
                ("name", "Other"),
                ("slug", "other"),
            ],
        )
        .await;
    assert_eq!(other.status().as_u16(), 303);
    for (typed, message) in [
        ("Acme Labs!", "Use only lower-case letters"),
        ("other", "This URL name is taken"),
    ] {
        let refused = post(&app, "/w/acme-labs/settings/slug", &[("slug", typed)]).await;
        assert_eq!(refused.status().as_u16(), 422, "{typed}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message) && body.contains("id=\"slug-error\""));
        assert!(body.contains(&format!("value=\"{typed}\"")));
    }
    let held = post(&app, "/w/other/settings/slug", &[("slug", "acme")]).await;
    assert_eq!(held.status().as_u16(), 422, "another workspace's old slug");
    assert!(held.text().await.unwrap().contains("taken"));

    // Back to the first slug: its redirect goes, the one just left is added.
    let back = post(&app, "/w/acme-labs/settings/slug", &[("slug", "acme")]).await;
    assert_eq!(location(&back), "/w/acme/settings");
    assert_eq!(app.get("/w/acme/users").await.status().as_u16(), 200);
    assert_eq!(
        location(&app.get("/w/acme-labs/users?q=x").await),
        "/w/acme/users?q=x"
    );
    assert_eq!(app.count("workspace_slug_redirects"), 1);
    assert_eq!(
        app.count("workspace_slug_redirects WHERE old_slug = 'acme-labs'"),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'workspace.slug_changed'"),
        2
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'workspace.slug_changed' AND target_label = 'acme' \
             AND changes LIKE '%\"before\":\"acme-labs\"%'"
        ),
        1
    );
}

#[actix_web::test]
async fn a_plan_and_seat_limit_must_hold_the_seats_in_use() {
    let app = spawn_app().await;
    app.set_up().await;
    for (email, status) in [
        (GRACE, MembershipStatus::Active),
        (ALAN, MembershipStatus::Suspended),
        ("ada.king@example.com", MembershipStatus::Invited),
        ("gone.person@example.com", MembershipStatus::Removed),
    ] {
        app.add_member(email, BuiltInRole::Member, status);
    }
    assert!(
        app.get_text("/w/acme/settings")
            .await
            .contains("4 of 10 seats used"),
        "pending, active and suspended use seats; removed do not"
    );

    for (plan, limit, message) in [
        (
            "team",
            "3",
            "4 seats are in use (pending invitations, active and suspended members), more than a \
             limit of 3. Choose at least 4",
        ),
        ("team", "51", "The Team plan allows at most 50 seats"),
        ("free", "12", "The Free plan always has 10 seats"),
        ("team", "many", "Enter a whole number of seats"),
        ("gold", "", "Choose a plan."),
    ] {
        let refused = post(
            &app,
            "/w/acme/settings/plan",
            &[("plan", plan), ("seat_limit", limit)],
        )
        .await;
        assert_eq!(refused.status().as_u16(), 422, "{plan} {limit}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message), "{plan} {limit}: {message}");
        assert!(body.contains("class=\"field-error\""));
    }
    assert_eq!(
        app.count("workspaces WHERE plan = 'free' AND seat_limit = 10"),
        1
    );

    for (plan, limit, shown) in [
        ("team", "", "4 of 50 seats used"),
        ("team", "4", "4 of 4 seats used"),
        ("enterprise", "", "4 seats used, no limit"),
        ("enterprise", "2000", "4 of 2,000 seats used"),
        ("free", "", "4 of 10 seats used"),
    ] {
        let saved = post(
            &app,
            "/w/acme/settings/plan",
            &[("plan", plan), ("seat_limit", limit)],
        )
        .await;
        assert_eq!(saved.status().as_u16(), 303, "{plan} {limit}");
        assert!(
            app.get_text("/w/acme/settings").await.contains(shown),
            "{shown}"
        );
    }
    assert_eq!(
        app.count("audit_events WHERE action = 'workspace.plan_changed'"),
        5
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'workspace.plan_changed' \
             AND changes LIKE '%\"before\":\"Enterprise\"%' AND changes LIKE '%\"after\":\"Free\"%' \
             AND changes LIKE '%\"before\":\"2000\"%' AND changes LIKE '%\"after\":\"10\"%'"
        ),
        1
    );
    // Said in the settings page's words.
    let log = app.get_text("/w/acme/audit").await;
    assert!(
        log.contains("plan: Enterprise → Free") && log.contains("seat limit: 2000 → 10"),
        "{log}"
    );

    // The limit is what invitations are held to.
    post(
        &app,
        "/w/acme/settings/plan",
        &[("plan", "team"), ("seat_limit", "4")],
    )
    .await;
    assert_eq!(
        app.invite("new.person@example.com", "member")
            .await
            .status()
            .as_u16(),
        422
    );
}

#[actix_web::test]
async fn admins_rename_but_only_owners_change_the_url_plan_or_delete() {
    let app = spawn_app().await;
    app.set_up().await;
    let admin = signed_in_as(&app, GRACE, BuiltInRole::Admin).await;
    let page = admin.get_text("/w/acme/settings").await;
    assert!(
        page.contains("action=\"/w/acme/settings/name\"") && page.contains("2 of 10 seats used")
    );
    for owner_only in ["settings/slug", "settings/plan", "settings/delete"] {
        assert!(!page.contains(owner_only), "{owner_only} not offered");
    }
    let renamed = post(&admin, "/w/acme/settings/name", &[("name", "By Grace")]).await;
    assert_eq!(renamed.status().as_u16(), 303);
    for (path, fields) in [
        ("/w/acme/settings/slug", vec![("slug", "grace")]),
        (
            "/w/acme/settings/plan",
            vec![("plan", "enterprise"), ("seat_limit", "")],
        ),
        ("/w/acme/settings/delete", vec![("confirm", "acme")]),
    ] {
        let refused = post(&admin, path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }

    let auditor = signed_in_as(&app, ALAN, BuiltInRole::Auditor).await;
    let page = auditor.get_text("/w/acme/settings").await;
    assert!(page.contains("By Grace") && page.contains("3 of 10 seats used"));
    assert!(!page.contains("<form method=\"post\" action=\"/w/acme/settings"));
    for (path, fields) in [
        ("/w/acme/settings/name", vec![("name", "By Alan")]),
        ("/w/acme/settings/slug", vec![("slug", "alan")]),
        (
            "/w/acme/settings/plan",
            vec![("plan", "team"), ("seat_limit", "")],
        ),
        ("/w/acme/settings/delete", vec![("confirm", "acme")]),
    ] {
        let refused = post(&auditor, path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
    assert_eq!(
        app.count("workspaces WHERE slug = 'acme' AND name = 'By Grace' AND plan = 'free'"),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action LIKE 'workspace.%' AND action <> 'workspace.created'"),
        1
    );

    // A Member has no console: their own profile only.
    let member = signed_in_as(&app, "ada.king@example.com", BuiltInRole::Member).await;
    assert_eq!(location(&member.get("/w/acme/settings").await), "/me");
}

#[actix_web::test]
async fn deleting_needs_the_url_name_and_leaves_accounts_and_sessions_working() {
    let app = spawn_app().await;
    app.set_up().await;
    let grace = signed_in_as(&app, GRACE, BuiltInRole::Admin).await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    assert_eq!(app.invite(ALAN, "member").await.status().as_u16(), 303);
    post(&app, "/w/acme/groups", &[("name", "Finance")]).await;
    let ws = app.workspace_id(WORKSPACE).0;
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, created_at, updated_at) \
         VALUES ({ws}, 'app', 'Payroll', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    // A custom role held by a member: both go with the workspace.
    app.execute(&format!(
        "INSERT INTO roles (workspace_id, key, name, permissions, built_in, created_at, updated_at) \
         VALUES ({ws}, 'support', 'Support', 'users.view users.suspend', FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'); \
         UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'support') \
         WHERE account_id = (SELECT id FROM accounts WHERE email = '{GRACE}')"
    ));
    // Alan (invited) blocked from here: who did it, and why, outlives the workspace.
    let alan_member = app.membership_of(ALAN);
    let blocked = post(
        &app,
        &format!("/w/acme/users/{alan_member}/block"),
        &[("reason", "fraud investigation")],
    )
    .await;
    assert_eq!(blocked.status().as_u16(), 303);
    post(&app, "/w/acme/settings/slug", &[("slug", "acme-hq")]).await;
    let accounts = app.count("accounts");
    assert_eq!(accounts, 3);

    for wrong in ["", "ACME-HQ", "acme", "/w/acme-hq"] {
        let refused = post(&app, "/w/acme-hq/settings/delete", &[("confirm", wrong)]).await;
        assert_eq!(refused.status().as_u16(), 422, "{wrong:?}");
        let body = refused.text().await.unwrap();
        assert!(
            body.contains("URL name exactly as shown to confirm. Nothing was deleted.")
                && body.contains("id=\"confirm-error\"")
        );
    }
    assert_eq!(app.count("workspaces"), 1);
    assert_eq!(app.count("memberships"), 3);
    assert_eq!(
        app.count("audit_events WHERE action = 'workspace.deleted'"),
        0
    );

    let deleted = post(
        &app,
        "/w/acme-hq/settings/delete",
        &[("confirm", " acme-hq ")],
    )
    .await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert_eq!(location(&deleted), "/org/workspaces", "an org owner");
    assert!(
        app.get_text("/org/workspaces")
            .await
            .contains("Workspace Acme HQ (/w/acme-hq) deleted.")
    );
    for gone in ["/w/acme-hq/users", "/w/acme/users", "/w/acme-hq/settings"] {
        assert_eq!(app.get(gone).await.status().as_u16(), 404, "{gone}");
    }
    for table in [
        "workspaces",
        "memberships",
        "invitations",
        "groups",
        "apps",
        "roles WHERE workspace_id IS NOT NULL",
        "workspace_slug_redirects",
        "outbox_emails WHERE state = 'queued'",
        "sessions WHERE workspace_id IS NOT NULL",
    ] {
        assert_eq!(app.count(table), 0, "{table}");
    }
    assert_eq!(app.count("accounts"), accounts, "accounts stay");
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'workspace.deleted' AND workspace_id IS NULL \
             AND target_label = 'acme-hq' AND changes LIKE '%\"members\":2%'"
        ),
        1
    );
    let org_log = app.get_text("/org/audit").await;
    assert!(org_log.contains("deleted the workspace /w/acme-hq"));
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.blocked' AND workspace_id IS NULL \
             AND reason = 'fraud investigation'"
        ),
        1,
        "kept in the organization's log"
    );
    assert!(org_log.contains("fraud investigation"), "{org_log}");

    // Grace's session was in the deleted workspace: it keeps working, and lands on their profile.
    assert_eq!(location(&grace.get("/").await), "/me");
    let csrf = grace.csrf_token("/me").await;
    let saved = grace
        .post_form(
            "/me/profile",
            &[
                ("csrf_token", csrf.as_str()),
                ("first_name", "Grace"),
                ("last_name", "Hopper"),
                ("email", GRACE),
                ("timezone", "UTC"),
            ],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    assert!(grace.get_text("/me").await.contains("Grace Hopper"));
}

/// The Free plan's seats are fixed: too many in use for it, the refusal says to choose a larger
/// plan, beside the plan.
#[actix_web::test]
async fn a_plan_too_small_for_the_seats_in_use_says_so_beside_the_plan() {
    let app = spawn_app().await;
    app.set_up().await;
    let moved = post(
        &app,
        "/w/acme/settings/plan",
        &[("plan", "team"), ("seat_limit", "")],
    )
    .await;
    assert_eq!(moved.status().as_u16(), 303);
    for n in 0..10 {
        app.add_member(
            &format!("person{n}@example.com"),
            BuiltInRole::Member,
            MembershipStatus::Active,
        );
    }
    let refused = post(
        &app,
        "/w/acme/settings/plan",
        &[("plan", "free"), ("seat_limit", "")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("The Free plan holds 10 seats at most, and 11 are in use")
            && body.contains("id=\"plan-error\""),
        "{body}"
    );
    assert_eq!(app.count("workspaces WHERE plan = 'team'"), 1);
}
