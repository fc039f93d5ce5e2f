//! HTTP tests of custom roles (issue 6) on each backend: create, change and delete with bad input
//! beside the field, a role in use kept and its holders named, no escalation (PRODUCT §4 rule 6),
//! one audit event per change — and a "Support" role whose holders see and do exactly what it
//! allows, everywhere in the console.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";
const SAM: &str = "sam.support@example.com";

/// Creates a role as `app`'s person: the form as a browser sends it (one `permission` per box).
async fn create(
    app: &TestApp,
    name: &str,
    description: &str,
    permissions: &[&str],
) -> reqwest::Response {
    let mut fields = vec![("name", name), ("description", description)];
    fields.extend(permissions.iter().map(|p| ("permission", *p)));
    app.post_fields("/w/acme/roles", &fields).await
}

async fn update(
    app: &TestApp,
    id: i64,
    name: &str,
    description: &str,
    permissions: &[&str],
) -> reqwest::Response {
    let mut fields = vec![("name", name), ("description", description)];
    fields.extend(permissions.iter().map(|p| ("permission", *p)));
    app.post_fields(&format!("/w/acme/roles/{id}"), &fields)
        .await
}

fn role_id(app: &TestApp, name: &str) -> i64 {
    app.first_id(&format!(
        "roles WHERE workspace_id IS NOT NULL AND name = '{name}'"
    ))
}

/// Gives the member a role through the console's role change, as `app`'s person.
async fn give_role(app: &TestApp, email: &str, role: i64) -> reqwest::Response {
    let member = app.membership_of(email);
    app.post_fields(
        &format!("/w/acme/users/{member}/role"),
        &[("role", role.to_string().as_str())],
    )
    .await
}

