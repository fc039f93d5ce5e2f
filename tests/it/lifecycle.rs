//! HTTP tests of suspending and unsuspending members (issue 5) on each backend: the confirmation,
//! the rules (oneself, Owners, the last Owner, states that do not allow it), the effect on a live
//! session, seats and data kept, one audit event per action, and the list's row actions.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";

fn membership_of(app: &TestApp, email: &str) -> i64 {
    app.first_id(&format!(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
    ))
}

async fn post(app: &TestApp, path: &str) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    app.post_form(path, &[("csrf_token", csrf.as_str())]).await
}

fn status_of(app: &TestApp, email: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Status {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    diesel::sql_query(format!(
        "SELECT status FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
    ))
    .get_result::<Status>(&mut *app.conn())
    .unwrap()
    .status
}

#[actix_web::test]
async fn a_suspension_takes_effect_at_once_and_keeps_the_seat() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    let seats_before = app.get_text("/w/acme/users").await;
    assert!(seats_before.contains("2 of 10 seats used"));

    // The confirmation says what happens.
    let confirm = app.get_text(&format!("/w/acme/users/{id}/suspend")).await;
    assert!(confirm.contains("Suspend grace hopper?") || confirm.contains("Suspend Grace"));
    assert!(confirm.contains("keep their seat"));

    let done = post(&app, &format!("/w/acme/users/{id}/suspend")).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), format!("/w/acme/users/{id}"));
    assert_eq!(status_of(&app, GRACE), "suspended");
    // Her very next request in the workspace is refused; her session there ended.
    let next = grace.get("/w/acme/users").await;
    assert!(
        matches!(next.status().as_u16(), 303 | 403),
        "{}",
        next.status()
    );
    let console = app.get_text(&format!("/w/acme/users/{id}")).await;
    assert!(console.contains("is suspended") && console.contains("badge-suspended"));
    assert!(console.contains("Unsuspend"));
    assert!(
        app.get_text("/w/acme/users")
            .await
            .contains("2 of 10 seats used"),
        "the seat is kept"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'member.suspended'"),
        1
    );

    // Suspending again is a conflict, nothing changes.
    let again = post(&app, &format!("/w/acme/users/{id}/suspend")).await;
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(
        app.count("audit_events WHERE action = 'member.suspended'"),
        1
    );

    let back = post(&app, &format!("/w/acme/users/{id}/unsuspend")).await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(status_of(&app, GRACE), "active");
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    assert_eq!(
        app.count("audit_events WHERE action = 'member.unsuspended'"),
        1
    );
    // Only a suspension ends sessions: the unsuspension's event says nothing of them.
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.unsuspended' AND changes LIKE '%sessions_ended%'"
        ),
        0
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.suspended' AND changes LIKE '%sessions_ended%'"
        ),
        1
    );
}

