//! HTTP tests of suspending and unsuspending members (issue 5) on each backend: the confirmation,
//! the rules (oneself, Owners, the last Owner, states that do not allow it), the effect on a live
//! session, seats and data kept, one audit event per action, and the list's row actions.

mod common;

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use common::*;

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

#[actix_web::test]
async fn the_last_active_owner_cannot_be_suspended() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(
        "second.owner@example.com",
        BuiltInRole::Owner,
        MembershipStatus::Active,
    );
    let (ada, second) = (
        membership_of(&app, OWNER_EMAIL),
        membership_of(&app, "second.owner@example.com"),
    );
    // An org admin acts as an Owner here without a membership of their own.
    app.add_member(
        "org.admin@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(
        "UPDATE accounts SET org_role = 'admin' WHERE email = 'org.admin@example.com';
         DELETE FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'org.admin@example.com');",
    );
    let org_admin = app.new_client();
    org_admin
        .sign_in("org.admin@example.com", OWNER_PASSWORD)
        .await;
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
    assert!(list.contains(&format!("/w/acme/users/{id}/suspend?from=list")));

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
    assert!(list.contains(&format!("/w/acme/users/{id}/unsuspend?from=list")));
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
        403,
        "blocked already"
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
    // is always another active one).
    app.execute("UPDATE accounts SET org_role = 'owner' WHERE email = 'grace.hopper@example.com'");
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