#[actix_web::test]
async fn custom_roles_are_created_changed_and_deleted_with_bad_input_refused() {
    let app = spawn_app().await;
    app.set_up().await;
    let empty = app.get_text("/w/acme/roles").await;
    assert!(empty.contains("No custom roles yet") && empty.contains("Create a role"));
    assert!(
        empty.contains("href=\"/w/acme/roles\" aria-current=\"page\""),
        "in the side navigation"
    );
    for built_in in ["Owner", "Admin", "Auditor", "Member"] {
        assert!(empty.contains(&format!(
            "<th scope=\"col\" class=\"center\">{built_in}</th>"
        )));
    }
    assert!(empty.contains("Export the users list to CSV <code>users.export</code>"));
    assert!(empty.contains("value=\"users.suspend\""));
    assert!(
        !empty.contains("value=\"owner\""),
        "owner is never offered for a custom role"
    );

    let created = create(
        &app,
        "  Support ",
        "Front line",
        &["users.view", "users.suspend"],
    )
    .await;
    assert_eq!(created.status().as_u16(), 303);
    let id = role_id(&app, "Support");
    assert_eq!(location(&created), format!("/w/acme/roles/{id}"));
    let page = app.get_text(&format!("/w/acme/roles/{id}")).await;
    assert!(page.contains("Role Support created.") && page.contains("Front line"));
    assert!(page.contains("Suspend and unsuspend members <code>users.suspend</code>"));
    assert!(page.contains("held by nobody"));
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'role.created' AND target_label = 'Support' \
             AND changes LIKE '%users.view, users.suspend%'"
        ),
        1
    );
    let list = app.get_text("/w/acme/roles").await;
    assert!(list.contains("Support") && list.contains("See the users list and each member"));
    assert!(list.contains("Nobody"));

    // Bad input: a message beside the field, the form as typed (ticked boxes stay ticked), nothing
    // written.
    let too_long = "x".repeat(101);
    for (name, permissions, field, message) in [
        (
            "   ",
            &["users.view", "users.export"][..],
            "name",
            "This field is required.",
        ),
        (
            "SUPPORT",
            &["users.view", "users.export"][..],
            "name",
            "A role with this name exists already",
        ),
        (
            "admin",
            &["users.view", "users.export"][..],
            "name",
            "Admin is a built-in role: choose another name.",
        ),
        (
            "Owner\u{200B}",
            &["users.view", "users.export"][..],
            "name",
            "This name holds an invisible character",
        ),
        (
            too_long.as_str(),
            &["users.view", "users.export"][..],
            "name",
            "Use 100 characters at most.",
        ),
        (
            "Nothing",
            &[][..],
            "permission",
            "Tick at least one permission: a role without any is the built-in Member.",
        ),
        (
            "Boss",
            &["users.export", "owner"][..],
            "permission",
            "A custom role cannot hold “owner”",
        ),
        (
            "Pilot",
            &["users.export", "users.fly"][..],
            "permission",
            "“users.fly” is not a permission of this console.",
        ),
    ] {
        let refused = create(&app, name, "kept as typed", permissions).await;
        assert_eq!(refused.status().as_u16(), 422, "{name:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message), "{name:?}: {message}");
        assert!(
            body.contains(&format!("id=\"{field}-error\"")),
            "{name:?}: beside {field}"
        );
        assert!(
            body.contains("kept as typed</textarea>"),
            "description kept"
        );
        if !permissions.is_empty() {
            assert!(
                body.contains("value=\"users.export\" checked"),
                "{name:?}: ticked boxes stay ticked"
            );
            assert!(!body.contains("value=\"users.invite\" checked"));
        }
    }
    assert_eq!(app.count("roles WHERE workspace_id IS NOT NULL"), 1);
    assert_eq!(app.count("audit_events WHERE action LIKE 'role.%'"), 1);

    // Change: name, description and permissions, with before and after in the event.
    let changed = update(
        &app,
        id,
        "Helpdesk",
        "",
        &["users.view", "users.suspend", "users.export"],
    )
    .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert_eq!(location(&changed), format!("/w/acme/roles/{id}"));
    assert!(
        app.get_text(&format!("/w/acme/roles/{id}"))
            .await
            .contains("Role saved.")
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'role.updated' AND target_label = 'Helpdesk' \
             AND changes LIKE '%\"before\":\"Support\"%' AND changes LIKE '%\"after\":\"Helpdesk\"%' \
             AND changes LIKE '%Front line%' \
             AND changes LIKE '%\"after\":\"users.view, users.suspend, users.export\"%'"
        ),
        1
    );
    let unchanged = update(
        &app,
        id,
        "Helpdesk",
        "",
        &["users.export", "users.view", "users.suspend"],
    )
    .await;
    assert_eq!(unchanged.status().as_u16(), 303);
    assert_eq!(
        app.count("audit_events WHERE action = 'role.updated'"),
        1,
        "nothing changed, no event"
    );
    assert_eq!(
        create(&app, "Billing", "", &["users.export"])
            .await
            .status()
            .as_u16(),
        303
    );
    for (name, message) in [
        ("BILLING", "A role with this name exists already"),
        ("Member", "Member is a built-in role"),
    ] {
        let refused = update(&app, id, name, "", &["users.view"]).await;
        assert_eq!(refused.status().as_u16(), 422, "{name}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message), "{name}");
        assert!(body.contains(&format!("value=\"{name}\"")), "kept as typed");
    }
    let audit = app.get_text("/w/acme/audit").await;
    assert!(
        audit.contains("edited the role Helpdesk") && audit.contains("created the role Billing")
    );

    // Delete: a role nobody holds goes after a confirmation.
    let billing = role_id(&app, "Billing");
    let confirm = app
        .get_text(&format!("/w/acme/roles/{billing}/delete"))
        .await;
    assert!(confirm.contains("Delete the role Billing?") && confirm.contains("Nobody holds it."));
    let deleted = app
        .post_fields(&format!("/w/acme/roles/{billing}/delete"), &[])
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert_eq!(location(&deleted), "/w/acme/roles");
    assert!(
        app.get_text("/w/acme/roles")
            .await
            .contains("Role Billing deleted.")
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'role.deleted' AND target_label = 'Billing' \
             AND changes LIKE '%users.export%'"
        ),
        1
    );
    for path in [
        format!("/w/acme/roles/{billing}"),
        format!("/w/acme/roles/{billing}/delete"),
        // A built-in role is not a custom role of this workspace.
        format!(
            "/w/acme/roles/{}",
            app.first_id("roles WHERE key = 'admin'")
        ),
    ] {
        assert_eq!(app.get(&path).await.status().as_u16(), 404, "{path}");
    }
}