#[actix_web::test]
async fn a_member_on_their_profile_is_signed_out_by_a_suspension_or_removal() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    for (action, undo) in [("suspend", "unsuspend"), ("remove", "restore")] {
        // A Member lands on their profile: their session is in no workspace yet.
        let grace = app.new_client();
        grace.sign_in(GRACE, OWNER_PASSWORD).await;
        assert_eq!(grace.get("/me").await.status().as_u16(), 200);
        // A form she had open, sent after: signed out, not "form expired".
        let csrf = grace.csrf_token("/me").await;
        let done = post(&app, &format!("/w/acme/users/{id}/{action}")).await;
        assert_eq!(done.status().as_u16(), 303, "{action}");
        let late = grace
            .post_form(
                "/me/profile",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("first_name", "Grace"),
                    ("last_name", "Hopper"),
                ],
            )
            .await;
        assert!(
            location(&late).starts_with("/login"),
            "{action}: {}",
            late.status()
        );
        assert!(
            location(&grace.get("/me").await).starts_with("/login"),
            "{action}: her session ended"
        );
        let sessions = app.get_text(&format!("/w/acme/users/{id}/sessions")).await;
        assert!(
            !sessions.contains("Sign out<span class=\"visually-hidden\"> of "),
            "{action}: no session is left to sign out: {sessions}"
        );
        assert_eq!(
            post(&app, &format!("/w/acme/users/{id}/{undo}"))
                .await
                .status()
                .as_u16(),
            303
        );
    }
    // A pending invitation elsewhere opens nothing: her session ends all the same.
    app.invite_to_new_workspace("labs", GRACE).await;
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    let done = post(&app, &format!("/w/acme/users/{id}/suspend")).await;
    assert_eq!(done.status().as_u16(), 303);
    assert!(location(&grace.get("/me").await).starts_with("/login"));
    let undone = post(&app, &format!("/w/acme/users/{id}/unsuspend")).await;
    assert_eq!(undone.status().as_u16(), 303);
    // Once she belongs to another workspace too, a session that may be hers there stays.
    let link = format!("/invite/{}", app.token_for(GRACE));
    let joiner = app.new_client();
    let csrf = csrf_in(&joiner.get_text(&link).await);
    let form = [("csrf_token", csrf.as_str()), ("password", OWNER_PASSWORD)];
    assert_eq!(joiner.post_form(&link, &form).await.status().as_u16(), 303);
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    let done = post(&app, &format!("/w/acme/users/{id}/suspend")).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(grace.get("/me").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn the_rules_refuse_with_their_reason() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    app.add_member(
        "audrey.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    let (owner, gone) = (
        membership_of(&app, OWNER_EMAIL),
        membership_of(&app, "gone.person@example.com"),
    );
    let grace_id = membership_of(&app, GRACE);

    // Oneself, and the last Owner.
    let own = post(&app, &format!("/w/acme/users/{owner}/suspend")).await;
    assert_eq!(own.status().as_u16(), 403);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("You cannot suspend yourself")
    );
    // An Admin does not suspend an Owner, and is not offered it.
    let admin = app.new_client();
    admin.sign_in(GRACE, OWNER_PASSWORD).await;
    let on_owner = post(&admin, &format!("/w/acme/users/{owner}/suspend")).await;
    assert_eq!(on_owner.status().as_u16(), 403);
    assert!(
        on_owner
            .text()
            .await
            .unwrap()
            .contains("Only an Owner can suspend an Owner")
    );
    assert_eq!(
        admin
            .get(&format!("/w/acme/users/{owner}/suspend"))
            .await
            .status()
            .as_u16(),
        403
    );
    let list = admin.get_text("/w/acme/users").await;
    assert!(!list.contains(&format!("/w/acme/users/{owner}/suspend")));
    assert!(
        !list.contains(&format!("/w/acme/users/{grace_id}/suspend")),
        "not herself"
    );
    // An Auditor has no users.suspend.
    let auditor = app.new_client();
    auditor
        .sign_in("audrey.auditor@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(
        post(&auditor, &format!("/w/acme/users/{grace_id}/suspend"))
            .await
            .status()
            .as_u16(),
        403
    );
    assert!(!auditor.get_text("/w/acme/users").await.contains("/suspend"));
    // A removed member cannot be suspended; an active one cannot be unsuspended.
    assert_eq!(
        post(&app, &format!("/w/acme/users/{gone}/suspend"))
            .await
            .status()
            .as_u16(),
        409
    );
    assert_eq!(
        post(&app, &format!("/w/acme/users/{grace_id}/unsuspend"))
            .await
            .status()
            .as_u16(),
        409
    );
    assert_eq!(
        app.count("audit_events WHERE action LIKE 'member.%suspended'"),
        0
    );
    assert_eq!(status_of(&app, GRACE), "active");
}

/// A second org owner, without a membership in the workspace (an Owner there all the same),
/// signed in.
async fn second_org_owner(app: &TestApp) -> TestApp {
    const KEEPER: &str = "org.keeper@example.com";
    app.add_member(KEEPER, BuiltInRole::Member, MembershipStatus::Active);
    app.execute(&format!(
        "UPDATE accounts SET org_role = 'owner' WHERE email = '{KEEPER}';
         DELETE FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{KEEPER}');"
    ));
    let keeper = app.new_client();
    keeper.sign_in(KEEPER, OWNER_PASSWORD).await;
    keeper
}

#[actix_web::test]
async fn the_last_active_owner_cannot_be_suspended() {
    let app = spawn_with_member(
        "second.owner@example.com",
        BuiltInRole::Owner,
        MembershipStatus::Active,
    )
    .await;
    let (ada, second) = (
        membership_of(&app, OWNER_EMAIL),
        membership_of(&app, "second.owner@example.com"),
    );
    // A second org owner acts as an Owner here without a membership of their own (an org admin
    // would not reach Ada, the org owner, at all).
    let org_admin = second_org_owner(&app).await;
    // Two active Owners: one may be suspended…
    assert_eq!(
        post(&org_admin, &format!("/w/acme/users/{second}/suspend"))
            .await
            .status()
            .as_u16(),
        303
    );
    // …but not the last one left.
    let refused = post(&org_admin, &format!("/w/acme/users/{ada}/suspend")).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(refused.text().await.unwrap().contains("last active Owner"));
    assert_eq!(status_of(&app, OWNER_EMAIL), "active");
}

