//! HTTP tests of issue 14's rules beyond the route matrix, on each backend: an address shared with
//! other workspaces changes only by org owners and org admins; org admins count as holding every
//! permission; a removed member is restored before anything else; a role that opens no page of the
//! console lands where Members do.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

const GRACE: &str = "grace.hopper@example.com";
const ALAN: &str = "alan.turing@example.com";
const PENDING: &str = "pending@example.com";

/// Ada (org owner) makes /w/labs and invites Grace there; Grace accepts with her own password.
async fn grace_also_in_labs(app: &TestApp) {
    app.invite_to_new_workspace("labs", GRACE).await;
    let token = app.token_for(GRACE);
    let grace = app.new_client();
    let page = grace.get_text(&format!("/invite/{token}")).await;
    let accepted = grace
        .post_form(
            &format!("/invite/{token}"),
            &[
                ("csrf_token", csrf_in(&page).as_str()),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 303);
}

fn profile<'a>(email: &'a str, first: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("first_name", first),
        ("last_name", "Hopper"),
        ("email", email),
        ("timezone", "UTC"),
    ]
}

#[actix_web::test]
async fn an_account_shared_with_another_workspace_is_changed_whole_only_by_org_admins() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Admin, MembershipStatus::Active);
    grace_also_in_labs(&app).await;
    let grace = app.membership_of(GRACE);
    let console = format!("/w/acme/users/{grace}");
    let alan = app.new_client();
    alan.sign_in(ALAN, OWNER_PASSWORD).await;

    // The workspace Admin does not reach into /w/labs: no profile form, the reason instead, and
    // the profile, the address and her sessions everywhere are refused.
    let page = alan.get_text(&console).await;
    assert!(!page.contains("Save profile"));
    assert!(page.contains(
        "also belongs to other workspaces (or administers the organization): only an org owner \
         or org admin can edit their profile"
    ));
    for (path, fields) in [
        (
            format!("{console}/profile"),
            profile("grace@navy.example.org", "Grace"),
        ),
        (format!("{console}/profile"), profile(GRACE, "Renamed")),
        (format!("{console}/sessions/end-all"), vec![]),
    ] {
        let refused = alan.post_fields(&path, &fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }
    assert_eq!(app.count("account_tokens"), 0, "no link was sent");
    assert_eq!(app.count("accounts WHERE first_name = 'Renamed'"), 0);
    // What is /w/acme's stays its Admin's: her membership here.
    let suspended = alan.post_fields(&format!("{console}/suspend"), &[]).await;
    assert_eq!(suspended.status().as_u16(), 303);

    // Ada, the org owner, may change the address: a confirmation link goes to the new one.
    let asked = app
        .post_fields(
            &format!("{console}/profile"),
            &profile("grace@navy.example.org", "Grace"),
        )
        .await;
    assert_eq!(asked.status().as_u16(), 303);
    assert_eq!(app.count("account_tokens"), 1);
}

#[actix_web::test]
async fn a_change_asked_by_a_workspace_admin_is_judged_again_when_confirmed() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Admin, MembershipStatus::Active);
    let grace = app.membership_of(GRACE);
    let alan = app.new_client();
    alan.sign_in(ALAN, OWNER_PASSWORD).await;
    // Grace belongs to /w/acme only: its Admin may ask for a new address…
    let asked = alan
        .post_fields(
            &format!("/w/acme/users/{grace}/profile"),
            &profile("grace@navy.example.org", "grace"),
        )
        .await;
    assert_eq!(asked.status().as_u16(), 303);
    let body = app.count("account_tokens WHERE used_at IS NULL");
    assert_eq!(body, 1);
    // …but she joins /w/labs before the link is opened: the change no longer goes through.
    grace_also_in_labs(&app).await;
    assert_confirmation_refused(&app, "grace@navy.example.org").await;
    assert_eq!(app.count(&format!("accounts WHERE email = '{GRACE}'")), 1);
}