/// A role whose permissions start from a list it does not open is saved, with a warning naming
/// what its holders cannot use and what to tick.
#[actix_web::test]
async fn a_role_that_cannot_reach_its_work_is_saved_with_a_warning() {
    let app = spawn_app().await;
    app.set_up().await;
    let created = create(&app, "Suspender", "", &["users.suspend"]).await;
    assert_eq!(created.status().as_u16(), 303);
    let id = role_id(&app, "Suspender");
    let page = app.get_text(&format!("/w/acme/roles/{id}")).await;
    assert!(
        page.contains(
            "<div class=\"alert alert-warning\">Role Suspender created. Its holders cannot use \
             “users.suspend” without “users.view”"
        ) && page.contains("Tick “users.view” too."),
        "{page}"
    );
    // Ticked: saved without a warning.
    let saved = update(&app, id, "Suspender", "", &["users.view", "users.suspend"]).await;
    assert_eq!(saved.status().as_u16(), 303);
    let page = app.get_text(&format!("/w/acme/roles/{id}")).await;
    assert!(
        page.contains("Role saved.") && !page.contains("alert-warning"),
        "{page}"
    );
}

#[actix_web::test]
async fn a_role_in_use_is_not_deleted_and_says_who_holds_it() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("UPDATE workspaces SET plan = 'enterprise', seat_limit = NULL");
    create(&app, "Support", "", &["users.view", "users.suspend"]).await;
    let id = role_id(&app, "Support");
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    assert_eq!(give_role(&app, GRACE, id).await.status().as_u16(), 303);
    for i in 0..21 {
        app.add_member(
            &format!("person{i:02}.x@example.com"),
            BuiltInRole::Member,
            MembershipStatus::Active,
        );
    }
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Removed);
    app.execute(&format!(
        "UPDATE memberships SET role_id = {id} WHERE account_id IN \
         (SELECT id FROM accounts WHERE email LIKE 'person%' OR email = '{ALAN}')"
    ));
    assert_eq!(
        app.invite("new.hire@example.com", &id.to_string())
            .await
            .status()
            .as_u16(),
        303,
        "a custom role is offered to invitations"
    );

    let list = app.get_text("/w/acme/roles").await;
    assert!(
        list.contains("22 members, 1 pending invitation and 1 removed member"),
        "{list}"
    );
    let page = app.get_text(&format!("/w/acme/roles/{id}")).await;
    assert!(
        page.contains(GRACE) && page.contains("and 4 more"),
        "{page}"
    );
    assert!(
        app.get_text(&format!("/w/acme/users?role={id}"))
            .await
            .contains(GRACE),
        "the users list filters by the role"
    );

    let confirm = app.get_text(&format!("/w/acme/roles/{id}/delete")).await;
    assert!(
        confirm.contains("Support cannot be deleted yet"),
        "{confirm}"
    );
    assert!(confirm.contains(
        "22 members, 1 pending invitation and 1 removed member hold it. Give them another role first"
    ));
    assert!(confirm.contains(&format!("grace hopper ({GRACE}), Active")));
    assert!(confirm.contains("and 4 more") && confirm.contains("purged 14 days"));
    assert!(
        !confirm.contains(&format!("action=\"/w/acme/roles/{id}/delete\"")),
        "nothing to confirm"
    );
    let refused = app
        .post_fields(&format!("/w/acme/roles/{id}/delete"), &[])
        .await;
    assert_eq!(refused.status().as_u16(), 409);
    let body = refused.text().await.unwrap();
    assert!(body.contains("This role is still held") && body.contains(GRACE));
    assert_eq!(app.count(&format!("roles WHERE id = {id}")), 1);
    assert_eq!(app.count("audit_events WHERE action = 'role.deleted'"), 0);

    // A role that hands out roles without seeing members reads how many hold it, not who.
    let roler = app
        .with_custom_role(
            "rory@example.com",
            "Roles",
            &["users.change_role", "users.suspend"],
        )
        .await;
    let page = roler.get_text(&format!("/w/acme/roles/{id}")).await;
    assert!(
        !page.contains(GRACE) && page.contains("not named here"),
        "{page}"
    );
    create(&app, "Suspenders", "", &["users.suspend"]).await;
    let suspenders = role_id(&app, "Suspenders");
    app.add_member(
        "holder@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    give_role(&app, "holder@example.com", suspenders).await;
    let confirm = roler
        .get_text(&format!("/w/acme/roles/{suspenders}/delete"))
        .await;
    assert!(
        confirm.contains("cannot be deleted yet") && !confirm.contains("holder@example.com"),
        "{confirm}"
    );
    let refused = roler
        .post_fields(&format!("/w/acme/roles/{suspenders}/delete"), &[])
        .await;
    assert_eq!(refused.status().as_u16(), 409);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("still held by 1 person") && !body.contains("holder@example.com"),
        "{body}"
    );

    // Once everyone has another role (here by fixture), it goes.
    app.execute(&format!(
        "UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'member') WHERE role_id = {id}"
    ));
    let deleted = app
        .post_fields(&format!("/w/acme/roles/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert_eq!(app.count("audit_events WHERE action = 'role.deleted'"), 1);
}

#[actix_web::test]
async fn nobody_puts_in_a_role_what_they_do_not_hold() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "ada.king@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    create(&app, "Support", "", &["users.view", "users.suspend"]).await;
    create(
        &app,
        "Manager",
        "",
        &["users.view", "users.invite", "users.change_role"],
    )
    .await;
    let (support, manager) = (role_id(&app, "Support"), role_id(&app, "Manager"));
    give_role(&app, ALAN, manager).await;

    // The owner permission is never in a custom role, whoever asks.
    let admin = app.new_client();
    admin.sign_in(GRACE, OWNER_PASSWORD).await;
    for who in [&app, &admin] {
        let refused = create(who, "Boss", "", &["users.view", "owner"]).await;
        assert_eq!(refused.status().as_u16(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("A custom role cannot hold “owner”")
        );
    }

    // A Manager reads the roles; the boxes of what they lack cannot be ticked, and a hand-made
    // POST with one is refused beside the field.
    let alan = app.new_client();
    alan.sign_in(ALAN, OWNER_PASSWORD).await;
    let page = alan.get_text("/w/acme/roles").await;
    assert!(page.contains("Create a role"));
    assert!(page.contains("value=\"users.suspend\" disabled"));
    assert!(!page.contains("value=\"users.invite\" disabled"));
    let escalation = create(&alan, "Helper", "", &["users.view", "users.suspend"]).await;
    assert_eq!(escalation.status().as_u16(), 422);
    let body = escalation.text().await.unwrap();
    assert!(
        body.contains(
            "You do not hold these permissions yourself, so no role you make can hold them: \
             Suspend and unsuspend members (users.suspend)."
        ),
        "{body}"
    );
    assert!(body.contains("id=\"permission-error\""));
    assert_eq!(app.count("roles WHERE name = 'Helper'"), 0);
    assert_eq!(
        create(&alan, "Viewer", "", &["users.view"])
            .await
            .status()
            .as_u16(),
        303
    );
    let viewer = role_id(&app, "Viewer");

    // Not their own role, nor one holding more than they do.
    let own = update(&alan, manager, "Manager", "", &["users.view"]).await;
    assert_eq!(own.status().as_u16(), 403);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("You hold this role yourself")
    );
    assert_eq!(
        update(&alan, support, "Support", "", &["users.view"])
            .await
            .status()
            .as_u16(),
        403
    );
    for path in [
        format!("/w/acme/roles/{support}/delete"),
        format!("/w/acme/roles/{manager}/delete"),
    ] {
        assert_eq!(alan.get(&path).await.status().as_u16(), 403, "{path}");
        assert_eq!(
            alan.post_fields(&path, &[]).await.status().as_u16(),
            403,
            "{path}"
        );
    }
    let support_page = alan.get_text(&format!("/w/acme/roles/{support}")).await;
    assert!(support_page.contains("only someone who holds them can change or delete it"));
    assert!(!support_page.contains("Delete role") && !support_page.contains(">Save<"));

    // Handing out a custom role goes through the same rule: not Support (it suspends), Viewer yes.
    let refused = give_role(&alan, "ada.king@example.com", support).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("permissions you do not hold")
    );
    let invite = alan
        .invite("new.person@example.com", &support.to_string())
        .await;
    assert_eq!(invite.status().as_u16(), 422);
    assert!(
        !alan
            .get_text("/w/acme/invitations/new")
            .await
            .contains(&format!("value=\"{support}\"")),
        "not offered"
    );
    assert_eq!(
        give_role(&alan, "ada.king@example.com", viewer)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(app.count("audit_events WHERE action LIKE 'role.%'"), 3);

    // Auditors read the roles and change nothing; a Member has no console.
    app.execute(&format!(
        "UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'auditor') \
         WHERE id = {}",
        app.membership_of(GRACE)
    ));
    let auditor = admin;
    let read = auditor.get_text("/w/acme/roles").await;
    assert!(read.contains("Support") && !read.contains("Create a role"));
    assert!(
        !auditor
            .get_text(&format!("/w/acme/roles/{viewer}"))
            .await
            .contains("Delete role")
    );
    assert_eq!(
        create(&auditor, "Mine", "", &["users.view"])
            .await
            .status()
            .as_u16(),
        403
    );
    app.add_member(SAM, BuiltInRole::Member, MembershipStatus::Active);
    let member = app.new_client();
    member.sign_in(SAM, OWNER_PASSWORD).await;
    assert_eq!(location(&member.get("/w/acme/roles").await), "/me");

    // An org admin acts as an Owner whatever role their membership holds: that role is theirs to
    // change like any other.
    let alan_account = app.first_id(&format!("accounts WHERE email = '{ALAN}'"));
    let made = app
        .post_fields(
            &format!("/org/accounts/{alan_account}/org-role"),
            &[("org_role", "admin")],
        )
        .await;
    assert_eq!(made.status().as_u16(), 303);
    assert_eq!(
        update(&alan, manager, "Manager", "", &["users.view"])
            .await
            .status()
            .as_u16(),
        303
    );
}

