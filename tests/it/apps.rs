//! HTTP tests of apps, workflows and projects (issue 6) on each backend: create, search, change
//! and delete with bad input refused beside the field; grants to members and groups with the
//! highest level winning; the Restricted switch; "who can run this?" with the reason per person;
//! one audit event per change; who may do what.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";
const ADA: &str = "ada.lovelace@example.com";

fn membership_of(app: &TestApp, email: &str) -> i64 {
    app.first_id(&format!(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
    ))
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

async fn create(
    app: &TestApp,
    kind: &str,
    name: &str,
    owner: &str,
    restricted: bool,
) -> reqwest::Response {
    let mut fields = vec![("kind", kind), ("name", name), ("owner_email", owner)];
    if restricted {
        fields.push(("restricted", "on"));
    }
    post(app, "/w/acme/apps", &fields).await
}

async fn create_group(app: &TestApp, name: &str, members: &[&str]) -> i64 {
    let created = post(app, "/w/acme/groups", &[("name", name)]).await;
    assert_eq!(created.status().as_u16(), 303);
    let id = app.first_id(&format!("groups WHERE name = '{name}'"));
    let emails = members.join(" ");
    post(
        app,
        &format!("/w/acme/groups/{id}/members/bulk"),
        &[("emails", emails.as_str())],
    )
    .await;
    id
}

#[actix_web::test]
async fn apps_are_created_searched_changed_and_deleted_with_bad_input_refused() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let empty = app.get_text("/w/acme/apps").await;
    assert!(empty.contains("Nothing to grant access to yet") && empty.contains("Create an app"));
    assert!(
        empty.contains("href=\"/w/acme/apps\""),
        "in the side navigation"
    );

    let created = create(&app, "workflow", " Payroll run ", GRACE, true).await;
    assert_eq!(created.status().as_u16(), 303);
    let id = app.first_id("apps WHERE name = 'Payroll run'");
    assert_eq!(location(&created), format!("/w/acme/apps/{id}/permissions"));
    let page = app
        .get_text(&format!("/w/acme/apps/{id}/permissions"))
        .await;
    assert!(page.contains("Workflow Payroll run created."));
    assert!(page.contains("Nobody may use it until you give access"));
    assert_eq!(
        app.count(&format!(
            "apps WHERE id = {id} AND kind = 'workflow' AND restricted AND owner_membership_id = {}",
            membership_of(&app, GRACE)
        )),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'app.created' AND target_label = 'Payroll run'"),
        1
    );

    // Bad input: a message beside the field, the form as typed, nothing written.
    for (kind, name, owner, message) in [
        ("workflow", "   ", "", "This field is required."),
        (
            "app",
            "Payroll\u{200B} run",
            "",
            "This name holds an invisible character",
        ),
        (
            "workflow",
            "PAYROLL RUN",
            "",
            "Another workflow has this name",
        ),
        (
            "app",
            &"x".repeat(101) as &str,
            "",
            "Use 100 characters at most.",
        ),
        (
            "robot",
            "Kept as typed",
            "",
            "Choose app, workflow or project.",
        ),
        ("app", "Kept as typed", "not-an-address", "email"),
        (
            "app",
            "Kept as typed",
            "nobody@example.com",
            "Nobody with this address is a member of this workspace.",
        ),
    ] {
        let refused = create(&app, kind, name, owner, false).await;
        assert_eq!(refused.status().as_u16(), 422, "{name:?} {owner:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message), "{name:?}: {message}");
        assert!(body.contains("field-error") && body.contains("aria-invalid=\"true\""));
        if name.starts_with("Kept") {
            assert!(body.contains("value=\"Kept as typed\""), "name kept");
        }
    }
    assert_eq!(app.count("apps"), 1);
    assert_eq!(app.count("audit_events WHERE action LIKE 'app.%'"), 1);
    // The same name is free for another kind.
    assert_eq!(
        create(&app, "project", "Payroll run", "", false)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        create(&app, "app", "CRM", "", false)
            .await
            .status()
            .as_u16(),
        303
    );

    let list = app.get_text("/w/acme/apps").await;
    assert!(list.contains("Payroll run") && list.contains("CRM") && list.contains("Restricted"));
    let searched = app.get_text("/w/acme/apps?q=crm").await;
    assert!(searched.contains(">CRM<") && !searched.contains("Payroll run"));
    let workflows = app.get_text("/w/acme/apps?kind=workflow").await;
    assert!(workflows.contains("Payroll run") && !workflows.contains(">CRM<"));
    assert!(
        app.get_text("/w/acme/apps?q=zzz")
            .await
            .contains("Nothing matches")
    );

    // Change: a taken name is refused beside the field; the owner can be unassigned.
    let base = format!("/w/acme/apps/{id}");
    let taken = post(
        &app,
        &base,
        &[
            ("kind", "project"),
            ("name", "payroll RUN"),
            ("owner_email", ""),
        ],
    )
    .await;
    assert_eq!(taken.status().as_u16(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("Another project has this name")
    );
    let changed = post(
        &app,
        &base,
        &[
            ("kind", "workflow"),
            ("name", "Payroll"),
            ("owner_email", ""),
        ],
    )
    .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "apps WHERE id = {id} AND name = 'Payroll' AND owner_membership_id IS NULL AND NOT restricted"
        )),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'app.updated' AND changes LIKE '%Payroll run%' AND changes LIKE '%restricted%'"),
        1
    );
    let overview = app.get_text(&base).await;
    assert!(overview.contains("Saved.") && overview.contains("unassigned"));

    // A name typed without choosing a suggestion is said to be one, kept as typed.
    let named = post(
        &app,
        &format!("{base}/grants"),
        &[("email", "Grace Hopper"), ("level", "edit")],
    )
    .await;
    assert_eq!(named.status().as_u16(), 422);
    let page = named.text().await.unwrap();
    assert!(
        page.contains(
            "Choose Grace Hopper from the suggestions as you type, or type their email address."
        ) && page.contains("value=\"Grace Hopper\""),
        "{page}"
    );

    // Delete: the confirmation counts the grants that end (the grant given as "Name <address>",
    // as the invite box takes it).
    let named_address = format!("Grace Hopper <{GRACE}>");
    let granted = post(
        &app,
        &format!("{base}/grants"),
        &[("email", named_address.as_str()), ("level", "edit")],
    )
    .await;
    assert_eq!(granted.status().as_u16(), 303);
    // An invitation that gives it: the confirmation says the invitee joins without it.
    let invited = app
        .post_fields(
            "/w/acme/invitations",
            &[
                ("emails", "newcomer@example.com"),
                ("role", "member"),
                ("app_id", id.to_string().as_str()),
            ],
        )
        .await;
    assert_eq!(invited.status().as_u16(), 303);
    let confirm = app.get_text(&format!("{base}/delete")).await;
    assert!(
        confirm.contains("Delete the workflow Payroll?")
            && confirm.contains(
                "Its 1 grant ends. 1 pending invitation gives it: its invitee joins without it."
            ),
        "{confirm}"
    );
    let deleted = post(&app, &format!("{base}/delete"), &[]).await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert_eq!(location(&deleted), "/w/acme/apps");
    assert_eq!(app.count(&format!("apps WHERE id = {id}")), 0);
    assert_eq!(app.count("grants"), 0);
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'app.deleted' AND changes LIKE '%\"grants\":1%' \
             AND changes LIKE '%\"invitations\":1%'"
        ),
        1
    );
    assert_eq!(app.get(&base).await.status().as_u16(), 404);
    let log = app.get_text("/w/acme/audit").await;
    assert!(log.contains("deleted Payroll") && log.contains("gave access to Payroll"));
}