/// Opens the newest confirmation link sent to `address` in a browser of its own and presses the
/// button: refused (403, nothing changed).
async fn assert_confirmation_refused(app: &TestApp, address: &str) {
    let body = app.last_email(address, "Confirm your new email address");
    let start = body.find("/email-change/").expect("a confirmation link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();
    let browser = app.new_client();
    let page = browser.get_text(&link).await;
    let refused = browser
        .post_form(&link, &[("csrf_token", csrf_in(&page).as_str())])
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(refused.text().await.unwrap().contains("Nothing changed"));
    assert_eq!(app.count(&format!("accounts WHERE email = '{address}'")), 0);
}

#[actix_web::test]
async fn a_change_an_admin_asked_for_dies_once_the_member_outranks_them_or_they_leave() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Admin, MembershipStatus::Active);
    let erin = "erin.member@example.com";
    app.add_member(erin, BuiltInRole::Member, MembershipStatus::Active);
    let (grace, erin, alan_id) = (
        app.membership_of(GRACE),
        app.membership_of(erin),
        app.membership_of(ALAN),
    );
    let alan = app.new_client();
    alan.sign_in(ALAN, OWNER_PASSWORD).await;
    // Alan asks for addresses whose mailboxes he reads…
    for (id, to) in [
        (grace, "alan.reads@example.org"),
        (erin, "alan.too@example.org"),
    ] {
        let asked = alan
            .post_fields(
                &format!("/w/acme/users/{id}/profile"),
                &profile(to, "Someone"),
            )
            .await;
        assert_eq!(asked.status().as_u16(), 303);
    }
    // …Grace becomes an Owner before he confirms: an Admin may not change an Owner's address.
    let promoted = app
        .post_fields(&format!("/w/acme/users/{grace}/role"), &[("role", "owner")])
        .await;
    assert_eq!(promoted.status().as_u16(), 303);
    assert_confirmation_refused(&app, "alan.reads@example.org").await;
    // …and Alan is removed before he confirms Erin's: he may change nothing any more.
    let removed = app
        .post_fields(&format!("/w/acme/users/{alan_id}/remove"), &[])
        .await;
    assert_eq!(removed.status().as_u16(), 303);
    assert_confirmation_refused(&app, "alan.too@example.org").await;
    assert_eq!(
        app.count("accounts WHERE email LIKE 'alan.%@example.org'"),
        0
    );
}

#[actix_web::test]
async fn org_admins_count_as_holding_every_permission() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Admin, MembershipStatus::Active);
    let grace_account = app.first_id(&format!("accounts WHERE email = '{GRACE}'"));
    let made = app
        .post_fields(
            &format!("/org/accounts/{grace_account}/org-role"),
            &[("org_role", "admin")],
        )
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let grace = app.membership_of(GRACE);
    let alan = app.new_client();
    alan.sign_in(ALAN, OWNER_PASSWORD).await;

    // Her Member role in /w/acme is no shield: she acts as an Owner there, so only org owners
    // and org admins act on her; the console says why instead of offering it.
    let page = alan.get_text(&format!("/w/acme/users/{grace}")).await;
    assert!(page.contains("Only org owners and org admins can"));
    assert!(!page.contains(&format!("/w/acme/users/{grace}/suspend")));
    let refused = alan
        .post_fields(&format!("/w/acme/users/{grace}/suspend"), &[])
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {grace} AND status = 'active'"
        )),
        1
    );

    // An org admin does not reach the org owner: not her address, not her membership.
    let as_grace = app.new_client();
    as_grace.sign_in(GRACE, OWNER_PASSWORD).await;
    let ada = app.membership_of(OWNER_EMAIL);
    let profile_of_ada = [
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", "attacker@example.org"),
        ("timezone", "UTC"),
    ];
    for (path, fields) in [
        (format!("/w/acme/users/{ada}/profile"), &profile_of_ada[..]),
        (format!("/w/acme/users/{ada}/suspend"), &[][..]),
        (format!("/w/acme/users/{ada}/sessions/end-all"), &[][..]),
    ] {
        let refused = as_grace.post_fields(&path, fields).await;
        assert_eq!(refused.status().as_u16(), 403, "{path}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("Only an org owner can"),
            "{path}"
        );
    }
    assert_eq!(app.count("account_tokens"), 0);

    // The org owner may (a suspension in a workspace binds everyone).
    let suspended = app
        .post_fields(&format!("/w/acme/users/{grace}/suspend"), &[])
        .await;
    assert_eq!(suspended.status().as_u16(), 303);
}

#[actix_web::test]
async fn a_removed_member_is_restored_before_anything_else() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = app.membership_of(GRACE);
    let console = format!("/w/acme/users/{grace}");
    let removed = app
        .post_fields(&format!("{console}/remove"), &[("reassign_to", "")])
        .await;
    assert_eq!(removed.status().as_u16(), 303);
    let page = app.get_text(&console).await;
    assert!(!page.contains("Save profile") && page.contains("Restore"));
    for (path, fields) in [
        (format!("{console}/profile"), profile(GRACE, "Renamed")),
        (format!("{console}/role"), vec![("role", "admin")]),
        (format!("{console}/sessions/end-all"), vec![]),
    ] {
        let refused = app.post_fields(&path, &fields).await;
        assert_eq!(refused.status().as_u16(), 409, "{path}");
        assert!(refused.text().await.unwrap().contains("restore"), "{path}");
    }
    assert_eq!(app.count("accounts WHERE first_name = 'Renamed'"), 0);
}

