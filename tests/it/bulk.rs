//! HTTP tests of bulk actions on the users list (issue 18 §2) on each backend: the preview changes
//! nothing and says who will change and who is skipped and why (the one decision per action, the
//! last-Owner rule, states); the confirmation changes each person on their own, records an event
//! per person and one for the batch; a selection by filter travels as the filter.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";
const EDSGER: &str = "edsger.dijkstra@example.com";

async fn bulk(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_fields("/w/acme/users/bulk", fields).await
}

fn status_of(app: &TestApp, email: &str) -> &'static str {
    for status in ["active", "suspended", "removed", "invited"] {
        if app.count(&format!(
            "memberships WHERE status = '{status}' AND account_id = \
             (SELECT id FROM accounts WHERE email = '{email}')"
        )) == 1
        {
            return status;
        }
    }
    "none"
}

/// The part of the preview between two headings.
fn section<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page.find(from).expect(from);
    let end = page[start..].find(to).map_or(page.len(), |i| start + i);
    &page[start..end]
}

#[actix_web::test]
async fn an_id_that_names_nobody_here_is_said_as_a_member_number_in_the_result_too() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = app.membership_of(GRACE).to_string();
    let fields = [
        ("action", "suspend"),
        ("member_id", grace.as_str()),
        ("member_id", "999999"),
    ];
    let preview = bulk(&app, &fields).await.text().await.unwrap();
    assert!(
        section(&preview, "Skipped (1)", "</table>").contains("Member #999999"),
        "{preview}"
    );
    let mut confirm = fields.to_vec();
    confirm.push(("confirm", "1"));
    assert_eq!(bulk(&app, &confirm).await.status().as_u16(), 303);
    let list = app.get_text("/w/acme/users").await;
    assert!(
        list.contains(
            "Suspended 1 person. Skipped 1: Member #999999 (Not a member of this workspace)."
        ),
        "{list}"
    );
}