#[actix_web::test]
async fn grants_give_the_highest_level_and_the_app_says_who_can_run_it_and_why() {
    let app = spawn_app().await;
    app.set_up().await;
    for email in [GRACE, ALAN, ADA] {
        app.add_member(email, BuiltInRole::Member, MembershipStatus::Active);
    }
    create(&app, "workflow", "Payroll run", "", true).await;
    let id = app.first_id("apps WHERE name = 'Payroll run'");
    let base = format!("/w/acme/apps/{id}");
    let finance = create_group(&app, "Finance", &[GRACE, ALAN]).await;
    let finance_id = finance.to_string();

    // Nobody may run a restricted app without a grant.
    let page = app.get_text(&format!("{base}/permissions")).await;
    assert!(page.contains("Who can run this?") && page.contains("Nobody: no active member"));

    // Grant the group "run", Alan "view" directly, Ada "edit" directly.
    let granted = post(
        &app,
        &format!("{base}/grants"),
        &[("group_id", finance_id.as_str()), ("level", "run")],
    )
    .await;
    assert_eq!(granted.status().as_u16(), 303);
    // The group's page lists the grant, linked to where it is changed.
    let group_page = app.get_text(&format!("/w/acme/groups/{finance_id}")).await;
    assert!(
        group_page.contains(&format!("<a href=\"{base}/permissions\">")),
        "{group_page}"
    );
    post(
        &app,
        &format!("{base}/grants"),
        &[("email", ALAN), ("level", "view")],
    )
    .await;
    // A direct grant below what the group gives says what he keeps.
    let said = app.get_text(&format!("{base}/permissions")).await;
    assert!(
        said.contains(&format!(
            "The grant of {ALAN} is view now; they may still run it (through group Finance)."
        )),
        "{said}"
    );
    post(
        &app,
        &format!("{base}/grants"),
        &[("email", "ADA.LOVELACE@example.com"), ("level", "edit")],
    )
    .await;
    assert_eq!(app.count("grants"), 3);
    assert_eq!(
        app.count("audit_events WHERE action = 'app.access_granted'"),
        3
    );

    let who = app.get_text(&format!("{base}/permissions?level=run")).await;
    assert!(who.contains("3 members, by name"), "{who}");
    assert!(who.contains("through group Finance"));
    assert!(who.contains("direct grant"));
    // Alan's own "view" is below the group's "run": the group is his reason.
    let alan_row = who.split(ALAN).nth(2).unwrap_or_default();
    assert!(
        alan_row.contains("through group Finance") && !alan_row[..200].contains("direct grant"),
        "{alan_row}"
    );
    let editors = app
        .get_text(&format!("{base}/permissions?level=edit"))
        .await;
    assert!(editors.contains("1 member, by name") && editors.contains(ADA));

    // The member's Access tab gives the same reason.
    let grace = membership_of(&app, GRACE);
    let access = app.get_text(&format!("/w/acme/users/{grace}/access")).await;
    assert!(
        access.contains("Can run Payroll run — through group Finance"),
        "{access}"
    );

    // Granting again changes the level; the same level is no change (no event).
    post(
        &app,
        &format!("{base}/grants"),
        &[("email", ALAN), ("level", "edit")],
    )
    .await;
    let again = post(
        &app,
        &format!("{base}/grants"),
        &[("email", ALAN), ("level", "edit")],
    )
    .await;
    assert_eq!(again.status().as_u16(), 303);
    assert!(
        app.get_text(&format!("{base}/permissions"))
            .await
            .contains("could edit it already")
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'app.access_changed'"),
        1
    );

    // A row's level and removal.
    let alan = membership_of(&app, ALAN);
    let alan_grant = app.first_id(&format!("grants WHERE membership_id = {alan}"));
    let changed = post(
        &app,
        &format!("{base}/grants/{alan_grant}"),
        &[("level", "view")],
    )
    .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "grants WHERE id = {alan_grant} AND level = 'view'"
        )),
        1
    );
    // A suspended member's grant says so on its row (it applies once they are active).
    let suspended = post(&app, &format!("/w/acme/users/{alan}/suspend"), &[]).await;
    assert_eq!(suspended.status().as_u16(), 303);
    let rows = app.get_text(&format!("{base}/permissions")).await;
    assert!(
        rows.contains(&format!(
            "{ALAN} · <span class=\"badge badge-suspended\" title=\"This grant applies once they are active\">Suspended</span>"
        )),
        "{rows}"
    );
    let bad_level = post(
        &app,
        &format!("{base}/grants/{alan_grant}"),
        &[("level", "own")],
    )
    .await;
    assert_eq!(bad_level.status().as_u16(), 422);
    assert!(
        bad_level
            .text()
            .await
            .unwrap()
            .contains("Choose view, run or edit.")
    );
    // Ending a grant asks first, naming who loses what; asking changes nothing.
    let asked = app
        .get_text(&format!("{base}/grants/{alan_grant}/remove"))
        .await;
    assert!(
        asked.contains("End the access of ") && asked.contains("End access"),
        "{asked}"
    );
    assert_eq!(app.count(&format!("grants WHERE id = {alan_grant}")), 1);
    let removed = post(&app, &format!("{base}/grants/{alan_grant}/remove"), &[]).await;
    assert_eq!(removed.status().as_u16(), 303);
    assert_eq!(app.count(&format!("grants WHERE id = {alan_grant}")), 0);
    assert_eq!(
        app.count("audit_events WHERE action = 'app.access_revoked'"),
        1
    );
    assert_eq!(
        post(&app, &format!("{base}/grants/{alan_grant}/remove"), &[])
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        app.get(&format!("{base}/grants/{alan_grant}/remove"))
            .await
            .status()
            .as_u16(),
        404,
        "nothing to ask about"
    );

    // Bad grants: a message beside the field, nothing written.
    for (fields, message) in [
        (
            vec![("email", "nobody@example.com"), ("level", "run")],
            "Nobody with this address is a member",
        ),
        (vec![("email", "not an address"), ("level", "run")], "email"),
        (vec![("email", ""), ("level", "run")], "Type a member"),
        (
            vec![("email", GRACE), ("level", "admin")],
            "Choose view, run or edit.",
        ),
        (
            vec![("group_id", "999999"), ("level", "run")],
            "This group no longer exists.",
        ),
    ] {
        let refused = post(&app, &format!("{base}/grants"), &fields).await;
        assert_eq!(refused.status().as_u16(), 422, "{fields:?}");
        assert!(refused.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(app.count("grants"), 2);

    // Groups too large to count person by person: the count is an estimate, and says so.
    app.execute(&format!(
        "UPDATE groups SET member_count = 25000 WHERE id = {finance}"
    ));
    let estimated = app.get_text(&format!("{base}/permissions?level=run")).await;
    assert!(
        estimated.contains("Up to 25,001 members (counted from the groups&#39; sizes)")
            || estimated.contains("Up to 25,001 members (counted from the groups&#x27; sizes)"),
        "{estimated}"
    );
    assert!(estimated.contains(GRACE) && estimated.contains(ADA));
    app.execute(&format!(
        "UPDATE groups SET member_count = 2 WHERE id = {finance}"
    ));

    // Not restricted: everyone in the workspace may run it; edit still needs a grant.
    post(
        &app,
        &base,
        &[
            ("kind", "workflow"),
            ("name", "Payroll run"),
            ("owner_email", ""),
        ],
    )
    .await;
    let open = app.get_text(&format!("{base}/permissions?level=run")).await;
    assert!(open.contains("Everyone in the workspace: this workflow is not restricted."));
    let alan_access = app.get_text(&format!("/w/acme/users/{alan}/access")).await;
    assert!(
        alan_access.contains(
            "Can run Payroll run — through group Finance, open to everyone in the workspace"
        ),
        "{alan_access}"
    );
    let editors = app
        .get_text(&format!("{base}/permissions?level=edit"))
        .await;
    assert!(editors.contains("1 member, by name") && editors.contains(ADA));
    // On an app open to everyone, a run grant gives nothing more, and is said so.
    create(&app, "app", "Wiki", "", false).await;
    let wiki = app.first_id("apps WHERE name = 'Wiki'");
    let given = post(
        &app,
        &format!("/w/acme/apps/{wiki}/grants"),
        &[("group_id", finance_id.as_str()), ("level", "run")],
    )
    .await;
    let said = app.get_text(&location(&given)).await;
    assert!(
        said.contains("Group Finance holds run now, which every active member may do already"),
        "{said}"
    );
}

#[actix_web::test]
async fn only_apps_managers_change_apps_and_other_workspaces_apps_are_not_found() {
    let app = spawn_app().await;
    app.set_up().await;
    create(&app, "app", "CRM", "", true).await;
    let id = app.first_id("apps WHERE name = 'CRM'");
    post(
        &app,
        &format!("/w/acme/apps/{id}/grants"),
        &[("email", OWNER_EMAIL), ("level", "edit")],
    )
    .await;
    let grant = app.first_id("grants");
    app.add_member(GRACE, BuiltInRole::Auditor, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);

    let auditor = app.new_client();
    auditor.sign_in(GRACE, OWNER_PASSWORD).await;
    let list = auditor.get_text("/w/acme/apps").await;
    assert!(list.contains("CRM") && !list.contains("Create an app"));
    let base = format!("/w/acme/apps/{id}");
    let page = auditor.get_text(&format!("{base}/permissions")).await;
    assert!(
        page.contains("Who can run this?")
            && !page.contains("Give access")
            && !page.contains("Delete app")
    );
    for (path, fields) in [
        (
            "/w/acme/apps".to_owned(),
            vec![("kind", "app"), ("name", "Mine")],
        ),
        (base.clone(), vec![("kind", "app"), ("name", "Renamed")]),
        (
            format!("{base}/grants"),
            vec![("email", GRACE), ("level", "edit")],
        ),
        (format!("{base}/grants/{grant}"), vec![("level", "view")]),
        (format!("{base}/grants/{grant}/remove"), vec![]),
        (format!("{base}/delete"), vec![]),
    ] {
        let refused = post(&auditor, &path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
    assert_eq!(
        auditor
            .get(&format!("{base}/delete"))
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(app.count("apps WHERE name = 'CRM'"), 1);
    assert_eq!(app.count("grants WHERE level = 'edit'"), 1);

    let member = app.new_client();
    member.sign_in(ALAN, OWNER_PASSWORD).await;
    assert_eq!(location(&member.get("/w/acme/apps").await), "/me");
    assert!(
        member
            .get_text("/me")
            .await
            .contains("Your role in Acme HQ opens no page of this console"),
        "told why they are on their profile"
    );
    // A missing page is a 404, and their profile next says nothing about it.
    assert_eq!(member.get("/w/acme/nope").await.status().as_u16(), 404);
    assert!(
        !member
            .get_text("/me")
            .await
            .contains("opens no page of this console")
    );

    // An app of another workspace is not found through this one.
    let other = app.workspace_id("acme").0 + 1000;
    app.execute(&format!(
        "INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES ({other}, 'Other', 'other', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, created_at, updated_at) VALUES ({other}, 'app', 'Secret', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    let secret = app.first_id("apps WHERE name = 'Secret'");
    assert_eq!(
        app.get(&format!("/w/acme/apps/{secret}"))
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        post(&app, &format!("/w/acme/apps/{secret}/delete"), &[])
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(app.count("apps WHERE name = 'Secret'"), 1);
}

/// Naming a member (an app's owner, a grant) by address probes who is in the workspace: a role
/// managing apps without `users.view` gives groups access, and keeps the owner it finds.
#[actix_web::test]
async fn naming_members_takes_seeing_them() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    create(&app, "app", "CRM", OWNER_EMAIL, true).await;
    let id = app.first_id("apps WHERE name = 'CRM'");
    let group = create_group(&app, "Ops", &[ALAN]).await;
    let keeper = app
        .with_custom_role(GRACE, "App keeper", &["apps.view", "apps.manage"])
        .await;
    let base = format!("/w/acme/apps/{id}");
    let page = keeper.get_text(&format!("{base}/permissions")).await;
    assert!(
        page.contains("Give the group access")
            && !page.contains("Give the member access")
            && page.contains("people (users.view), which your role does not hold"),
        "{page}"
    );
    let grants = app.count("grants");
    let refused = post(
        &keeper,
        &format!("{base}/grants"),
        &[("email", ALAN), ("level", "run")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    let said =
        "role=\"alert\">Naming a member here takes seeing the workspace&#39;s people (users.view).";
    assert!(refused.text().await.unwrap().contains(said));
    // Nor told whether someone is a member: the same answer for an address nobody has.
    let nobody = post(
        &keeper,
        &format!("{base}/grants"),
        &[("email", "nobody@example.com"), ("level", "run")],
    )
    .await;
    assert!(nobody.text().await.unwrap().contains(said));
    let created = create(&keeper, "app", "Billing", ALAN, false).await;
    assert_eq!(created.status().as_u16(), 422);
    assert!(created.text().await.unwrap().contains(said));
    assert_eq!(app.count("apps WHERE name = 'Billing'"), 0);
    assert_eq!(app.count("grants"), grants);
    // The owner is kept on a save, whoever it is by now (their form has no owner field; an
    // address sent anyway changes nothing); a group is given access.
    let page = keeper.get_text(&base).await;
    assert!(!page.contains("name=\"owner_email\""), "{page}");
    let alan = app.membership_of(ALAN);
    app.execute(&format!(
        "UPDATE apps SET owner_membership_id = {alan} WHERE id = {id}"
    ));
    let saved = post(
        &keeper,
        &base,
        &[
            ("kind", "app"),
            ("name", "CRM 2"),
            ("owner_email", OWNER_EMAIL),
            ("restricted", "on"),
        ],
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "apps WHERE name = 'CRM 2' AND owner_membership_id = {alan}"
        )),
        1
    );
    let group_id = group.to_string();
    let given = post(
        &keeper,
        &format!("{base}/grants"),
        &[("group_id", group_id.as_str()), ("level", "run")],
    )
    .await;
    assert_eq!(given.status().as_u16(), 303);
    assert_eq!(app.count("grants"), grants + 1);
    // Names are not links to pages their role does not open.
    let page = keeper.get_text(&format!("{base}/permissions")).await;
    assert!(page.contains("Group Ops"), "{page}");
    assert!(
        !page.contains(&format!("href=\"/w/acme/groups/{group}\"")),
        "{page}"
    );
    assert!(!page.contains("href=\"/w/acme/users/"), "{page}");
}