#[actix_web::test]
async fn a_role_that_opens_no_page_lands_on_the_profile_and_its_forms_are_refused() {
    let app = spawn_app().await;
    app.set_up().await;
    let created = app
        .post_fields(
            "/w/acme/roles",
            &[("name", "Suspender"), ("permission", "users.suspend")],
        )
        .await;
    assert_eq!(created.status().as_u16(), 303);
    let role = app.first_id("roles WHERE workspace_id IS NOT NULL AND name = 'Suspender'");
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Member, MembershipStatus::Active);
    let (grace, alan) = (app.membership_of(GRACE), app.membership_of(ALAN));
    let given = app
        .post_fields(
            &format!("/w/acme/users/{alan}/role"),
            &[("role", role.to_string().as_str())],
        )
        .await;
    assert_eq!(given.status().as_u16(), 303);

    let suspender = app.new_client();
    let signed_in = suspender.sign_in(ALAN, OWNER_PASSWORD).await;
    assert_eq!(location(&signed_in), "/me");
    assert_eq!(location(&suspender.get("/w/acme/users").await), "/me");
    // Nor does the header's workspace switcher offer a workspace that opens no page to them.
    let me = suspender.get_text("/me").await;
    assert!(
        !me.contains("href=\"/w/acme/users\"") && !me.contains("class=\"switcher\""),
        "{me}"
    );
    let refused = suspender
        .post_fields(&format!("/w/acme/users/{grace}/suspend"), &[])
        .await;
    assert_eq!(
        refused.status().as_u16(),
        403,
        "a form is refused, not redirected"
    );
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {grace} AND status = 'active'"
        )),
        1
    );
}

#[actix_web::test]
async fn a_change_asked_in_a_deleted_workspace_goes_with_it() {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    let grace = app.membership_of(GRACE);
    let asked = app
        .post_fields(
            &format!("/w/acme/users/{grace}/profile"),
            &profile("grace@navy.example.org", "grace"),
        )
        .await;
    assert_eq!(asked.status().as_u16(), 303);
    assert_eq!(
        app.count("account_tokens WHERE requested_in IS NOT NULL"),
        1
    );
    let deleted = app
        .post_fields("/w/acme/settings/delete", &[("confirm", "acme")])
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert_eq!(
        app.count("account_tokens"),
        0,
        "no link judged in a reused id"
    );
}

