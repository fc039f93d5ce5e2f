//! HTTP tests of groups (issue 6) on each backend: create, search, rename and describe, delete with
//! its confirmation, members through the picker and pasted addresses, bad input beside the field,
//! one audit event per change, and who may do what.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";

async fn create(app: &TestApp, name: &str, description: &str) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    app.post_form(
        "/w/acme/groups",
        &[
            ("csrf_token", csrf.as_str()),
            ("name", name),
            ("description", description),
        ],
    )
    .await
}

#[actix_web::test]
async fn groups_are_created_searched_renamed_and_deleted_with_bad_input_refused() {
    let app = spawn_app().await;
    app.set_up().await;
    let empty = app.get_text("/w/acme/groups").await;
    assert!(empty.contains("No groups yet") && empty.contains("Create a group"));
    assert!(
        empty.contains("href=\"/w/acme/groups\""),
        "in the side navigation"
    );

    let created = create(&app, "  Finance ", "Pays people").await;
    assert_eq!(created.status().as_u16(), 303);
    let id = app.first_id("groups WHERE name = 'Finance'");
    assert_eq!(location(&created), format!("/w/acme/groups/{id}"));
    let page = app.get_text(&format!("/w/acme/groups/{id}")).await;
    assert!(page.contains("Group Finance created.") && page.contains("Nobody in this group yet"));
    assert_eq!(
        app.count("audit_events WHERE action = 'group.created' AND target_label = 'Finance'"),
        1
    );

    // Bad input: a message beside the field, the form as typed, nothing written.
    for (name, description, message) in [
        ("   ", "kept as typed", "This field is required."),
        (
            "FINANCE",
            "kept as typed",
            "A group with this name exists already",
        ),
        (
            &"x".repeat(101) as &str,
            "kept as typed",
            "Use 100 characters at most.",
        ),
        ("Ops", "a\ttab", "Remove the control characters"),
        // "Finance" to the eye: another group that lists as the same.
        (
            "Fin\u{200B}ance",
            "kept as typed",
            "This name holds an invisible character",
        ),
        ("\u{2800}", "kept as typed", "Type a name that shows"),
    ] {
        let refused = create(&app, name, description).await;
        assert_eq!(refused.status().as_u16(), 422, "{name:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message), "{name:?}: {message}");
        assert!(body.contains("field-error") && body.contains("aria-invalid=\"true\""));
        assert!(body.contains(description), "description kept");
    }
    assert_eq!(app.count("groups"), 1);
    assert_eq!(app.count("audit_events WHERE action LIKE 'group.%'"), 1);

    assert_eq!(create(&app, "Sales", "").await.status().as_u16(), 303);
    // Names compare without case in all of Unicode, on SQLite as on PostgreSQL.
    assert_eq!(create(&app, "Équipe", "").await.status().as_u16(), 303);
    let accented = create(&app, "ÉQUIPE", "").await;
    assert_eq!(accented.status().as_u16(), 422);
    assert!(accented.text().await.unwrap().contains("exists already"));
    assert!(
        app.get_text("/w/acme/groups?q=éQU")
            .await
            .contains("Équipe")
    );
    app.execute("DELETE FROM groups WHERE name = 'Équipe'");
    let list = app.get_text("/w/acme/groups").await;
    assert!(list.contains("Finance") && list.contains("Sales") && list.contains("0 members"));
    let searched = app.get_text("/w/acme/groups?q=FIN").await;
    assert!(searched.contains("Finance") && !searched.contains(">Sales<"));
    assert!(
        app.get_text("/w/acme/groups?q=people")
            .await
            .contains("Finance"),
        "the description is searched too"
    );
    assert!(
        app.get_text("/w/acme/groups?q=zzz")
            .await
            .contains("No group matches")
    );

    // Rename: a taken name is refused beside the field; a free one is saved with its event.
    let taken = app
        .post_fields(
            &format!("/w/acme/groups/{id}"),
            &[("name", "sales"), ("description", "x")],
        )
        .await;
    assert_eq!(taken.status().as_u16(), 422);
    assert!(taken.text().await.unwrap().contains("exists already"));
    let renamed = app
        .post_fields(
            &format!("/w/acme/groups/{id}"),
            &[("name", "Payroll"), ("description", "Pays people monthly")],
        )
        .await;
    assert_eq!(renamed.status().as_u16(), 303);
    assert_eq!(
        app.count("audit_events WHERE action = 'group.updated' AND changes LIKE '%Finance%' AND changes LIKE '%Payroll%'"),
        1
    );

    // Delete: the confirmation says what it affects; the members stay in the workspace.
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = app.membership_of(GRACE).to_string();
    app.post_fields(
        &format!("/w/acme/groups/{id}/members"),
        &[("membership_id", grace.as_str())],
    )
    .await;
    let ws = app.workspace_id("acme").0;
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, created_at, updated_at) VALUES ({ws}, 'workflow', 'Payroll run', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    let app_id = app.first_id("apps WHERE name = 'Payroll run'");
    app.execute(&format!(
        "INSERT INTO grants (app_id, group_id, level, created_at) VALUES ({app_id}, {id}, 'run', '2026-01-01 00:00:00')"
    ));
    let show = app.get_text(&format!("/w/acme/groups/{id}")).await;
    assert!(show.contains("Payroll run") && show.contains("run"));
    let confirm = app.get_text(&format!("/w/acme/groups/{id}/delete")).await;
    assert!(
        confirm.contains("1 member") && confirm.contains("1 app grant"),
        "{confirm}"
    );
    let deleted = app
        .post_fields(&format!("/w/acme/groups/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert_eq!(location(&deleted), "/w/acme/groups");
    assert_eq!(app.count("groups WHERE name = 'Payroll'"), 0);
    assert_eq!(app.count("group_members"), 0);
    assert_eq!(app.count("grants"), 0);
    assert_eq!(app.count("memberships WHERE status = 'active'"), 2);
    assert_eq!(
        app.count("audit_events WHERE action = 'group.deleted' AND changes LIKE '%\"members\":1%'"),
        1
    );
    // The next group, here or in another workspace, does not take the deleted one's id (its
    // events and its SCIM id stay its own).
    assert_eq!(create(&app, "Payroll", "").await.status().as_u16(), 303);
    assert!(app.first_id("groups WHERE name = 'Payroll'") > id);
    let newest = app.first_id("groups WHERE name = 'Payroll'");
    app.post_fields(&format!("/w/acme/groups/{newest}/delete"), &[])
        .await;
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let in_labs = app
        .post_fields("/w/labs/groups", &[("name", "Elsewhere")])
        .await;
    assert_eq!(in_labs.status().as_u16(), 303);
    assert!(app.first_id("groups WHERE name = 'Elsewhere'") > newest);
    assert_eq!(
        app.get(&format!("/w/acme/groups/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );
}

#[actix_web::test]
async fn members_come_in_through_the_picker_and_pasted_addresses_and_go_out_one_by_one() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Admin, MembershipStatus::Suspended);
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    create(&app, "Support", "").await;
    let id = app.first_id("groups WHERE name = 'Support'");
    let base = format!("/w/acme/groups/{id}");
    let (grace, alan) = (
        app.membership_of(GRACE).to_string(),
        app.membership_of(ALAN).to_string(),
    );

    // The picker's type-ahead answers with matching current members only.
    let options = app.get_text(&format!("{base}/picker?q=HOPPER")).await;
    assert!(options.contains(GRACE) && !options.contains(ALAN));
    assert!(!options.contains("More members match"), "{options}");
    // Past the eight it offers, it says more match.
    app.seed_members(12);
    let many = app.get_text(&format!("{base}/picker")).await;
    assert_eq!(many.matches("name=\"membership_id\"").count(), 8, "{many}");
    assert!(many.contains("More members match: type more"), "{many}");
    assert!(
        !app.get_text(&format!("{base}/picker?q=gone"))
            .await
            .contains("gone.person"),
        "removed members are not offered"
    );
    assert!(
        app.get_text(&format!("{base}/add?q=turing"))
            .await
            .contains(ALAN),
        "the picker's search works without JavaScript"
    );

    let added = app
        .post_fields(
            &format!("{base}/members"),
            &[
                ("membership_id", grace.as_str()),
                ("membership_id", alan.as_str()),
            ],
        )
        .await;
    assert_eq!(added.status().as_u16(), 303);
    let page = app.get_text(&base).await;
    assert!(page.contains("Added 2 members") && page.contains("2 members"));
    assert!(page.contains(GRACE) && page.contains(ALAN));
    assert!(
        app.get_text(&format!("{base}/picker?q=hopper"))
            .await
            .contains("already in the group")
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'group.members_added'"),
        1
    );

    // Pasted addresses: anything not an address is refused beside the field, kept as typed.
    let refused = app
        .post_fields(
            &format!("{base}/members/bulk"),
            &[("emails", "alan.turing@example.com, not-an-address")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("Not email addresses: not-an-address."));
    assert!(body.contains("alan.turing@example.com, not-an-address</textarea>"));
    let empty = app
        .post_fields(&format!("{base}/members/bulk"), &[("emails", " ")])
        .await;
    assert_eq!(empty.status().as_u16(), 422);

    app.add_member(
        "ada.king@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let bulk = app.post_fields(
        &format!("{base}/members/bulk"),
        &[(
            "emails",
            "Ada King <ADA.KING@example.com>\nalan.turing@example.com; nobody@example.com gone.person@example.com",
        )],
    )
    .await;
    assert_eq!(bulk.status().as_u16(), 303);
    let page = app.get_text(&base).await;
    assert!(
        page.contains("Added 1 member: ada.king@example.com."),
        "{page}"
    );
    assert!(
        page.contains("<div class=\"alert alert-warning\">Added 1 member: "),
        "some addresses could not be added: a warning, not a success"
    );
    assert!(page.contains("Already in the group: alan.turing@example.com."));
    assert!(
        page.contains(
            "Not current members of this workspace (removed, or never in it): nobody@example.com, gone.person@example.com."
        )
    );
    assert!(page.contains("3 members"));

    // The users list filters by the group; the console's Access tab names it.
    let listed = app.get_text(&format!("/w/acme/users?group={id}")).await;
    assert!(listed.contains(GRACE) && listed.contains("ada.king@example.com"));
    assert!(
        !listed.contains("data-email=\"ada@example.com\""),
        "the owner is not in it"
    );
    for q in ["ho", "hopper"] {
        // A short (broad) and a long (selective) search within a small group.
        let found = app
            .get_text(&format!("/w/acme/users?group={id}&q={q}"))
            .await;
        assert!(
            found.contains(GRACE) && !found.contains("data-email=\"ada.king@example.com\""),
            "{q}"
        );
    }
    let blocked = app
        .get_text(&format!("/w/acme/users?group={id}&status=blocked"))
        .await;
    assert!(blocked.contains("No one matches these filters"));
    let access = app.get_text(&format!("/w/acme/users/{grace}/access")).await;
    assert!(access.contains("Support"));

    // Out, one by one; again is harmless.
    let out = app
        .post_fields(&format!("{base}/members/{grace}/remove"), &[])
        .await;
    assert_eq!(out.status().as_u16(), 303);
    assert!(app.get_text(&base).await.contains("2 members"));
    app.post_fields(&format!("{base}/members/{grace}/remove"), &[])
        .await;
    assert_eq!(
        app.count("audit_events WHERE action = 'group.member_removed'"),
        1
    );
    assert_eq!(
        app.count(&format!("group_members WHERE group_id = {id}")),
        2
    );
}

#[actix_web::test]
async fn auditors_read_groups_and_the_server_refuses_their_changes() {
    let app = spawn_app().await;
    app.set_up().await;
    create(&app, "Finance", "").await;
    let id = app.first_id("groups WHERE name = 'Finance'");
    app.add_member(GRACE, BuiltInRole::Auditor, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let alan = app.membership_of(ALAN).to_string();

    let auditor = app.new_client();
    auditor.sign_in(GRACE, OWNER_PASSWORD).await;
    let list = auditor.get_text("/w/acme/groups").await;
    assert!(list.contains("Finance") && !list.contains("Create a group"));
    let page = auditor.get_text(&format!("/w/acme/groups/{id}")).await;
    assert!(!page.contains("Add members") && !page.contains("Delete group"));
    let base = format!("/w/acme/groups/{id}");
    for (path, fields) in [
        ("/w/acme/groups".to_owned(), vec![("name", "Mine")]),
        (base.clone(), vec![("name", "Renamed")]),
        (
            format!("{base}/members"),
            vec![("membership_id", alan.as_str())],
        ),
        (
            format!("{base}/members/bulk"),
            vec![("emails", "alan.turing@example.com")],
        ),
        (format!("{base}/members/{alan}/remove"), vec![]),
        (format!("{base}/delete"), vec![]),
    ] {
        let refused = auditor.post_fields(&path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
    for path in [format!("{base}/picker?q=a"), format!("{base}/delete")] {
        assert_eq!(auditor.get(&path).await.status().as_u16(), 403, "{path}");
    }
    assert_eq!(app.count("groups"), 1);
    assert_eq!(app.count("group_members"), 0);

    // A Member has no console: their own profile only.
    let member = app.new_client();
    member.sign_in(ALAN, OWNER_PASSWORD).await;
    assert_eq!(location(&member.get("/w/acme/groups").await), "/me");

    // Another workspace's group is not found through this one.
    assert_eq!(
        app.get(&format!("/w/acme/groups/{}", id + 1000))
            .await
            .status()
            .as_u16(),
        404
    );
}

/// Adding to a group lists the workspace's people: a role managing groups without `users.view`
/// gets 403 from the picker and the add forms, and is told so where they would be; it still
/// renames, takes people out and deletes.
#[actix_web::test]
async fn adding_members_takes_seeing_the_workspaces_people() {
    let app = spawn_app().await;
    app.set_up().await;
    create(&app, "Finance", "").await;
    let id = app.first_id("groups WHERE name = 'Finance'");
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let alan = app.membership_of(ALAN).to_string();
    let keeper = app
        .with_custom_role(GRACE, "Group keeper", &["groups.view", "groups.manage"])
        .await;
    let base = format!("/w/acme/groups/{id}");
    let page = keeper.get_text(&base).await;
    assert!(
        page.contains("which your role does not see (it takes users.view)")
            && !page.contains("picker-q")
            && !page.contains("alan.turing"),
        "{page}"
    );
    for path in [format!("{base}/picker?q=a"), format!("{base}/add?q=a")] {
        assert_eq!(keeper.get(&path).await.status().as_u16(), 403, "{path}");
    }
    for (path, fields) in [
        (
            format!("{base}/members"),
            vec![("membership_id", alan.as_str())],
        ),
        (
            format!("{base}/members/bulk"),
            vec![("emails", "alan.turing@example.com")],
        ),
    ] {
        let refused = keeper.post_fields(&path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
    assert_eq!(app.count("group_members"), 0);
    let renamed = keeper.post_fields(&base, &[("name", "Money")]).await;
    assert_eq!(renamed.status().as_u16(), 303);
}

/// Who is in a group that holds app grants is who holds that access: a role with `groups.manage`
/// but not `apps.manage` can neither add to it (picker, pasted addresses, invitation, API) nor take
/// anyone out of it nor delete it (403, nothing changed); a group without grants it changes freely.
#[actix_web::test]
async fn a_group_that_grants_app_access_takes_apps_manage_to_change_its_members() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let scopes = ["users.view", "users.invite", "groups.view", "groups.manage"];
    let ivan = app
        .member_with_new_role("Team lead", &scopes, ("ivan@example.com", "Ivan", "Lead"))
        .await;
    for name in ["Finance", "Book club"] {
        assert_eq!(create(&app, name, "").await.status().as_u16(), 303);
    }
    let finance = app.first_id("groups WHERE name = 'Finance'");
    let club = app.first_id("groups WHERE name = 'Book club'");
    let ws = app.workspace_id("acme").0;
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, restricted, created_at, updated_at)
         VALUES ({ws}, 'app', 'Payroll', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    ));
    let payroll = app.first_id("apps WHERE name = 'Payroll'");
    app.execute(&format!(
        "INSERT INTO grants (app_id, group_id, level, created_at)
         VALUES ({payroll}, {finance}, 'edit', CURRENT_TIMESTAMP)"
    ));
    let (grace, alan) = (app.membership_of(GRACE), app.membership_of(ALAN));
    app.post_fields(
        &format!("/w/acme/groups/{finance}/members"),
        &[("membership_id", grace.to_string().as_str())],
    )
    .await;
    let members = |group: i64| app.count(&format!("group_members WHERE group_id = {group}"));
    assert_eq!(members(finance), 1);
    // Nobody ticked is said beside the picker; only people in the group already, as a warning.
    // The picker's search is kept, with its options.
    let none = app
        .post_fields(
            &format!("/w/acme/groups/{finance}/members"),
            &[("q", "alan")],
        )
        .await;
    assert_eq!(none.status().as_u16(), 422);
    let page = none.text().await.unwrap();
    assert!(page.contains("Tick at least one member to add."), "{page}");
    assert!(
        page.contains("value=\"alan\"") && page.contains(ALAN),
        "the search and what it found: {page}"
    );
    let again = app
        .post_fields(
            &format!("/w/acme/groups/{finance}/members"),
            &[("membership_id", grace.to_string().as_str())],
        )
        .await;
    assert_eq!(again.status().as_u16(), 303);
    let page = app.get_text(&location(&again)).await;
    assert!(
        page.contains("alert-warning") && page.contains("Nobody was added"),
        "{page}"
    );
    // Taking someone out of it asks first: the access goes with them.
    let remove = format!("/w/acme/groups/{finance}/members/{grace}/remove");
    let page = app.get_text(&format!("/w/acme/groups/{finance}")).await;
    assert!(page.contains(&format!("hx-get=\"{remove}\"")), "{page}");
    let asked = app.get_text(&remove).await;
    assert!(
        asked.contains("out of Finance?") && asked.contains("The group holds 1 app grant"),
        "{asked}"
    );
    assert_eq!(ivan.get(&remove).await.status().as_u16(), 403);
    let delete = format!("/w/acme/groups/{finance}/delete");
    assert_eq!(ivan.get(&delete).await.status().as_u16(), 403, "not asked");

    // The page says why, and offers none of it.
    let page = ivan.get_text(&format!("/w/acme/groups/{finance}")).await;
    assert!(page.contains("This group gives access to apps"), "{page}");
    assert!(
        !page.contains("/delete\"") && !page.contains("/remove\""),
        "{page}"
    );
    for (path, fields) in [
        (
            format!("/w/acme/groups/{finance}/members"),
            vec![("membership_id", alan.to_string())],
        ),
        (
            format!("/w/acme/groups/{finance}/members/bulk"),
            vec![("emails", ALAN.to_owned())],
        ),
        (
            format!("/w/acme/groups/{finance}/members/{grace}/remove"),
            vec![],
        ),
        (format!("/w/acme/groups/{finance}/delete"), vec![]),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = ivan.post_fields(&path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
        let said = refused.text().await.unwrap();
        assert!(
            said.contains("changing its members, or deleting it, changes who holds that access"),
            "{path}: {said}"
        );
    }
    assert_eq!(members(finance), 1);
    assert_eq!(app.count(&format!("groups WHERE id = {finance}")), 1);
    // Inviting into it is refused beside the groups field.
    let invited = ivan
        .post_fields(
            "/w/acme/invitations",
            &[
                ("emails", "new.one@example.com"),
                ("role", "member"),
                ("group_id", finance.to_string().as_str()),
            ],
        )
        .await;
    assert_eq!(invited.status().as_u16(), 422);
    assert!(
        invited
            .text()
            .await
            .unwrap()
            .contains("A chosen group gives access to apps: adding people to it takes apps.manage")
    );
    assert_eq!(app.count("accounts WHERE email = 'new.one@example.com'"), 0);
    // A group without grants is theirs to change.
    let added = ivan
        .post_fields(
            &format!("/w/acme/groups/{club}/members/bulk"),
            &[("emails", ALAN)],
        )
        .await;
    assert_eq!(added.status().as_u16(), 303);
    assert_eq!(members(club), 1);
    // The same through the API, for a key scoped as the role.
    let key = app.api_key("Lead", &scopes).await;
    let refused = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/groups/{finance}/members/{alan}")))
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(members(finance), 1);
}