#[actix_web::test]
async fn from_the_list_htmx_reloads_the_rows_in_place() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains(&format!(
        "href=\"/w/acme/users/{id}\" data-actions=\"suspend remove\""
    )));

    let csrf = app.csrf_token("/me").await;
    let done = app
        .client
        .post(app.url(&format!("/w/acme/users/{id}/suspend?from=list")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert_eq!(done.headers()["hx-trigger"], "members-changed");
    assert!(done.text().await.unwrap().contains("is suspended"));
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains(&format!(
        "href=\"/w/acme/users/{id}\" data-actions=\"unsuspend remove\""
    )));
}

#[actix_web::test]
async fn a_block_ends_every_session_and_an_unblock_lets_them_back() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    let id = membership_of(&app, GRACE);
    let grace = app.new_client();
    grace.sign_in(GRACE, OWNER_PASSWORD).await;
    assert_eq!(grace.get("/me").await.status().as_u16(), 200);

    let console = app.get_text(&format!("/w/acme/users/{id}")).await;
    assert!(console.contains(&format!("/w/acme/users/{id}/block")));
    let confirm = app.get_text(&format!("/w/acme/users/{id}/block")).await;
    assert!(confirm.contains("can no longer sign in anywhere"));

    let done = post(&app, &format!("/w/acme/users/{id}/block")).await;
    assert_eq!(done.status().as_u16(), 303);
    assert!(
        location(&grace.get("/me").await).starts_with("/login"),
        "her live session ended"
    );
    let refused = grace.sign_in(GRACE, OWNER_PASSWORD).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(refused.text().await.unwrap().contains("blocked"));
    assert_eq!(app.count("sessions WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')"), 0);
    assert!(
        app.get_text("/w/acme/users")
            .await
            .contains("badge-blocked")
    );
    assert_eq!(
        status_of(&app, GRACE),
        "active",
        "the membership is kept as it was"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.blocked'"),
        1
    );
    assert_eq!(
        post(&app, &format!("/w/acme/users/{id}/block"))
            .await
            .status()
            .as_u16(),
        409,
        "blocked already: a state, not a rule"
    );

    let back = post(&app, &format!("/w/acme/users/{id}/unblock")).await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(
        grace.sign_in(GRACE, OWNER_PASSWORD).await.status().as_u16(),
        303
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.unblocked'"),
        1
    );
}

#[actix_web::test]
async fn only_org_owners_and_admins_block_and_never_themselves() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    let ada = membership_of(&app, OWNER_EMAIL);
    // A workspace Admin is not an org admin: no button, and refused.
    let admin = app.new_client();
    admin.sign_in(GRACE, OWNER_PASSWORD).await;
    assert!(
        !admin
            .get_text(&format!("/w/acme/users/{ada}"))
            .await
            .contains("/block")
    );
    let refused = post(&admin, &format!("/w/acme/users/{ada}/block")).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Only org owners and org admins")
    );
    // Oneself.
    assert!(
        !app.get_text(&format!("/w/acme/users/{ada}"))
            .await
            .contains("/block\"")
    );
    let own = post(&app, &format!("/w/acme/users/{ada}/block")).await;
    assert_eq!(own.status().as_u16(), 403);
    // An org admin cannot block the org owner.
    app.execute("UPDATE accounts SET org_role = 'admin' WHERE email = 'grace.hopper@example.com'");
    let refused = post(&admin, &format!("/w/acme/users/{ada}/block")).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Only an org owner can block an org owner")
    );
    // Another org owner can (the rule of the last org owner is unit-tested: an acting org owner
    // is always another active one), once Ada is not the workspace's last Owner.
    app.execute("UPDATE accounts SET org_role = 'owner' WHERE email = 'grace.hopper@example.com'");
    let refused = post(&admin, &format!("/w/acme/users/{ada}/block")).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("is the last active Owner of")
    );
    app.execute(
        "UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'owner') \
         WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')",
    );
    assert_eq!(
        post(&admin, &format!("/w/acme/users/{ada}/block"))
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.blocked'"),
        1
    );
}

