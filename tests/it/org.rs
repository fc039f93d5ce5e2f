//! HTTP tests of the organization's accounts page (issue 5) on each backend: every account with its
//! workspaces and roles, search, block and unblock, and who may use it.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

#[actix_web::test]
async fn org_owners_see_search_block_and_unblock_accounts() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Suspended,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.invite("ivy.invited@example.com", "member").await;
    let page = app.get_text("/org/accounts").await;
    assert!(
        page.contains("grace.hopper@example.com") && page.contains("Acme HQ (Admin, suspended)")
    );
    // Someone invited who has joined nowhere yet is not shown as an active account.
    assert_eq!(
        page.matches("badge badge-invited\">Invited<").count(),
        1,
        "{page}"
    );
    assert!(page.contains("alan.turing@example.com") && page.contains("Acme HQ (Member)"));
    // Each workspace leads to the person's page there.
    let alans = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts \
         WHERE email = 'alan.turing@example.com')",
    );
    assert!(
        page.contains(&format!(
            "<a href=\"/w/acme/users/{alans}\">Acme HQ (Member)</a>"
        )),
        "{page}"
    );
    assert!(
        page.contains("href=\"/org/accounts\""),
        "linked from the header"
    );
    let searched = app.get_text("/org/accounts?q=TURING").await;
    assert!(
        searched.contains("alan.turing@example.com")
            && !searched.contains("grace.hopper@example.com")
    );
    assert!(
        app.get_text("/org/accounts?q=nobody")
            .await
            .contains("No account matches")
    );

    let alan = app.first_id("accounts WHERE email = 'alan.turing@example.com'");
    let ada = app.first_id("accounts WHERE email = 'ada@example.com'");
    assert!(page.contains(&format!("/org/accounts/{alan}/block")));
    assert!(
        !page.contains(&format!("/org/accounts/{ada}/block")),
        "not oneself"
    );
    let confirm = app.get_text(&format!("/org/accounts/{alan}/block")).await;
    assert!(confirm.contains("can no longer sign in anywhere"));
    // Someone invited without a name is their address, said once.
    assert_eq!(
        app.invite("nameless@example.com", "member").await.status(),
        303
    );
    let nameless = app.first_id("accounts WHERE email = 'nameless@example.com'");
    let confirm = app
        .get_text(&format!("/org/accounts/{nameless}/block"))
        .await;
    assert!(
        confirm.contains("nameless@example.com can no longer sign in anywhere"),
        "{confirm}"
    );

    let alans_browser = app.new_client();
    alans_browser
        .sign_in("alan.turing@example.com", OWNER_PASSWORD)
        .await;
    let csrf = app.csrf_token("/me").await;
    let done = app
        .post_form(
            &format!("/org/accounts/{alan}/block"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert!(app.get_text("/org/accounts").await.contains("is blocked"));
    assert!(location(&alans_browser.get("/me").await).starts_with("/login"));
    let own = app
        .post_form(
            &format!("/org/accounts/{ada}/block"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(own.status().as_u16(), 403);
    let back = app
        .post_form(
            &format!("/org/accounts/{alan}/unblock"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(
        app.count("audit_events WHERE action IN ('account.blocked', 'account.unblocked')"),
        2
    );
}

#[actix_web::test]
async fn workspace_admins_are_not_org_admins() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(grace.get("/org/accounts").await.status().as_u16(), 403);
    let ada = app.first_id("accounts WHERE email = 'ada@example.com'");
    let csrf = grace.csrf_token("/me").await;
    let refused = grace
        .post_form(
            &format!("/org/accounts/{ada}/block"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        !grace
            .get_text("/me")
            .await
            .contains("href=\"/org/accounts\"")
    );
}

#[actix_web::test]
async fn org_owners_create_workspaces_and_see_their_seats() {
    let app = spawn_app().await;
    app.set_up().await;
    let page = app.get_text("/org/workspaces").await;
    assert!(page.contains("Acme HQ") && page.contains("1 of 10"));
    let csrf = app.csrf_token("/me").await;
    let create = |name: &'static str, slug: &'static str| {
        let (app, csrf) = (&app, csrf.clone());
        async move {
            app.post_form(
                "/org/workspaces",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("name", name),
                    ("slug", slug),
                ],
            )
            .await
        }
    };
    for (name, slug, field, message) in [
        ("", "", "name", "name-error"),
        ("Labs", "Not A Slug!", "slug", "slug-error"),
        ("Clash", "acme", "slug", "This URL name is taken"),
        // What is wrong is said: one letter makes too short a URL name, two hyphens in a row.
        ("X", "", "slug", "Enter a URL name of 2 to 40 characters"),
        ("Labs", "la--bs", "slug", "single hyphens"),
    ] {
        let refused = create(name, slug).await;
        assert_eq!(refused.status().as_u16(), 422, "{field}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
    }
    let created = create("Research Labs", "").await;
    assert_eq!(created.status().as_u16(), 303);
    assert_eq!(location(&created), "/w/research-labs/users");
    let list = app.get_text("/w/research-labs/users").await;
    assert!(list.contains("Workspace /w/research-labs created"));
    assert!(
        list.contains("Free plan: 1 of 10 seats used"),
        "the creator is its Owner"
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'workspace.created' AND changes LIKE '%\"plan\":\"Free\"%'"
        ),
        1,
        "the plan in the settings page's words, as a plan change says it"
    );
    assert!(
        app.get_text("/org/workspaces")
            .await
            .contains("Research Labs")
    );
    // The same name again, URL name left empty: the one suggested is taken, and shown so.
    let again = create("Research Labs", "").await;
    assert_eq!(again.status().as_u16(), 422);
    let html = again.text().await.unwrap();
    assert!(
        html.contains("value=\"research-labs\"") && html.contains("This URL name is taken"),
        "{html}"
    );
    // Listed by name whatever the case.
    let made = create("alpha", "").await;
    assert_eq!(made.status().as_u16(), 303);
    let page = app.get_text("/org/workspaces").await;
    let at = |name: &str| page.find(&format!(">{name}<")).expect(name);
    assert!(
        at("Acme HQ") < at("alpha") && at("alpha") < at("Research Labs"),
        "{page}"
    );

    // A deleted workspace's id is never given again: its audit events, which are kept, would
    // show in the new one (SQLite hands the highest id out again).
    let labs = app.first_id("workspaces WHERE slug = 'research-labs'");
    let deleted = app
        .post_fields(
            "/w/research-labs/settings/delete",
            &[("confirm", "research-labs")],
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    let again = create("Gamma", "").await;
    assert_eq!(again.status().as_u16(), 303);
    assert!(app.first_id("workspaces WHERE slug = 'gamma'") > labs);
    let log = app.get_text("/w/gamma/audit").await;
    assert!(!log.contains("research-labs"), "{log}");
}

#[actix_web::test]
async fn org_roles_change_with_the_rules() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let (ada, grace) = (
        app.first_id("accounts WHERE email = 'ada@example.com'"),
        app.first_id("accounts WHERE email = 'grace.hopper@example.com'"),
    );
    let csrf = app.csrf_token("/me").await;
    let change = |id: i64, role: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            app.post_form(
                &format!("/org/accounts/{id}/org-role"),
                &[("csrf_token", csrf.as_str()), ("org_role", role)],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(change(grace, "admin").await, 303);
    assert_eq!(
        app.count("accounts WHERE email = 'grace.hopper@example.com' AND org_role = 'admin'"),
        1
    );
    assert_eq!(
        change(ada, "member").await,
        403,
        "not one's own, and the last org owner"
    );
    assert_eq!(change(grace, "emperor").await, 422);
    // Someone invited who has not chosen a password yet is given no org role: whoever opens
    // their link would administer the organization, and could be left its only "owner".
    app.invite("new.person@example.com", "member").await;
    let invitee = app.first_id("accounts WHERE email = 'new.person@example.com'");
    assert_eq!(change(invitee, "owner").await, 403);
    assert_eq!(change(invitee, "admin").await, 403);
    assert_eq!(
        app.count("accounts WHERE email = 'new.person@example.com' AND org_role = 'member'"),
        1
    );
    let page = app.get_text("/org/accounts").await;
    let start = page
        .find("<tr data-email=\"new.person@example.com\">")
        .expect("the invitee's row");
    let line = &page[start..start + page[start..].find("</tr>").unwrap()];
    assert!(!line.contains("<select"), "no org role offered: {line}");
    // An org admin cannot make anyone an org owner.
    let admin = app.new_client();
    admin
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let admin_csrf = admin.csrf_token("/me").await;
    let refused = admin
        .post_form(
            &format!("/org/accounts/{grace}/org-role"),
            &[("csrf_token", admin_csrf.as_str()), ("org_role", "owner")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    // The same for what would change nothing: Ada is an org owner already; Grace's own role.
    for (id, role) in [(ada, "owner"), (grace, "admin")] {
        let refused = admin
            .post_form(
                &format!("/org/accounts/{id}/org-role"),
                &[("csrf_token", admin_csrf.as_str()), ("org_role", role)],
            )
            .await;
        assert_eq!(refused.status().as_u16(), 403, "{id} {role}");
    }
    // Allowed and changing nothing: said as such, not as a change.
    let same = app
        .post_form(
            &format!("/org/accounts/{grace}/org-role"),
            &[("csrf_token", csrf.as_str()), ("org_role", "admin")],
        )
        .await;
    assert_eq!(same.status().as_u16(), 303);
    let said = app.get_text("/org/accounts").await;
    assert!(
        said.contains("is org admin already: nothing changed."),
        "{said}"
    );
    assert_eq!(
        app.count("audit_events WHERE action = 'account.org_role_changed'"),
        1
    );

    // The accounts page offers the org admin exactly what those POSTs would allow.
    app.add_member(
        "edsger.dijkstra@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let page = admin.get_text("/org/accounts").await;
    let row = |email: &str| {
        let start = page
            .find(&format!("<tr data-email=\"{email}\">"))
            .expect(email);
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    let edsger = row("edsger.dijkstra@example.com");
    assert!(
        edsger.contains(">Org member</option>")
            && edsger.contains(">Org admin</option>")
            && !edsger.contains("Org owner</option>"),
        "an org admin gives no one the org owner role: {edsger}"
    );
    assert!(edsger.contains("aria-label=\"Block "), "{edsger}");
    for (email, why) in [
        (
            "ada@example.com",
            "an org owner is an org owner's to act on",
        ),
        ("grace.hopper@example.com", "not oneself"),
    ] {
        let line = row(email);
        assert!(
            !line.contains("<select") && !line.contains("Block "),
            "{why}: {line}"
        );
    }
}

#[actix_web::test]
async fn blocking_from_the_dialog_reloads_the_page_with_htmx() {
    let app = spawn_with_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let alan = app.first_id("accounts WHERE email = 'alan.turing@example.com'");
    let csrf = app.csrf_token("/me").await;
    let done = app
        .client
        .post(app.url(&format!("/org/accounts/{alan}/block")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    assert_eq!(done.headers()["hx-redirect"], "/org/accounts");
    assert!(app.get_text("/org/accounts").await.contains("is blocked"));
    // Back to the page, search and place it was done from; never to another page or site.
    for (i, (from, back)) in [
        (
            app.url("/org/accounts?q=alan&after=a%40example.com#x"),
            "/org/accounts?q=alan&after=a%40example.com",
        ),
        ("/org/accounts?q=alan".to_owned(), "/org/accounts?q=alan"),
        (
            "https://elsewhere.example/org/accounts".to_owned(),
            "/org/accounts",
        ),
        (app.url("/w/acme/users?q=alan"), "/org/accounts"),
        (
            "//elsewhere.example/org/accounts?q=1".to_owned(),
            "/org/accounts",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        // Alan is blocked: unblocked, blocked again, and so on.
        let action = if i % 2 == 0 { "unblock" } else { "block" };
        let done = app
            .client
            .post(app.url(&format!("/org/accounts/{alan}/{action}")))
            .header("HX-Request", "true")
            .header("HX-Current-URL", from.as_str())
            .header("X-CSRF-Token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(done.headers()["hx-redirect"], back, "{from}");
    }
}

/// The address of a page's `rel` link ("next", "prev"), if it has one.
fn pager_link(html: &str, rel: &str) -> Option<String> {
    html.split(&format!("rel=\"{rel}\" href=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|url| url.replace("&amp;", "&").replace("&#38;", "&"))
}

/// Every account's email on its pages (`data-email` rows), following "Next" to the end; then
/// "Previous" from the last page back to the first, which must show the same pages.
async fn org_pages(app: &TestApp, first: &str) -> Vec<String> {
    let rows = |html: &str| -> Vec<String> {
        html.split("<tr data-email=\"")
            .skip(1)
            .map(|chunk| chunk.split('"').next().unwrap_or_default().to_owned())
            .collect()
    };
    let mut pages = Vec::new();
    let mut at = first.to_owned();
    loop {
        let html = app.get_text(&at).await;
        assert_eq!(
            pager_link(&html, "prev").is_some(),
            !pages.is_empty(),
            "only a later page leads back: {at}"
        );
        pages.push(rows(&html));
        assert!(pages.len() < 100, "the pages end");
        match pager_link(&html, "next") {
            Some(next) => at = next,
            None => break,
        }
    }
    let mut back = vec![pages.last().cloned().unwrap_or_default()];
    while let Some(prev) = pager_link(&app.get_text(&at).await, "prev") {
        let html = app.get_text(&prev).await;
        assert!(pager_link(&html, "next").is_some(), "{prev} leads on");
        back.push(rows(&html));
        assert!(back.len() <= pages.len(), "the way back ends");
        at = prev;
    }
    back.reverse();
    assert_eq!(back, pages, "Previous shows the pages Next showed");
    pages.concat()
}

/// The accounts page walks the email index in pages of 50, and a search of three letters or more
/// starts from the search index's matches: every page in email order, nothing missed or repeated.
#[actix_web::test]
async fn org_accounts_page_by_email_with_and_without_a_search() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(300);
    let emails = |condition: &str| -> Vec<String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            email: String,
        }
        diesel::sql_query(format!(
            "SELECT email FROM accounts WHERE {condition} ORDER BY email"
        ))
        .load::<Row>(&mut *app.conn())
        .unwrap()
        .into_iter()
        .map(|r| r.email)
        .collect()
    };
    let everyone = emails("1 = 1");
    assert!(everyone.len() > 300);
    assert_eq!(org_pages(&app, "/org/accounts").await, everyone);
    let like = |term: &str| {
        format!("lower(email || ' ' || first_name || ' ' || last_name) LIKE '%{term}%'")
    };
    // Through the search index, case-insensitively, over names and emails.
    let lovelace = emails(&like("lovelace"));
    assert!(lovelace.len() > 5);
    assert_eq!(org_pages(&app, "/org/accounts?q=LoveLace").await, lovelace);
    // Two letters: no trigram, the email index walked with the test.
    let two = emails(&like("er"));
    assert!(two.len() > 50, "more than a page");
    assert_eq!(org_pages(&app, "/org/accounts?q=er").await, two);
    // Links carry no empty search; a page past either end says so and leads to the first page.
    let first = app.get_text("/org/accounts").await;
    assert!(
        pager_link(&first, "next").is_some_and(|url| url.starts_with("/org/accounts?after=")),
        "{first}"
    );
    for (past, first) in [
        ("/org/accounts?after=zzzz%40example.com", "/org/accounts"),
        ("/org/accounts?before=a", "/org/accounts"),
        ("/org/accounts?q=er&after=zzzz", "/org/accounts?q=er"),
    ] {
        let page = app.get_text(past).await;
        assert!(
            page.contains("No more accounts")
                && page.contains(&format!("href=\"{first}\" hx-get=\"{first}\""))
                && page.contains("Back to the first page"),
            "{past}: {page}"
        );
    }
}

/// The organization's name (which heads every page and names it in emails) is the org owners' to
/// change, from the organization's Workspaces page.
#[actix_web::test]
async fn org_owners_rename_the_organization() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    let page = app.get_text("/org/workspaces").await;
    assert!(page.contains("value=\"Acme Corporation\"") && page.contains("action=\"/org/name\""));
    let csrf = app.csrf_token("/org/workspaces").await;
    let empty = app
        .post_form(
            "/org/name",
            &[("csrf_token", csrf.as_str()), ("org_name", " ")],
        )
        .await;
    assert_eq!(empty.status().as_u16(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("id=\"org_name-error\"")
    );
    let renamed = app
        .post_form(
            "/org/name",
            &[("csrf_token", csrf.as_str()), ("org_name", "Acme Holdings")],
        )
        .await;
    assert_eq!(location(&renamed), "/org/workspaces");
    let page = app.get_text("/org/workspaces").await;
    assert!(page.contains("The organization is now called Acme Holdings."));
    assert!(page.contains("<title>Workspaces · Acme Holdings</title>"));
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'organization.renamed' AND workspace_id IS NULL \
             AND changes LIKE '%Acme Corporation%'"
        ),
        1
    );
    assert!(
        app.get_text("/org/audit")
            .await
            .contains("renamed the organization to Acme Holdings")
    );

    // An org admin runs the organization but does not rename it (nor sees the form).
    app.execute("UPDATE accounts SET org_role = 'admin' WHERE email = 'grace.hopper@example.com'");
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert!(
        !grace
            .get_text("/org/workspaces")
            .await
            .contains("/org/name")
    );
    let csrf = grace.csrf_token("/org/workspaces").await;
    let refused = grace
        .post_form(
            "/org/name",
            &[("csrf_token", csrf.as_str()), ("org_name", "Grace Inc")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        app.count("audit_events WHERE action = 'organization.renamed'"),
        1
    );
}