/// PRODUCT §3's example: "Support" = `users.view` + `users.suspend`. Its holder sees the users
/// list with Suspend and nothing else to do, and every other action of the console refuses them.
#[actix_web::test]
async fn a_support_role_sees_members_and_suspends_them_and_nothing_more() {
    let app = spawn_app().await;
    app.set_up().await;
    create(&app, "Support", "", &["users.view", "users.suspend"]).await;
    let support = role_id(&app, "Support");
    app.add_member(SAM, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    assert_eq!(give_role(&app, SAM, support).await.status().as_u16(), 303);
    app.post_fields("/w/acme/groups", &[("name", "Finance")])
        .await;
    app.post_fields(
        "/w/acme/apps",
        &[("kind", "app"), ("name", "CRM"), ("restricted", "on")],
    )
    .await;
    let crm = app.first_id("apps WHERE name = 'CRM'");
    app.post_fields(
        &format!("/w/acme/apps/{crm}/grants"),
        &[("email", GRACE), ("level", "run")],
    )
    .await;
    let grant = app.first_id("grants");
    app.invite("pending.person@example.com", "member").await;
    let (grace, alan, gone) = (
        app.membership_of(GRACE),
        app.membership_of(ALAN),
        app.membership_of("gone.person@example.com"),
    );
    let group = app.first_id("groups");
    let invitation = app.first_id("invitations");
    let account = app.first_id(&format!("accounts WHERE email = '{GRACE}'"));

    let sam = app.new_client();
    assert_eq!(
        sam.sign_in(SAM, OWNER_PASSWORD).await.status().as_u16(),
        303
    );
    let users = sam.get("/w/acme/users").await;
    assert_eq!(users.status().as_u16(), 200);
    let users = users.text().await.unwrap();
    assert!(users.contains(&format!(
        "href=\"/w/acme/users/{grace}\" data-actions=\"suspend\""
    )));
    assert!(users.contains("href=\"/w/acme/users\" aria-current=\"page\""));
    for absent in [
        "href=\"/w/acme/groups\"",
        "href=\"/w/acme/audit\"",
        "href=\"/w/acme/roles\"",
        "href=\"/w/acme/apps\"",
        "/w/acme/settings",
        "/w/acme/api-keys",
        "href=\"/org/accounts\"",
        "Invite people",
        "Export CSV",
        "users.csv",
        "remove\"",
        "restore",
        "invitation\"",
        "Resend",
        "Revoke",
    ] {
        assert!(!users.contains(absent), "users list shows {absent}");
    }
    let console = sam.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(console.contains(&format!("href=\"/w/acme/users/{grace}/suspend\"")));
    for absent in [
        "Remove from workspace",
        "Block account",
        "Save profile",
        "Upload",
        "Remove the picture",
        "/activity",
    ] {
        assert!(!console.contains(absent), "console shows {absent}");
    }
    let role_tab = sam.get_text(&format!("/w/acme/users/{grace}/role")).await;
    assert!(!role_tab.contains("name=\"role\"") && !role_tab.contains("Change role</button>"));
    assert!(role_tab.contains("Your role does not allow this (users.change_role"));
    let sessions = sam
        .get_text(&format!("/w/acme/users/{grace}/sessions"))
        .await;
    assert!(!sessions.contains("Sign out everywhere"));
    assert!(
        !sam.get_text(&format!("/w/acme/users/{gone}"))
            .await
            .contains(">Restore</a>")
    );

    // Every other page and action of the console (src/web/mod.rs) refuses them.
    let users_base = format!("/w/acme/users/{grace}");
    let gets = [
        "/w/acme/users.csv".to_owned(),
        "/w/acme/audit".to_owned(),
        "/w/acme/audit.csv".to_owned(),
        "/org/audit".to_owned(),
        "/org/audit.csv".to_owned(),
        "/org/accounts".to_owned(),
        format!("/org/accounts/{account}/block"),
        "/org/workspaces".to_owned(),
        "/w/acme/groups".to_owned(),
        format!("/w/acme/groups/{group}"),
        format!("/w/acme/groups/{group}/picker?q=a"),
        format!("/w/acme/groups/{group}/add?q=a"),
        format!("/w/acme/groups/{group}/delete"),
        "/w/acme/roles".to_owned(),
        format!("/w/acme/roles/{support}"),
        format!("/w/acme/roles/{support}/delete"),
        "/w/acme/apps".to_owned(),
        format!("/w/acme/apps/{crm}"),
        format!("/w/acme/apps/{crm}/permissions"),
        format!("/w/acme/apps/{crm}/delete"),
        "/w/acme/settings".to_owned(),
        "/w/acme/invitations/new".to_owned(),
        format!("/w/acme/invitations/{invitation}/revoke"),
        format!("{users_base}/activity"),
        format!("{users_base}/block"),
        format!("{users_base}/remove"),
        format!("{users_base}/remove/picker?q=a"),
        format!("/w/acme/users/{gone}/restore"),
    ];
    for path in &gets {
        assert_eq!(sam.get(path).await.status().as_u16(), 403, "GET {path}");
    }
    let grace_text = grace.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/w/acme/invitations".to_owned(),
            vec![("emails", "someone@example.com"), ("role", "member")],
        ),
        (format!("/w/acme/invitations/{invitation}/resend"), vec![]),
        (format!("/w/acme/invitations/{invitation}/revoke"), vec![]),
        (format!("{users_base}/role"), vec![("role", "auditor")]),
        (
            format!("{users_base}/profile"),
            vec![
                ("first_name", "Grace"),
                ("last_name", "Changed"),
                ("email", GRACE),
                ("timezone", "UTC"),
            ],
        ),
        (format!("{users_base}/avatar"), vec![]),
        (format!("{users_base}/avatar/remove"), vec![]),
        (format!("{users_base}/email-change/cancel"), vec![]),
        (format!("{users_base}/sessions/1/end"), vec![]),
        (format!("{users_base}/sessions/end-all"), vec![]),
        (format!("{users_base}/remove"), vec![("reassign_to", "")]),
        (format!("/w/acme/users/{gone}/restore"), vec![]),
        (format!("{users_base}/block"), vec![]),
        (format!("{users_base}/unblock"), vec![]),
        ("/w/acme/groups".to_owned(), vec![("name", "Mine")]),
        (format!("/w/acme/groups/{group}"), vec![("name", "Renamed")]),
        (
            format!("/w/acme/groups/{group}/members"),
            vec![("membership_id", grace_text.as_str())],
        ),
        (
            format!("/w/acme/groups/{group}/members/bulk"),
            vec![("emails", GRACE)],
        ),
        (
            format!("/w/acme/groups/{group}/members/{grace}/remove"),
            vec![],
        ),
        (format!("/w/acme/groups/{group}/delete"), vec![]),
        (
            "/w/acme/roles".to_owned(),
            vec![("name", "Mine"), ("permission", "users.view")],
        ),
        (
            format!("/w/acme/roles/{support}"),
            vec![("name", "Support"), ("permission", "users.view")],
        ),
        (format!("/w/acme/roles/{support}/delete"), vec![]),
        (
            "/w/acme/apps".to_owned(),
            vec![("kind", "app"), ("name", "Mine")],
        ),
        (
            format!("/w/acme/apps/{crm}"),
            vec![("kind", "app"), ("name", "Renamed")],
        ),
        (
            format!("/w/acme/apps/{crm}/grants"),
            vec![("email", SAM), ("level", "edit")],
        ),
        (
            format!("/w/acme/apps/{crm}/grants/{grant}"),
            vec![("level", "edit")],
        ),
        (format!("/w/acme/apps/{crm}/grants/{grant}/remove"), vec![]),
        (format!("/w/acme/apps/{crm}/delete"), vec![]),
        ("/w/acme/settings/name".to_owned(), vec![("name", "Mine")]),
        ("/w/acme/settings/slug".to_owned(), vec![("slug", "mine")]),
        (
            "/w/acme/settings/plan".to_owned(),
            vec![("plan", "enterprise"), ("seat_limit", "")],
        ),
        (
            "/w/acme/settings/delete".to_owned(),
            vec![("confirm", "acme")],
        ),
        (format!("/org/accounts/{account}/block"), vec![]),
        (format!("/org/accounts/{account}/unblock"), vec![]),
        (
            format!("/org/accounts/{account}/org-role"),
            vec![("org_role", "admin")],
        ),
        (
            "/org/workspaces".to_owned(),
            vec![("name", "Mine"), ("slug", "mine")],
        ),
    ];
    for (path, fields) in &posts {
        let refused = sam.post_fields(path, fields).await;
        assert_eq!(refused.status().as_u16(), 403, "POST {path}");
    }
    assert_eq!(
        app.count("audit_events WHERE actor_label LIKE 'sam%' AND action <> 'session.signed_in'"),
        0,
        "nothing was changed"
    );
    assert_eq!(app.count("invitations"), 1);
    assert_eq!(app.count("groups WHERE name = 'Finance'"), 1);
    assert_eq!(app.count("apps WHERE name = 'CRM'"), 1);
    assert_eq!(app.count("grants WHERE level = 'run'"), 1);
    assert_eq!(app.count("workspaces WHERE slug = 'acme'"), 1);
    assert_eq!(app.count("roles WHERE workspace_id IS NOT NULL"), 1);

    // What the role allows works: Sam suspends Alan, and unsuspends him.
    let alan_base = format!("/w/acme/users/{alan}");
    assert_eq!(
        sam.get(&format!("{alan_base}/suspend"))
            .await
            .status()
            .as_u16(),
        200
    );
    let suspended = sam.post_fields(&format!("{alan_base}/suspend"), &[]).await;
    assert_eq!(suspended.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {alan} AND status = 'suspended'"
        )),
        1
    );
    assert_eq!(
        sam.post_fields(&format!("{alan_base}/unsuspend"), &[])
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.count(
            "audit_events WHERE actor_label LIKE 'sam%' \
             AND action IN ('member.suspended', 'member.unsuspended')"
        ),
        2
    );
}