/// Gives `email` two apps, a workflow and three contacts, a group and a direct grant.
fn give_things(app: &TestApp, email: &str) -> i64 {
    let member = membership_of(app, email);
    let ws = app.workspace_id("acme").0;
    app.execute(&format!(
        "INSERT INTO apps (workspace_id, kind, name, owner_membership_id, restricted, created_at, updated_at) VALUES
            ({ws}, 'app', 'CRM', {member}, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
            ({ws}, 'app', 'Billing', {member}, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
            ({ws}, 'workflow', 'Payroll', {member}, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
            ({ws}, 'project', 'Unrelated', NULL, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
         INSERT INTO assets (workspace_id, kind, name, owner_membership_id, created_at, updated_at) VALUES
            ({ws}, 'contact', 'A', {member}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
            ({ws}, 'contact', 'B', {member}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
            ({ws}, 'contact', 'C', {member}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
         INSERT INTO groups (workspace_id, name, description, member_count, created_at, updated_at) VALUES
            ({ws}, 'Finance', '', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
         INSERT INTO group_members (group_id, membership_id, created_at)
            SELECT id, {member}, CURRENT_TIMESTAMP FROM groups WHERE name = 'Finance';
         INSERT INTO grants (app_id, membership_id, level, created_at)
            SELECT id, {member}, 'edit', CURRENT_TIMESTAMP FROM apps WHERE name = 'Unrelated';"
    ));
    member
}

async fn remove(app: &TestApp, id: i64, reassign_to: &str) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    app.post_form(
        &format!("/w/acme/users/{id}/remove"),
        &[("csrf_token", csrf.as_str()), ("reassign_to", reassign_to)],
    )
    .await
}

#[actix_web::test]
async fn removal_hands_over_exactly_what_they_own_and_restore_brings_back_the_rest() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = give_things(&app, GRACE);
    let alan = membership_of(&app, "alan.turing@example.com");

    // The dialog counts what she owns, by kind, and offers active members to reassign to.
    let dialog = app
        .get_text(&format!("/w/acme/users/{grace}/remove?q=alan"))
        .await;
    assert!(
        dialog.contains("2 apps, 1 workflow and 3 contacts"),
        "{dialog}"
    );
    assert!(dialog.contains("restored for 14 days"));
    assert!(dialog.contains(&format!("value=\"{alan}\"")));
    // Someone blocked is not offered: they could not sign in to use it.
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'alan.turing@example.com'");
    let dialog = app
        .get_text(&format!("/w/acme/users/{grace}/remove/picker?q=alan"))
        .await;
    assert!(!dialog.contains(&format!("value=\"{alan}\"")), "{dialog}");
    app.execute("UPDATE accounts SET status = 'active' WHERE email = 'alan.turing@example.com'");
    // The heir chosen stays offered, and chosen, whatever the search finds now; a refused
    // removal keeps the search and the choice.
    let chosen = format!("value=\"{alan}\" checked");
    let dialog = app
        .get_text(&format!(
            "/w/acme/users/{grace}/remove/picker?q=nobody-here&reassign_to={alan}"
        ))
        .await;
    assert!(dialog.contains(&chosen), "{dialog}");
    let csrf = app.csrf_token("/me").await;
    let long = "x".repeat(501);
    let refused = app
        .post_form(
            &format!("/w/acme/users/{grace}/remove"),
            &[
                ("csrf_token", csrf.as_str()),
                ("q", "nobody-here"),
                ("reassign_to", alan.to_string().as_str()),
                ("reason", long.as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains(&chosen) && page.contains("value=\"nobody-here\""),
        "{page}"
    );

    // Bad heirs: herself, someone not active, someone unknown.
    app.add_member(
        "paused.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );
    let paused = membership_of(&app, "paused.person@example.com");
    for (heir, reason) in [
        (grace.to_string(), "other than the member you are removing"),
        (paused.to_string(), "is not an active member"),
        ("999999".to_owned(), "not a member of this workspace"),
        ("x".to_owned(), "Choose a member from the list"),
    ] {
        let refused = remove(&app, grace, &heir).await;
        assert_eq!(refused.status().as_u16(), 422, "{heir}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(reason), "{heir}");
        // Someone who cannot inherit is not offered; "unassigned" is what the form shows chosen.
        assert!(page.contains("value=\"\" checked"), "{heir}: {page}");
    }
    assert_eq!(status_of(&app, GRACE), "active", "nothing written");

    let owned_by = |m: i64| {
        app.count(&format!("apps WHERE owner_membership_id = {m}"))
            + app.count(&format!("assets WHERE owner_membership_id = {m}"))
    };
    let unrelated = app.count("apps WHERE owner_membership_id IS NULL");
    let done = remove(&app, grace, &alan.to_string()).await;
    assert_eq!(done.status().as_u16(), 303);
    // Her page says until when she can be restored (the owner's zone is UTC).
    let until = (chrono::Utc::now() + chrono::Duration::days(14))
        .format("%-d %b %Y")
        .to_string();
    let console = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        console.contains(&format!("Removed — can be restored until {until}")),
        "{console}"
    );
    assert_eq!(owned_by(grace), 0);
    assert_eq!(owned_by(alan), 6, "exactly her six things moved");
    assert_eq!(
        app.count("apps WHERE owner_membership_id IS NULL"),
        unrelated,
        "nothing else moved"
    );
    assert_eq!(status_of(&app, GRACE), "removed");
    assert_eq!(
        app.count(&format!("group_members WHERE membership_id = {grace}")),
        0
    );
    assert_eq!(
        app.count(&format!("grants WHERE membership_id = {grace}")),
        0
    );
    assert_eq!(app.count("audit_events WHERE action = 'member.removed'"), 1);
    assert!(!app.get_text("/w/acme/users").await.contains(GRACE));
    let removed_list = app.get_text("/w/acme/users?status=removed").await;
    assert!(
        removed_list.contains(GRACE)
            && removed_list.contains(&format!(
                "href=\"/w/acme/users/{grace}\" data-actions=\"restore"
            ))
    );
    // Removing again: a clear message, nothing changed.
    let again = remove(&app, grace, "").await;
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(app.count("audit_events WHERE action = 'member.removed'"), 1);

    // Restore: groups and grants come back; what went to Alan stays his.
    let confirm = app
        .get_text(&format!("/w/acme/users/{grace}/restore"))
        .await;
    assert!(confirm.contains("stays with its new owner"));
    assert_eq!(
        post(&app, &format!("/w/acme/users/{grace}/restore"))
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(status_of(&app, GRACE), "active");
    assert_eq!(
        app.count(&format!("group_members WHERE membership_id = {grace}")),
        1
    );
    assert_eq!(
        app.count(&format!(
            "grants WHERE membership_id = {grace} AND level = 'edit'"
        )),
        1
    );
    assert_eq!(owned_by(alan), 6);
    assert_eq!(
        app.count("audit_events WHERE action = 'member.restored'"),
        1
    );
}

#[actix_web::test]
async fn what_was_left_unassigned_returns_on_restore_unless_taken_and_seats_are_checked() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = give_things(&app, GRACE);
    assert_eq!(remove(&app, grace, "").await.status().as_u16(), 303);
    assert_eq!(
        app.count(&format!(
            "apps WHERE unassigned_from_membership_id = {grace} AND owner_membership_id IS NULL"
        )),
        3
    );
    // Someone takes one app meanwhile.
    let ada = membership_of(&app, OWNER_EMAIL);
    app.execute(&format!("UPDATE apps SET owner_membership_id = {ada}, unassigned_from_membership_id = NULL WHERE name = 'CRM'"));

    // A full workspace: restoring needs a seat.
    app.execute("UPDATE workspaces SET seat_limit = 1");
    let full = post(&app, &format!("/w/acme/users/{grace}/restore")).await;
    assert_eq!(full.status().as_u16(), 409);
    assert!(full.text().await.unwrap().contains("1 seats, 1 in use"));
    app.execute("UPDATE workspaces SET seat_limit = 10");

    assert_eq!(
        post(&app, &format!("/w/acme/users/{grace}/restore"))
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.count(&format!("apps WHERE owner_membership_id = {grace}")),
        2,
        "Billing and Payroll came back"
    );
    assert_eq!(
        app.count(&format!("assets WHERE owner_membership_id = {grace}")),
        3
    );
    assert_eq!(
        app.count(&format!("apps WHERE owner_membership_id = {ada}")),
        1,
        "CRM stays with Ada"
    );

    // After 14 days a removal cannot be restored.
    assert_eq!(remove(&app, grace, "").await.status().as_u16(), 303);
    app.execute(&format!(
        "UPDATE memberships SET removed_at = '2020-01-01 00:00:00' WHERE id = {grace}"
    ));
    let late = post(&app, &format!("/w/acme/users/{grace}/restore")).await;
    assert_eq!(late.status().as_u16(), 409);
    assert!(late.text().await.unwrap().contains("more than 14 days ago"));
    // The dialog says so too, rather than offering a restore that would be refused.
    let dialog = app.get(&format!("/w/acme/users/{grace}/restore")).await;
    assert_eq!(dialog.status().as_u16(), 409);
}

#[actix_web::test]
async fn nobody_removes_themselves_or_the_last_owner_and_admins_not_owners() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Admin, MembershipStatus::Active);
    let ada = membership_of(&app, OWNER_EMAIL);
    let own = remove(&app, ada, "").await;
    assert_eq!(own.status().as_u16(), 403);
    let admin = app.new_client();
    admin.sign_in(GRACE, OWNER_PASSWORD).await;
    let refused = remove(&admin, ada, "").await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Only an Owner can remove an Owner")
    );
    assert_eq!(status_of(&app, OWNER_EMAIL), "active");
    assert_eq!(app.count("audit_events WHERE action = 'member.removed'"), 0);
}

#[actix_web::test]
async fn two_owners_removing_each_other_at_once_leave_one_owner() {
    let app = spawn_with_member(
        "grace.owner@example.com",
        BuiltInRole::Owner,
        MembershipStatus::Active,
    )
    .await;
    // Ada is not an org owner here, so only her membership makes her an Owner.
    app.execute("UPDATE accounts SET org_role = 'member'");
    app.add_member(
        "org.keeper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute("UPDATE accounts SET org_role = 'owner' WHERE email = 'org.keeper@example.com'");
    let ada = membership_of(&app, OWNER_EMAIL);
    let grace = membership_of(&app, "grace.owner@example.com");
    for round in 0..3 {
        let a = app.new_client();
        a.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
        let g = app.new_client();
        g.sign_in("grace.owner@example.com", OWNER_PASSWORD).await;
        let heirless = &[("reassign_to", "")];
        let statuses = at_once(vec![
            (a, format!("/w/acme/users/{grace}/remove"), heirless),
            (g, format!("/w/acme/users/{ada}/remove"), heirless),
        ])
        .await;
        let owners = app.count("memberships WHERE role_id = (SELECT id FROM roles WHERE key = 'owner') AND status = 'active'");
        assert_eq!(owners, 1, "round {round}: {statuses:?}");
        // The other is refused (the last Owner), or, when the removal ended its session first,
        // sent to sign in (303 too): one removal is what the events count.
        assert!(
            statuses.iter().all(|s| [303, 403, 409].contains(s)),
            "round {round}: {statuses:?}"
        );
        assert_eq!(
            app.count("audit_events WHERE action = 'member.removed'"),
            round + 1,
            "one event per removal"
        );
        app.execute(
            "UPDATE memberships SET status = 'active', removed_at = NULL, removal_snapshot = NULL",
        );
    }
}

/// A form to post: as whom, where, and its fields besides the CSRF token.
type Post = (TestApp, String, &'static [(&'static str, &'static str)]);

/// Posts each form (`fields` to a path, as a client with its own CSRF token) at the same moment:
/// every token is read first, then all are sent at once; their statuses, in order.
async fn at_once(posts: Vec<Post>) -> Vec<u16> {
    let mut ready = Vec::new();
    for (client, path, fields) in posts {
        let csrf = client.csrf_token("/me").await;
        ready.push((client, path, fields, csrf));
    }
    let sent: Vec<_> = ready
        .into_iter()
        .map(|(client, path, fields, csrf)| {
            actix_web::rt::spawn(async move {
                let mut form = vec![("csrf_token", csrf.as_str())];
                form.extend_from_slice(fields);
                client.post_form(&path, &form).await.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for answer in sent {
        statuses.push(answer.await.expect("the request's task"));
    }
    statuses
}

/// Owners who keep the workspace administered: active, their account not blocked.
fn usable_owners(app: &TestApp) -> i64 {
    app.count(
        "memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.role_id = (SELECT id FROM roles WHERE key = 'owner') \
         AND m.status = 'active' AND a.status = 'active'",
    )
}

#[actix_web::test]
async fn a_blocked_owner_keeps_nothing_and_the_last_usable_owner_is_not_blocked() {
    const SECOND: &str = "second.owner@example.com";
    let app = spawn_with_member(SECOND, BuiltInRole::Owner, MembershipStatus::Active).await;
    // Ada is acted on by a second org owner without a membership here.
    let keeper = second_org_owner(&app).await;
    let (ada, second) = (
        membership_of(&app, OWNER_EMAIL),
        membership_of(&app, SECOND),
    );

    // The second Owner is blocked: Ada is now the one Owner who can administer the workspace.
    assert_eq!(
        post(&keeper, &format!("/w/acme/users/{second}/block"))
            .await
            .status()
            .as_u16(),
        303
    );
    for action in ["suspend", "remove"] {
        let refused = post(&keeper, &format!("/w/acme/users/{ada}/{action}")).await;
        assert_eq!(refused.status().as_u16(), 403, "{action}");
        assert!(refused.text().await.unwrap().contains("last active Owner"));
    }
    // Nor is she blocked: neither offered (console, accounts page) nor done.
    let console = keeper.get_text(&format!("/w/acme/users/{ada}")).await;
    assert!(
        !console.contains(&format!("/w/acme/users/{ada}/block\""))
            && console.contains("is the last active Owner of"),
        "{console}"
    );
    let accounts = keeper.get_text("/org/accounts").await;
    let ada_account = app.first_id("accounts WHERE email = 'ada@example.com'");
    assert!(!accounts.contains(&format!("/org/accounts/{ada_account}/block\"")));
    for path in [
        format!("/w/acme/users/{ada}/block"),
        format!("/org/accounts/{ada_account}/block"),
    ] {
        let refused = post(&keeper, &path).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("is the last active Owner of")
        );
    }
    assert_eq!(usable_owners(&app), 1);
    // The blocked Owner is no longer protected as one: their role may go.
    let csrf = keeper.csrf_token("/me").await;
    let demoted = keeper
        .post_form(
            &format!("/w/acme/users/{second}/role"),
            &[("csrf_token", csrf.as_str()), ("role", "member")],
        )
        .await;
    assert_eq!(demoted.status().as_u16(), 303);

    // Two usable Owners again; blocking one while the other is removed, at once, leaves one.
    app.execute(
        "UPDATE accounts SET status = 'active';
         UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'owner')
         WHERE account_id = (SELECT id FROM accounts WHERE email = 'second.owner@example.com');",
    );
    let second_account = app.first_id("accounts WHERE email = 'second.owner@example.com'");
    for round in 0..3 {
        assert_eq!(usable_owners(&app), 2, "round {round}");
        let (blocker, remover) = (app.new_client(), app.new_client());
        for client in [&blocker, &remover] {
            client
                .sign_in("org.keeper@example.com", OWNER_PASSWORD)
                .await;
        }
        let statuses = at_once(vec![
            (
                blocker,
                format!("/org/accounts/{second_account}/block"),
                &[],
            ),
            (
                remover,
                format!("/w/acme/users/{ada}/remove"),
                &[("reassign_to", "")],
            ),
        ])
        .await;
        assert_eq!(usable_owners(&app), 1, "round {round}: {statuses:?}");
        assert_eq!(
            statuses.iter().filter(|s| **s == 303).count(),
            1,
            "round {round}: one refused: {statuses:?}"
        );
        app.execute(
            "UPDATE accounts SET status = 'active';
             UPDATE memberships SET status = 'active', removed_at = NULL, removal_snapshot = NULL",
        );
    }
}

#[actix_web::test]
async fn every_change_writes_exactly_one_audit_event() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let grace = membership_of(&app, GRACE);
    let before = app.count("audit_events");
    let steps = [
        format!("/w/acme/users/{grace}/suspend"),
        format!("/w/acme/users/{grace}/unsuspend"),
        format!("/w/acme/users/{grace}/block"),
        format!("/w/acme/users/{grace}/unblock"),
        format!("/w/acme/users/{grace}/remove"),
        format!("/w/acme/users/{grace}/restore"),
    ];
    for (i, step) in steps.iter().enumerate() {
        let done = post(&app, step).await;
        assert_eq!(done.status().as_u16(), 303, "{step}");
        assert_eq!(
            app.count("audit_events"),
            before + i as i64 + 1,
            "{step} wrote one event"
        );
    }
    // Refused actions write nothing.
    assert_eq!(
        post(&app, &format!("/w/acme/users/{grace}/unsuspend"))
            .await
            .status()
            .as_u16(),
        409
    );
    assert_eq!(app.count("audit_events"), before + steps.len() as i64);
}

#[actix_web::test]
async fn inviting_a_removed_member_again_offers_the_restore() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = membership_of(&app, GRACE);
    assert_eq!(remove(&app, grace, "").await.status().as_u16(), 303);
    let again = app.invite(GRACE, "member").await;
    assert_eq!(again.status().as_u16(), 422);
    let html = again.text().await.unwrap();
    assert!(html.contains("restore them instead"), "{html}");
    assert_eq!(status_of(&app, GRACE), "removed", "nothing written");
    // The day of the removal is the inviter's: late on the 14th in UTC is the 15th in Kiritimati.
    app.execute(&format!(
        "UPDATE memberships SET removed_at = '2026-12-14 16:00:00' WHERE id = {grace}"
    ));
    let said = |html: String| {
        let at = html.find("was removed on").expect("the removal's day");
        html[at..at + 26].to_owned()
    };
    let utc = said(app.invite(GRACE, "member").await.text().await.unwrap());
    assert_eq!(utc, "was removed on 14 Dec 2026");
    app.execute(&format!(
        "UPDATE accounts SET timezone = 'Pacific/Kiritimati' WHERE email = '{OWNER_EMAIL}'"
    ));
    let local = said(app.invite(GRACE, "member").await.text().await.unwrap());
    assert_eq!(local, "was removed on 15 Dec 2026");

    // Past the restore window a restore is refused, and the invitation goes through: the removal
    // is purged first (with its event), without waiting for the daily purge.
    app.execute(&format!(
        "UPDATE memberships SET removed_at = '2020-01-01 00:00:00' WHERE id = {grace}"
    ));
    let restore = post(&app, &format!("/w/acme/users/{grace}/restore")).await;
    assert_eq!(restore.status().as_u16(), 409);
    let page = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(page.contains("invite them again instead"), "{page}");
    assert_eq!(app.invite(GRACE, "member").await.status().as_u16(), 303);
    assert_eq!(status_of(&app, GRACE), "invited");
    assert_eq!(app.count("audit_events WHERE action = 'member.purged'"), 1);
}

/// A refused choice of who takes over is said beside the form even when the member owns nothing
/// (the form has no picker then: the message stood nowhere).
#[actix_web::test]
async fn a_refused_heir_is_said_when_the_member_owns_nothing() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    let (grace, gone) = (
        membership_of(&app, GRACE),
        membership_of(&app, "gone.person@example.com"),
    );
    let refused = remove(&app, grace, &gone.to_string()).await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("They own nothing in this workspace")
            && page.contains("id=\"reassign-error\""),
        "{page}"
    );
    assert_eq!(status_of(&app, GRACE), "active", "nothing written");
}

/// A restore brings back the suspension the member had when removed: a role that may remove and
/// restore but not unsuspend cannot lift one that way. Unblocking someone still suspended here
/// says so.
#[actix_web::test]
async fn a_restore_keeps_the_suspension_the_member_had() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = membership_of(&app, GRACE);
    let suspended = post(&app, &format!("/w/acme/users/{grace}/suspend")).await;
    assert_eq!(suspended.status().as_u16(), 303);
    let helpdesk = app
        .member_with_new_role(
            "Helpdesk",
            &["users.view", "users.remove"],
            ("help@example.com", "Hal", "Desk"),
        )
        .await;
    let refused = post(&helpdesk, &format!("/w/acme/users/{grace}/unsuspend")).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(remove(&helpdesk, grace, "").await.status().as_u16(), 303);
    let restored = post(&helpdesk, &format!("/w/acme/users/{grace}/restore")).await;
    assert_eq!(restored.status().as_u16(), 303);
    assert_eq!(status_of(&app, GRACE), "suspended", "the suspension stays");
    let page = helpdesk.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        page.contains("still suspended as when they were removed"),
        "{page}"
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.restored' \
             AND changes LIKE '%\"after\":\"suspended\"%'"
        ),
        1
    );

    // Blocked and unblocked while suspended: still suspended here, and told so.
    for step in ["block", "unblock"] {
        let done = post(&app, &format!("/w/acme/users/{grace}/{step}")).await;
        assert_eq!(done.status().as_u16(), 303, "{step}");
    }
    let page = app.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(
        page.contains("unblocked and can sign in again, but is still suspended in this workspace"),
        "{page}"
    );
    assert_eq!(status_of(&app, GRACE), "suspended");
}

/// Unsuspending someone whose account is blocked does not read as if they could come back.
#[actix_web::test]
async fn unsuspending_someone_blocked_says_they_still_cannot_sign_in() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Suspended);
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'grace.hopper@example.com'");
    let id = membership_of(&app, GRACE);
    let done = post(&app, &format!("/w/acme/users/{id}/unsuspend")).await;
    assert_eq!(done.status().as_u16(), 303);
    let page = app.get_text(&location(&done)).await;
    assert!(
        page.contains("is unsuspended here, but their account is still blocked"),
        "{page}"
    );
    assert!(!page.contains("is active again"));
}

/// The heir picker offers eight people; past them it says more match.
#[actix_web::test]
async fn the_heir_picker_says_when_more_people_match_than_it_offers() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = give_things(&app, GRACE);
    let few = app
        .get_text(&format!("/w/acme/users/{grace}/remove/picker"))
        .await;
    assert!(!few.contains("More active members match"), "{few}");
    app.seed_members(12);
    let many = app
        .get_text(&format!("/w/acme/users/{grace}/remove/picker"))
        .await;
    assert_eq!(
        many.matches("name=\"reassign_to\"").count(),
        9,
        "unassigned and eight people: {many}"
    );
    assert!(
        many.contains("More active members match: type more"),
        "{many}"
    );
}