#[actix_web::test]
async fn a_preview_changes_nothing_and_the_confirmation_does_what_it_said() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Suspended);
    let (grace, alan, ada) = (
        app.membership_of(GRACE),
        app.membership_of(ALAN),
        app.membership_of(OWNER_EMAIL),
    );
    let ids = [grace.to_string(), alan.to_string(), ada.to_string()];
    let mut fields = vec![("action", "suspend"), ("reason", "Contractors' term ended")];
    fields.extend(ids.iter().map(|id| ("member_id", id.as_str())));

    let preview = bulk(&app, &fields).await;
    assert_eq!(preview.status().as_u16(), 200);
    let page = preview.text().await.unwrap();
    assert!(page.contains("Suspend 1 person?"), "{page}");
    let changing = section(&page, "Will change (1)", "Skipped (2)");
    assert!(changing.contains(GRACE) && !changing.contains(ALAN));
    let skipped = section(&page, "Skipped (2)", "</table>");
    assert!(
        skipped.contains(ALAN) && skipped.contains("cannot be suspended"),
        "{skipped}"
    );
    assert!(
        skipped.contains(OWNER_EMAIL) && skipped.to_lowercase().contains("yourself"),
        "{skipped}"
    );
    // Nothing changed, nothing recorded.
    assert_eq!(status_of(&app, GRACE), "active");
    assert_eq!(app.count("audit_events WHERE action LIKE 'member.%'"), 0);
    // The confirming form carries the same request.
    assert!(page.contains("name=\"confirm\" value=\"1\""));
    assert!(page.contains(&format!("name=\"member_id\" value=\"{grace}\"")));

    let mut confirm = fields.clone();
    confirm.push(("confirm", "1"));
    let done = bulk(&app, &confirm).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/w/acme/users");
    assert_eq!(status_of(&app, GRACE), "suspended");
    assert_eq!(status_of(&app, ALAN), "suspended");
    assert_eq!(status_of(&app, OWNER_EMAIL), "active");
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.suspended' AND reason = 'Contractors'' term ended'"
        ),
        1
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'users.bulk_action' AND changes LIKE '%\"changed\":1%' \
             AND changes LIKE '%\"skipped\":2%'"
        ),
        1
    );
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("Suspended 1 person. Skipped 2: "), "{list}");
    // Again: everyone is skipped now. Nothing changed is a warning, and no event.
    assert_eq!(bulk(&app, &confirm).await.status().as_u16(), 303);
    let list = app.get_text("/w/acme/users").await;
    assert!(
        list.contains("alert-warning\">Nobody was changed. Skipped 3: "),
        "{list}"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'users.bulk_action'"),
        1
    );

    // Unsuspend, change role, resend and revoke go the same way.
    let done = bulk(
        &app,
        &[
            ("action", "unsuspend"),
            ("member_id", &grace.to_string()),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(status_of(&app, GRACE), "active");
    let done = bulk(
        &app,
        &[
            ("action", "change_role"),
            ("role", "admin"),
            ("member_id", &grace.to_string()),
            ("member_id", &alan.to_string()),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(
        app.count("audit_events WHERE action = 'member.role_changed'"),
        2
    );
    let page = bulk(
        &app,
        &[
            ("action", "change_role"),
            ("role", "admin"),
            ("member_id", &grace.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("Is Admin already."), "{page}");

    app.invite("barbara.liskov@example.com", "member").await;
    let barbara = app.membership_of("barbara.liskov@example.com");
    let page = bulk(
        &app,
        &[
            ("action", "revoke"),
            ("member_id", &barbara.to_string()),
            ("member_id", &grace.to_string()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(section(&page, "Will change (1)", "Skipped").contains("barbara.liskov@example.com"));
    assert!(page.contains("Has no pending invitation."));
    let done = bulk(
        &app,
        &[
            ("action", "revoke"),
            ("member_id", &barbara.to_string()),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(status_of(&app, "barbara.liskov@example.com"), "none");
}

#[actix_web::test]
async fn a_selection_by_filter_travels_as_the_filter() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(EDSGER, BuiltInRole::Admin, MembershipStatus::Active);
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Research', '', created_at, created_at FROM workspaces WHERE slug = 'acme'");
    let group = app.first_id("groups WHERE name = 'Research'").to_string();

    // Everyone with the Member role (the role filter beside another action's fields).
    let fields = [
        ("action", "add_to_group"),
        ("group_id", group.as_str()),
        ("all_matching", "1"),
        ("filter_role", "member"),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    assert!(
        page.contains("Add 2 people to the group Research?"),
        "{page}"
    );
    let changing = section(&page, "Will change (2)", "Skipped (0)");
    assert!(changing.contains(GRACE) && changing.contains(ALAN) && !changing.contains(EDSGER));
    // The confirming form sends the filter, not the ids.
    assert!(
        page.contains("name=\"filter_role\" value=\"member\"")
            && !page.contains("name=\"member_id\"")
    );
    let mut confirm = fields.to_vec();
    confirm.push(("confirm", "1"));
    let done = bulk(&app, &confirm).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/w/acme/users?role=member");
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'users.bulk_action' \
             AND target_label = 'added 2 people to the group Research'"
        ),
        1
    );
    assert_eq!(
        app.count(&format!("group_members WHERE group_id = {group}")),
        2
    );

    // A search as the filter; those already in the group are skipped.
    let page = bulk(
        &app,
        &[
            ("action", "add_to_group"),
            ("group_id", &group),
            ("all_matching", "1"),
            ("q", "turing"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("Is in the group already."), "{page}");

    // As the list's bar sends it: its role menu (the role to give) is not a filter, the empty
    // `filter_role` says any role, and the confirming form keeps saying so.
    let page = bulk(
        &app,
        &[
            ("action", "suspend"),
            ("role", "owner"),
            ("filter_role", ""),
            ("all_matching", "1"),
            ("q", "turing"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        section(&page, "Will change (1)", "Skipped").contains(ALAN),
        "{page}"
    );
    assert!(page.contains("name=\"filter_role\" value=\"\""));

    // Nothing chosen, or no action: said, nothing previewed.
    let refused = bulk(&app, &[("action", "suspend")]).await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Tick the people to act on")
    );
    let refused = bulk(&app, &[("action", "fly"), ("all_matching", "1")]).await;
    assert_eq!(refused.status().as_u16(), 422);
}

#[actix_web::test]
async fn the_last_owner_rule_holds_inside_a_batch_and_roles_are_checked() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Owner, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Owner, MembershipStatus::Active);
    // Ada administers the organization (she acts as an Owner) but is a Member here.
    app.execute(
        "UPDATE memberships SET role_id = (SELECT id FROM roles WHERE name = 'Member' AND workspace_id IS NULL) \
         WHERE account_id = (SELECT id FROM accounts WHERE email = 'ada@example.com')",
    );
    let (grace, alan) = (
        app.membership_of(GRACE).to_string(),
        app.membership_of(ALAN).to_string(),
    );
    let fields = [
        ("action", "suspend"),
        ("member_id", grace.as_str()),
        ("member_id", alan.as_str()),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    // Suspending Grace first leaves Alan the last active Owner: the preview says so.
    assert!(
        section(&page, "Will change (1)", "Skipped (1)").contains(GRACE),
        "{page}"
    );
    assert!(section(&page, "Skipped (1)", "</table>").contains(ALAN));
    let mut confirm = fields.to_vec();
    confirm.push(("confirm", "1"));
    bulk(&app, &confirm).await;
    assert_eq!(status_of(&app, GRACE), "suspended");
    assert_eq!(status_of(&app, ALAN), "active");

    // A member without users.suspend is refused the whole action.
    app.add_member(EDSGER, BuiltInRole::Member, MembershipStatus::Active);
    let edsger = app.new_client();
    edsger.sign_in(EDSGER, OWNER_PASSWORD).await;
    let refused = edsger
        .post_fields(
            "/w/acme/users/bulk",
            &[("action", "suspend"), ("member_id", &alan)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(status_of(&app, ALAN), "active");
}

#[actix_web::test]
async fn a_bulk_removal_hands_what_they_own_to_the_heir_named_by_address() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let (grace, alan) = (app.membership_of(GRACE), app.membership_of(ALAN));
    let ws = app.workspace_id("acme").0;
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, owner_membership_id, restricted, created_at, updated_at)
         VALUES ({ws}, 'app', 'CRM', {grace}, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    ));
    let id = grace.to_string();
    let page = bulk(&app, &[("action", "remove"), ("member_id", &id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hand everything they own to"), "{page}");

    let refused = bulk(
        &app,
        &[
            ("action", "remove"),
            ("member_id", &id),
            ("reassign_to", "nobody@example.com"),
        ],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Nobody in this workspace has the address")
    );

    let fields = [
        ("action", "remove"),
        ("member_id", id.as_str()),
        ("reassign_to", ALAN),
        ("reason", "Team merged"),
        ("confirm", "1"),
    ];
    assert_eq!(bulk(&app, &fields).await.status().as_u16(), 303);
    assert_eq!(status_of(&app, GRACE), "removed");
    assert_eq!(
        app.count(&format!(
            "apps WHERE name = 'CRM' AND owner_membership_id = {alan}"
        )),
        1
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'member.removed' AND reason = 'Team merged'"),
        1
    );
}

/// A bulk action lists the people it matches: it takes seeing members (`users.view`) besides the
/// action's own permission, so a role that only invites learns nobody's address through it.
#[actix_web::test]
async fn a_role_that_cannot_see_members_gets_no_bulk_preview() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Owner, MembershipStatus::Active);
    let ivy = app
        .member_with_new_role(
            "Inviters",
            &["users.invite", "users.change_role"],
            ("ivy.inviter@example.com", "Ivy", "Inviter"),
        )
        .await;
    for action in [
        vec![("action", "revoke"), ("all_matching", "1")],
        vec![
            ("action", "change_role"),
            ("role", "owner"),
            ("all_matching", "1"),
        ],
    ] {
        let refused = ivy.post_fields("/w/acme/users/bulk", &action).await;
        assert_eq!(refused.status().as_u16(), 403, "{action:?}");
        let page = refused.text().await.unwrap();
        assert!(
            !page.contains(GRACE) && !page.contains(OWNER_EMAIL),
            "{page}"
        );
    }
}

/// The bar offers what can change someone the status filter shows: nothing under Removed (no
/// boxes either), no Unsuspend under Active, only resending and revoking's kin under Pending.
#[actix_web::test]
async fn the_bar_offers_what_applies_to_the_status_filtered() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Suspended);
    app.add_member(EDSGER, BuiltInRole::Member, MembershipStatus::Removed);
    app.invite("new.one@example.com", "member").await;
    let offered = |page: &str, action: &str| page.contains(&format!("<option value=\"{action}\">"));
    let everyone = app.get_text("/w/acme/users").await;
    for action in [
        "suspend",
        "unsuspend",
        "change_role",
        "remove",
        "resend",
        "revoke",
    ] {
        assert!(offered(&everyone, action), "{action}");
    }
    let active = app.get_text("/w/acme/users?status=active").await;
    assert!(offered(&active, "suspend") && offered(&active, "change_role"));
    assert!(
        !offered(&active, "unsuspend")
            && !offered(&active, "resend")
            && !offered(&active, "revoke")
    );
    let suspended = app.get_text("/w/acme/users?status=suspended").await;
    assert!(offered(&suspended, "unsuspend") && !offered(&suspended, "suspend"));
    let pending = app.get_text("/w/acme/users?status=pending").await;
    assert!(offered(&pending, "resend") && offered(&pending, "revoke"));
    assert!(!offered(&pending, "suspend") && !offered(&pending, "unsuspend"));
    let removed = app.get_text("/w/acme/users?status=removed").await;
    assert!(removed.contains(EDSGER), "{removed}");
    assert!(
        !removed.contains("id=\"bulk\"") && !removed.contains("name=\"member_id\""),
        "{removed}"
    );
}

/// The bar offers only what can change someone in the workspace, and a row gets a box only when
/// an action of the bar can change it: an inviter (`users.view` + `users.invite`) gets no bar
/// while nothing is pending, then boxes on pending invitations alone.
#[actix_web::test]
async fn the_bar_and_its_boxes_are_for_who_its_actions_can_change() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let owners = app.get_text("/w/acme/users").await;
    assert!(owners.contains("<option value=\"suspend\">"), "{owners}");
    assert!(
        !owners.contains("<option value=\"unsuspend\">")
            && !owners.contains("<option value=\"resend\">"),
        "nobody is suspended or pending: {owners}"
    );
    let ivy = app
        .member_with_new_role(
            "Inviters",
            &["users.view", "users.invite"],
            ("ivy.inviter@example.com", "Ivy", "Inviter"),
        )
        .await;
    let nothing_pending = ivy.get_text("/w/acme/users").await;
    assert!(nothing_pending.contains(GRACE), "{nothing_pending}");
    assert!(
        !nothing_pending.contains("id=\"bulk\"") && !nothing_pending.contains("name=\"member_id\""),
        "{nothing_pending}"
    );
    app.invite("new.one@example.com", "member").await;
    let one_pending = ivy.get_text("/w/acme/users").await;
    assert!(
        one_pending.contains("<option value=\"resend\">")
            && one_pending.contains("<option value=\"revoke\">"),
        "{one_pending}"
    );
    assert_eq!(
        one_pending.matches("name=\"member_id\"").count(),
        1,
        "a box on the pending row alone: {one_pending}"
    );
    assert!(one_pending.contains("aria-label=\"Select new.one@example.com\""));
    assert!(
        !one_pending.contains("id=\"bulk-role\""),
        "no role menu without Change role: {one_pending}"
    );

    // An Admin's role menu holds the roles an Admin may give: not Owner.
    app.add_member(
        "adam@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    let adam = app.new_client();
    adam.sign_in("adam@example.com", OWNER_PASSWORD).await;
    let list = adam.get_text("/w/acme/users").await;
    let menu = section(&list, "id=\"bulk-role\"", "</select>");
    assert!(
        menu.contains("value=\"admin\"") && !menu.contains("value=\"owner\""),
        "{menu}"
    );
    let grace = app.membership_of(GRACE).to_string();
    let nobody = bulk(
        &adam,
        &[
            ("action", "change_role"),
            ("role", "owner"),
            ("member_id", grace.as_str()),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        nobody.contains("Nobody here can be changed") && !nobody.contains("0 people"),
        "{nobody}"
    );
}

/// A filter value the workspace does not have (a typo, a group deleted since the list was read)
/// matches nobody: a bulk action on everyone matching is refused and changes nobody, the list says
/// why it shows nobody, and the export is refused.
#[actix_web::test]
async fn an_unknown_filter_value_matches_nobody_rather_than_everyone() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Gone', '', created_at, created_at FROM workspaces WHERE slug = 'acme'");
    let gone = app.first_id("groups WHERE name = 'Gone'").to_string();
    app.execute(&format!("DELETE FROM groups WHERE id = {gone}"));
    for (key, value, said) in [
        ("status", "Suspended", "is not a status the list filters by"),
        (
            "filter_role",
            "admins",
            "No role “admins” in this workspace",
        ),
        ("group", gone.as_str(), "No group with id"),
        ("inactive_days", "9O", "Inactivity is in whole days"),
    ] {
        let fields = [
            ("action", "suspend"),
            ("all_matching", "1"),
            (key, value),
            ("confirm", "1"),
        ];
        let refused = bulk(&app, &fields).await;
        assert_eq!(refused.status().as_u16(), 422, "{key}={value}");
        let page = refused.text().await.unwrap();
        assert!(
            page.contains(said) && page.contains("Nobody was changed"),
            "{page}"
        );
        assert_eq!(status_of(&app, GRACE), "active", "{key}={value}");
        assert_eq!(status_of(&app, ALAN), "active", "{key}={value}");
        let list_key = if key == "filter_role" { "role" } else { key };
        let listed = app
            .get_text(&format!("/w/acme/users?{list_key}={value}"))
            .await;
        assert!(
            listed.contains(said) && !listed.contains(GRACE),
            "{list_key}={value}: {listed}"
        );
        let export = app
            .get(&format!("/w/acme/users.csv?{list_key}={value}"))
            .await;
        assert_eq!(export.status().as_u16(), 422, "{list_key}={value}");
    }
    assert_eq!(app.count("audit_events WHERE action LIKE 'users.%'"), 0);

    // A role that does not see groups: the list drops a group filter, an action or an export
    // refuses it rather than taking everyone.
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Kept', '', created_at, created_at FROM workspaces WHERE slug = 'acme'");
    let kept = app.first_id("groups WHERE name = 'Kept'").to_string();
    let support = app
        .with_custom_role(
            "sue.support@example.com",
            "Support",
            &["users.view", "users.suspend", "users.export"],
        )
        .await;
    let fields = [
        ("action", "suspend"),
        ("all_matching", "1"),
        ("group", kept.as_str()),
        ("confirm", "1"),
    ];
    let refused = bulk(&support, &fields).await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("cannot choose people by group")
    );
    assert_eq!(status_of(&app, GRACE), "active");
    let export = support
        .get(&format!("/w/acme/users.csv?group={kept}"))
        .await;
    assert_eq!(export.status().as_u16(), 422);
    assert_eq!(app.count("audit_events WHERE action LIKE 'users.%'"), 0);
}

/// The confirmation acts on whom the preview listed or on nobody: when the filter matches other
/// people by then (someone joined it since), it shows the new preview (409) and changes nobody;
/// confirmed from that, it runs.
#[actix_web::test]
async fn a_confirmation_that_no_longer_matches_its_preview_changes_nobody() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let fields = [
        ("action", "suspend"),
        ("all_matching", "1"),
        ("filter_role", "member"),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    assert!(page.contains("Will change (1)"), "{page}");
    let listed = hidden(&page, "people");
    // Someone else takes the role the filter names before the confirmation.
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let mut confirm = fields.to_vec();
    confirm.extend([("confirm", "1"), ("people", listed.as_str())]);
    let changed = bulk(&app, &confirm).await;
    assert_eq!(changed.status().as_u16(), 409);
    let page = changed.text().await.unwrap();
    assert!(
        page.contains("is not who the preview showed") && page.contains("Will change (2)"),
        "{page}"
    );
    assert_eq!(status_of(&app, GRACE), "active");
    assert_eq!(status_of(&app, ALAN), "active");
    let relisted = hidden(&page, "people");
    assert_ne!(relisted, listed);
    let mut again = fields.to_vec();
    again.extend([("confirm", "1"), ("people", relisted.as_str())]);
    assert_eq!(bulk(&app, &again).await.status().as_u16(), 303);
    assert_eq!(status_of(&app, GRACE), "suspended");
    assert_eq!(status_of(&app, ALAN), "suspended");
}

/// The value of the page's hidden field `name`.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect(name) + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// A mistake in the preview's own fields (who receives what the removed own, the reason) is said
/// beside the field, on the preview, with the people and the action kept; nobody is changed.
#[actix_web::test]
async fn a_refused_heir_or_reason_keeps_the_preview() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "dennis@example.com",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );
    app.add_member(
        "barbara@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'barbara@example.com'");
    let grace = app
        .first_id(&format!(
            "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{GRACE}')"
        ))
        .to_string();
    let alan = app
        .first_id(&format!(
            "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{ALAN}')"
        ))
        .to_string();
    for (typed, said) in [
        (
            "typo@exmaple.com",
            "Nobody in this workspace has the address",
        ),
        ("bob", "is not an email address"),
        ("dennis@example.com", "is not an active member (suspended)"),
        ("barbara@example.com", "is blocked in this organization"),
        (
            "9223372036854775807",
            "No member of this workspace has the id 9223372036854775807",
        ),
    ] {
        let fields = [
            ("action", "remove"),
            ("member_id", grace.as_str()),
            ("member_id", alan.as_str()),
            ("reassign_to", typed),
            ("confirm", "1"),
        ];
        let refused = bulk(&app, &fields).await;
        assert_eq!(refused.status().as_u16(), 422, "{typed}");
        let page = refused.text().await.unwrap();
        let field = section(&page, "id=\"reassign_to\"", "</div>");
        assert!(
            field.contains(said) && field.contains("aria-invalid=\"true\""),
            "{page}"
        );
        assert!(
            section(&page, "Will change (2)", "Skipped").contains(GRACE),
            "{page}"
        );
        assert!(page.contains(&format!("value=\"{typed}\"")), "{page}");
        assert_eq!(status_of(&app, GRACE), "active");
    }
    // Both at once: both said, each beside its field, in the one form whose buttons send them.
    let long = "x".repeat(501);
    let both = [
        ("action", "remove"),
        ("member_id", grace.as_str()),
        ("reassign_to", "bob"),
        ("reason", long.as_str()),
        ("confirm", "1"),
    ];
    let page = bulk(&app, &both).await.text().await.unwrap();
    assert!(
        page.contains("id=\"reassign-error\"") && page.contains("id=\"reason-error\""),
        "{page}"
    );
    let preview = section(&page, "bulk-preview", "</section>");
    assert_eq!(preview.matches("<form ").count(), 1, "{preview}");
    let fields = [
        ("action", "suspend"),
        ("member_id", grace.as_str()),
        ("reason", long.as_str()),
        ("confirm", "1"),
    ];
    let refused = bulk(&app, &fields).await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    let field = section(&page, "id=\"reason\"", "</div>");
    assert!(field.contains("id=\"reason-error\""), "{page}");
    assert!(page.contains("Will change (1)"), "{page}");
    assert_eq!(status_of(&app, GRACE), "active");
}

/// A confirmation beside everyday changes: each person waits for the lock rather than being
/// skipped because someone else wrote meanwhile.
#[actix_web::test]
async fn a_confirmation_beside_other_changes_skips_nobody() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Auditor, MembershipStatus::Active);
    for i in 0..120 {
        app.add_member(
            &format!("member{i}@example.com"),
            BuiltInRole::Member,
            MembershipStatus::Active,
        );
    }
    let fields = [
        ("action", "suspend"),
        ("all_matching", "1"),
        ("filter_role", "member"),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    assert!(page.contains("Will change (120)"), "{page}");
    let listed = hidden(&page, "people");

    let toggler = app.new_client();
    toggler.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let grace = app.membership_of(GRACE);
    let toggling = async move {
        let mut refused: u16 = 0;
        for round in 0..40 {
            let action = if round % 2 == 0 {
                "suspend"
            } else {
                "unsuspend"
            };
            let path = format!("/w/acme/users/{grace}/{action}");
            if toggler.post_fields(&path, &[]).await.status().as_u16() != 303 {
                refused += 1;
            }
        }
        refused
    };
    let confirming = {
        let app = app.new_client();
        app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
        let mut confirm: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        confirm.push(("confirm".into(), "1".into()));
        confirm.push(("people".into(), listed));
        async move {
            let fields: Vec<(&str, &str)> = confirm
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            bulk(&app, &fields).await.status().as_u16()
        }
    };
    let statuses = join_all([
        Box::pin(toggling) as std::pin::Pin<Box<dyn std::future::Future<Output = u16>>>,
        Box::pin(confirming),
    ])
    .await;
    assert_eq!(statuses, [0, 303]);
    assert_eq!(app.count("memberships WHERE status = 'suspended'"), 120);
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'users.bulk_action' AND changes LIKE '%\"skipped\":0%'"
        ),
        1
    );
}

/// Rule 5 on many at once: the preview says how many would be Admins, the result how many are.
#[actix_web::test]
async fn making_many_admins_warns_of_their_share() {
    let app = spawn_app().await;
    app.set_up().await;
    for i in 0..5 {
        app.add_member(
            &format!("member{i}@example.com"),
            BuiltInRole::Member,
            MembershipStatus::Active,
        );
    }
    // Changed too, but not counted: the share is of active members.
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Suspended);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Invited);
    let fields = [
        ("action", "change_role"),
        ("role", "admin"),
        ("all_matching", "1"),
        ("filter_role", "member"),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    assert!(
        page.contains("5 of 6 members would be Admins (more than 20 %)"),
        "{page}"
    );
    let mut confirm = fields.to_vec();
    let listed = hidden(&page, "people");
    confirm.extend([("confirm", "1"), ("people", listed.as_str())]);
    let done = bulk(&app, &confirm).await;
    assert_eq!(done.status().as_u16(), 303);
    let page = app.get_text(&location(&done)).await;
    assert!(page.contains("5 of 6 members are now Admins"), "{page}");
    // Making Auditors warns of nothing.
    let fields = [
        ("action", "change_role"),
        ("role", "auditor"),
        ("all_matching", "1"),
        ("filter_role", "admin"),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    assert!(page.contains("Will change (7)") && !page.contains("more than 20 %"));
    assert!(!page.contains("Only an Owner can take the role away again"));
    // Making Owners says first what only an Owner takes back.
    let fields = [
        ("action", "change_role"),
        ("role", "owner"),
        ("all_matching", "1"),
        ("filter_role", "admin"),
    ];
    let page = bulk(&app, &fields).await.text().await.unwrap();
    assert!(
        page.contains("Will change (7)")
            && page.contains("Owners hold every permission here")
            && page.contains("Only an Owner can take the role away again"),
        "{page}"
    );
}