/// A request let in before its sender was demoted is judged, inside its transaction, by what
/// they hold by then: the permissions it arrived with do not outlive the demotion.
#[actix_web::test]
async fn a_change_is_judged_by_what_its_sender_holds_when_it_is_made() {
    use admin_console::domain::Name;
    use admin_console::domain::access::AppKind;
    use admin_console::domain::ids::{AccountId, MembershipId, WorkspaceId};
    use admin_console::domain::invitation::parse_address_list;
    use admin_console::domain::membership::OrgRole;
    use admin_console::services::apps;
    use admin_console::services::console::{self, Acting, ConsoleError};
    use admin_console::services::groups::{self, GroupError};
    use admin_console::services::invitations::{self, InvitationActionError, InviteError};
    use admin_console::services::roles::{Definer, RoleDraft, RoleError};
    use admin_console::store::audit::Actor;
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(GRACE, BuiltInRole::Member, MembershipStatus::Active);
    app.add_member(ALAN, BuiltInRole::Admin, MembershipStatus::Active);
    assert_eq!(app.invite(PENDING, "member").await.status().as_u16(), 303);
    let invitation = app.first_id("invitations");
    let alan = AccountId(app.first_id(&format!("accounts WHERE email = '{ALAN}'")));
    let (workspace, grace) = (
        WorkspaceId(app.first_id("workspaces")),
        MembershipId(app.membership_of(GRACE)),
    );
    // Let in as an Admin; demoted to Member before the change is made.
    app.execute(&format!(
        "UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'member') \
         WHERE account_id = {}",
        alan.0
    ));
    let actor = Actor {
        account_id: Some(alan),
        label: "Alan Turing".to_owned(),
        address: Some(ALAN.to_owned()),
        ip: None,
    };
    let acting = Acting {
        actor: &actor,
        account: Some(alan),
        permissions: BuiltInRole::Admin.permissions(),
        org_role: OrgRole::Member,
    };
    let now = chrono::Utc::now().naive_utc();
    let suspended = console::suspend(&mut app.conn(), &acting, workspace, grace, true, None, now);
    assert!(
        matches!(suspended, Err(ConsoleError::Refused(_))),
        "{suspended:?}"
    );
    let promoted = console::change_role(&mut app.conn(), &acting, workspace, grace, "auditor", now);
    assert!(
        matches!(promoted, Err(ConsoleError::Refused(_))),
        "{promoted:?}"
    );
    assert_eq!(
        app.count(&format!(
            "memberships WHERE id = {} AND status = 'active'",
            grace.0
        )),
        1
    );
    let definer = Definer {
        actor: actor.clone(),
        permissions: BuiltInRole::Admin.permissions(),
        role: None,
    };
    let draft = RoleDraft {
        name: admin_console::domain::custom_role::RoleName::parse("Late").unwrap(),
        description: Default::default(),
        permissions: [admin_console::domain::role::Permission::UsersView]
            .into_iter()
            .collect(),
    };
    let made =
        admin_console::services::roles::create(&mut app.conn(), &definer, workspace, &draft, now);
    assert!(matches!(made, Err(RoleError::Permissions(_))), "{made:?}");
    assert_eq!(app.count("roles WHERE name = 'Late'"), 0);

    // Groups, apps and invitations, whose forms let him in as an Admin too.
    let late = Name::parse("Late").unwrap();
    let group = groups::create(
        &mut app.conn(),
        &actor,
        workspace,
        &late,
        &Default::default(),
        now,
    );
    assert!(
        matches!(&group, Err(GroupError::Refused(why)) if why.contains("groups.manage")),
        "{group:?}"
    );
    let input = apps::AppInput {
        kind: AppKind::App,
        name: late.clone(),
        owner: None,
        keep_owner: false,
        restricted: false,
    };
    let made_app = apps::create(&mut app.conn(), &actor, workspace, &input, now);
    assert!(
        matches!(made_app, Err(apps::ChangeError::Refused(_))),
        "{made_app:?}"
    );
    let inviter = invitations::Inviter {
        actor: &actor,
        permissions: BuiltInRole::Admin.permissions(),
    };
    let request = invitations::InviteRequest {
        workspace,
        addresses: parse_address_list("late@example.com"),
        role: "member".to_owned(),
        group_ids: vec![],
        app_ids: vec![],
    };
    let settings = invitations::InviteSettings {
        base_url: app.url(""),
        ttl_days: 7,
    };
    let invited = invitations::invite_members(&mut app.conn(), &inviter, &request, &settings, now);
    assert!(
        matches!(&invited, Err(InviteError::Invalid(p)) if p.emails.as_deref().is_some_and(|e| e.contains("users.invite"))),
        "{invited:?}"
    );
    let revoked = invitations::revoke(&mut app.conn(), &inviter, workspace, invitation, now);
    assert!(
        matches!(revoked, Err(InvitationActionError::Forbidden(_))),
        "{revoked:?}"
    );
    assert_eq!(app.count("groups") + app.count("apps"), 0);
    assert_eq!(app.count("accounts WHERE email = 'late@example.com'"), 0);
    assert_eq!(
        app.count(&format!("invitations WHERE id = {invitation}")),
        1
    );

    // The workspace's settings (an Admin renames it; only an Owner deletes it).
    use admin_console::services::workspaces::{self, WorkspaceError};
    let renamed = workspaces::rename(&mut app.conn(), &actor, workspace, &late, now);
    assert!(
        matches!(&renamed, Err(WorkspaceError::Refused(why)) if why.contains("settings.manage")),
        "{renamed:?}"
    );
    assert_eq!(app.count("workspaces WHERE name = 'Late'"), 0);
    let org = workspaces::rename_organization(&mut app.conn(), &actor, &late, now);
    assert!(
        matches!(&org, Err(WorkspaceError::Refused(why)) if why.contains("org owners")),
        "{org:?}"
    );
    // Alan's demotion took api_keys.manage: a key form sent before it makes no key.
    use admin_console::services::api_keys::{self, ApiKeyError, NewKeyInput};
    let key = NewKeyInput {
        name: late.clone(),
        scopes: [admin_console::domain::role::Permission::UsersView]
            .into_iter()
            .collect(),
        expires_at: None,
        form_mark: None,
    };
    let made_key = api_keys::create(&mut app.conn(), &actor, Some(alan), workspace, &key, now);
    assert!(
        matches!(&made_key, Err(ApiKeyError::Refused(why)) if why.contains("api_keys.manage")),
        "{:?}",
        made_key.err()
    );
    assert_eq!(app.count("api_keys"), 0);

    // The organization's roles: let in as an org admin, a member by the time it is done.
    let grace_account = AccountId(app.first_id(&format!("accounts WHERE email = '{GRACE}'")));
    let raised = admin_console::services::accounts::change_org_role(
        &mut app.conn(),
        &actor,
        OrgRole::Admin,
        grace_account,
        OrgRole::Admin,
        now,
    );
    assert!(
        matches!(
            raised,
            Err(admin_console::services::accounts::BlockError::Refused(_))
        ),
        "{raised:?}"
    );
    assert_eq!(app.count("accounts WHERE org_role = 'admin'"), 0);
}
