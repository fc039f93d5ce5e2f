//! HTTP tests of the CSV import (issue 18 §1) on each backend: every kind of row in the preview,
//! which writes nothing but itself; the problem rows as a CSV; the commit of exactly what was
//! previewed, all at once with its events; a fresh preview when the workspace changed meanwhile.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

async fn upload(app: &TestApp, file: &[u8]) -> reqwest::Response {
    let csrf = app.csrf_token("/me").await;
    let (content_type, body) = multipart_file(&csrf, "file", "people.csv", file);
    app.client
        .post(app.url("/w/acme/import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The preview's id, from its commit form.
fn preview_id(page: &str) -> String {
    let start = page
        .find("action=\"/w/acme/import/")
        .expect("a commit form")
        + 23;
    page[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

/// The outcome cell of the row whose email is `email`.
fn outcome_of<'a>(page: &'a str, email: &str) -> &'a str {
    let row = page.find(&format!("<td>{email}</td>")).expect(email);
    let end = page[row..].find("</tr>").unwrap() + row;
    &page[row..end]
}

#[actix_web::test]
async fn a_preview_says_what_each_row_does_and_the_commit_does_exactly_that() {
    let app = spawn_with_member(
        "member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "removed@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    app.add_member(
        "blocked@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'blocked@example.com'");
    // Blocked, and no member here: an inviter of this workspace is not told so.
    app.add_blocked_elsewhere("elsewhere@example.com");
    app.invite("invited@example.com", "member").await;
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Research', '', created_at, created_at FROM workspaces WHERE slug = 'acme'");
    let outbox_before = app.count("outbox_emails");

    // Semicolons, a BOM, headers in any case and order.
    let file = "\u{feff}Email;First_Name;last_name;role;groups\n\
                new.one@example.com;Ada;Byron;admin;research\n\
                new.two@example.com;;;;\n\
                member@example.com;;;;\n\
                invited@example.com;;;;\n\
                removed@example.com;;;;\n\
                blocked@example.com;;;;\n\
                elsewhere@example.com;;;;\n\
                not-an-address;;;;\n\
                new.three@example.com;;;pilot;\n\
                new.four@example.com;;;;Nowhere\n\
                NEW.ONE@example.com;;;;\n";
    let preview = upload(&app, file.as_bytes()).await;
    assert_eq!(preview.status().as_u16(), 200);
    let page = preview.text().await.unwrap();
    assert!(outcome_of(&page, "new.one@example.com").contains("Will be invited"));
    assert!(outcome_of(&page, "new.two@example.com").contains("Will be invited"));
    // Roles by their names, Member for none; an unknown one as written.
    assert!(outcome_of(&page, "new.one@example.com").contains("\"Role\">Admin</td>"));
    assert!(outcome_of(&page, "new.two@example.com").contains("\"Role\">Member</td>"));
    assert!(outcome_of(&page, "new.three@example.com").contains("\"Role\">pilot</td>"));
    assert!(outcome_of(&page, "member@example.com").contains("Already a member"));
    assert!(outcome_of(&page, "invited@example.com").contains("Already invited"));
    assert!(outcome_of(&page, "removed@example.com").contains("Restore from the list"));
    let invited = outcome_of(&page, "invited@example.com");
    assert!(
        invited.contains("q=invited%40example.com")
            && invited.contains("status=pending")
            && invited.contains("Resend from the list"),
        "{invited}"
    );
    assert!(outcome_of(&page, "blocked@example.com").contains("Blocked"));
    let elsewhere = outcome_of(&page, "elsewhere@example.com");
    assert!(
        elsewhere.contains("Cannot be invited")
            && elsewhere.contains("an org admin can say why")
            && !elsewhere.contains("Blocked"),
        "{elsewhere}"
    );
    assert!(outcome_of(&page, "not-an-address").contains("Invalid"));
    assert!(outcome_of(&page, "new.three@example.com").contains("unknown role"));
    assert!(outcome_of(&page, "new.four@example.com").contains("unknown group"));
    assert!(outcome_of(&page, "NEW.ONE@example.com").contains("Duplicate of line 2"));
    assert!(
        page.contains("Seats: 4 of 10 used now, 6 after the import."),
        "{page}"
    );
    // Nothing written but the kept preview.
    assert_eq!(app.count("accounts WHERE email LIKE 'new.%'"), 0);
    assert_eq!(app.count("outbox_emails"), outbox_before);
    assert_eq!(app.count("import_previews"), 1);

    // The problem rows, with why.
    let id = preview_id(&page);
    let csv = app
        .get_text(&format!("/w/acme/import/{id}/problems.csv"))
        .await;
    assert_eq!(csv.lines().count(), 10, "{csv}");
    assert!(csv.starts_with("line,email,first_name,last_name,role,groups,problem"));
    assert!(csv.contains("12,NEW.ONE@example.com,,,,,Duplicate of line 2"));

    let done = app.post_fields(&format!("/w/acme/import/{id}"), &[]).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/w/acme/users");
    assert_eq!(app.count("memberships WHERE status = 'invited'"), 3);
    assert_eq!(
        app.count("accounts WHERE email = 'new.one@example.com' AND first_name = 'Ada' AND last_name = 'Byron'"),
        1
    );
    assert_eq!(
        app.count("group_members gm JOIN memberships m ON m.id = gm.membership_id JOIN accounts a ON a.id = m.account_id WHERE a.email = 'new.one@example.com'"),
        0,
        "an invitation's groups are given when it is accepted"
    );
    assert_eq!(app.count("invitation_groups"), 1);
    assert_eq!(app.count("audit_events WHERE action = 'member.invited'"), 3);
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'users.imported' AND changes LIKE '%\"invited\":2%'"
        ),
        1
    );
    assert_eq!(app.count("outbox_emails"), outbox_before + 2);
    // The invitation's page starts with the names the file gave.
    let accept = app
        .new_client()
        .get_text(&format!("/invite/{}", app.token_for("new.one@example.com")))
        .await;
    assert!(
        accept.contains("value=\"Ada\"") && accept.contains("value=\"Byron\""),
        "{accept}"
    );
    // Used up: sent again (a double click), it says what may have become of it.
    let again = app.post_fields(&format!("/w/acme/import/{id}"), &[]).await;
    assert_eq!(again.status().as_u16(), 404);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("it was imported already (the users list shows who was invited)")
    );
}

#[actix_web::test]
async fn a_commit_after_the_workspace_changed_shows_a_fresh_preview_and_imports_nothing() {
    let app = spawn_app().await;
    app.set_up().await;
    let page = upload(&app, b"email\nfirst@example.com\nsecond@example.com\n")
        .await
        .text()
        .await
        .unwrap();
    let id = preview_id(&page);
    // Meanwhile someone invites one of them.
    app.invite("second@example.com", "member").await;
    let changed = app.post_fields(&format!("/w/acme/import/{id}"), &[]).await;
    assert_eq!(changed.status().as_u16(), 409);
    let fresh = changed.text().await.unwrap();
    assert!(fresh.contains("The workspace changed since that preview"));
    assert!(outcome_of(&fresh, "second@example.com").contains("Already invited"));
    assert_eq!(app.count("accounts WHERE email = 'first@example.com'"), 0);
    // The fresh preview commits.
    let done = app
        .post_fields(&format!("/w/acme/import/{}", preview_id(&fresh)), &[])
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(app.count("accounts WHERE email = 'first@example.com'"), 1);

    // Seats taken meanwhile by others (each row still does what it showed): a fresh preview too,
    // which says the file no longer fits.
    let file: String = std::iter::once("email\n".to_owned())
        .chain((0..6).map(|i| format!("row{i}@example.com\n")))
        .collect();
    let page = upload(&app, file.as_bytes()).await.text().await.unwrap();
    let id = preview_id(&page);
    app.invite("x1@example.com x2@example.com x3@example.com", "member")
        .await;
    let changed = app.post_fields(&format!("/w/acme/import/{id}"), &[]).await;
    assert_eq!(changed.status().as_u16(), 409);
    let fresh = changed.text().await.unwrap();
    assert!(
        fresh.contains("The workspace changed since that preview")
            && fresh.contains("this file would invite 6. Take rows out of the file")
            && !fresh.contains("action=\"/w/acme/import/"),
        "{fresh}"
    );
    assert_eq!(app.count("accounts WHERE email LIKE 'row%'"), 0);
}

#[actix_web::test]
async fn a_file_that_cannot_be_read_is_said_beside_the_field_and_seats_are_checked() {
    let app = spawn_app().await;
    app.set_up().await;
    for (file, why) in [
        (&b""[..], "Choose a CSV file."),
        (b"name\nada\n", "one of them “email”"),
        (&[0xff, 0xfe, 0x41][..], "not UTF-8"),
    ] {
        let refused = upload(&app, file).await;
        assert_eq!(refused.status().as_u16(), 422);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains(why) && page.contains("id=\"file-error\""),
            "{why}: {page}"
        );
    }
    // More people than free seats (the free plan has 10): said, no commit offered.
    let file: String = std::iter::once("email\n".to_owned())
        .chain((0..12).map(|i| format!("person{i}@example.com\n")))
        .collect();
    let page = upload(&app, file.as_bytes()).await.text().await.unwrap();
    assert!(
        page.contains("Seats: 1 of 10 used now, 13 after the import."),
        "{page}"
    );
    assert!(!page.contains("action=\"/w/acme/import/"), "no commit form");
    assert!(
        !page.contains("Nobody in this file can be invited"),
        "{page}"
    );

    // A file in which nobody can be invited says so above its rows.
    let page = upload(&app, b"email\nnot-an-address\nada@example.com\n")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Nobody in this file can be invited")
            && !page.contains("action=\"/w/acme/import/"),
        "{page}"
    );
    // Sent all the same: refused, nothing written, no event.
    let id = app.first_id("import_previews WHERE id = (SELECT max(id) FROM import_previews)");
    let sent = app.post_fields(&format!("/w/acme/import/{id}"), &[]).await;
    assert_eq!(sent.status().as_u16(), 409);
    assert!(
        sent.text()
            .await
            .unwrap()
            .contains("Nothing was imported: no row of the file invites anyone")
    );
    assert_eq!(app.count("audit_events WHERE action = 'users.imported'"), 0);
    assert_eq!(app.count("invitations"), 0);
}

#[actix_web::test]
async fn a_corrected_copy_after_a_refused_row_counts_and_later_copies_are_duplicates() {
    let app = spawn_app().await;
    app.set_up().await;
    let file = b"email,role\nfix.me@example.com,pilot\nFix.Me@example.com,member\nfix.me@example.com,auditor\n";
    let page = upload(&app, file).await.text().await.unwrap();
    assert!(
        page.contains("unknown role “pilot”")
            && page.contains("Will be invited")
            && page.contains("Duplicate of line 3")
            && !page.contains("Duplicate of line 2"),
        "{page}"
    );
    assert!(page.contains("Invite 1 person"), "{page}");
    assert!(!page.contains("invited as"), "no Owner, nothing said");
}

/// Owners are said before the commit: only an Owner takes the role back.
#[actix_web::test]
async fn a_preview_says_who_would_be_invited_as_owners() {
    let app = spawn_app().await;
    app.set_up().await;
    let file = b"email,role\nnew.owner@example.com,Owner\nnew.admin@example.com,admin\n";
    let page = upload(&app, file).await.text().await.unwrap();
    assert!(
        page.contains("1 person will be invited as an Owner.")
            && page.contains("Only an Owner can take the role away again"),
        "{page}"
    );
}

/// The file's name comes from the browser, inside the body: a NUL (which PostgreSQL's text
/// refuses), control characters and folders are left out of what is stored and shown.
#[actix_web::test]
async fn a_file_name_with_a_nul_or_a_path_is_kept_clean() {
    let app = spawn_app().await;
    app.set_up().await;
    let csrf = app.csrf_token("/me").await;
    let (content_type, body) = multipart_file(
        &csrf,
        "file",
        "C:\\fakepath\\evil\0na\u{1}me.csv",
        b"email\nnew.person@example.com\n",
    );
    let response = app
        .client
        .post(app.url("/w/acme/import"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("evilname.csv"), "{page}");
    assert_eq!(
        app.count("import_previews WHERE file_name = 'evilname.csv'"),
        1
    );
}

/// A role that invites without seeing people (`users.view`) lands where it can read the outcome:
/// the import page, or the invite page, never the users list that would refuse it.
#[actix_web::test]
async fn an_inviter_who_does_not_see_people_lands_on_a_page_of_theirs() {
    let app = spawn_app().await;
    app.set_up().await;
    let inviter = app
        .with_custom_role("ivy@example.com", "Inviter", &["users.invite"])
        .await;
    app.invite("pending@example.com", "member").await;
    let page = upload(&inviter, b"email\nfirst@example.com\npending@example.com\n")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Already invited") && !page.contains("Resend from the list"),
        "the list's actions are not offered to a role the list refuses: {page}"
    );
    let done = inviter
        .post_fields(&format!("/w/acme/import/{}", preview_id(&page)), &[])
        .await;
    assert_eq!(location(&done), "/w/acme/import");
    let landed = inviter.get_text("/w/acme/import").await;
    assert!(landed.contains("Imported: 1 person invited."), "{landed}");
    let invited = inviter
        .post_fields(
            "/w/acme/invitations",
            &[("emails", "second@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(location(&invited), "/w/acme/invitations/new");
    let landed = inviter.get(&location(&invited)).await;
    assert_eq!(landed.status().as_u16(), 200);
    assert!(landed.text().await.unwrap().contains("1 invitation sent"));
}

/// A row asking for what the inviter may not give is "Not allowed", with the reason; a mistake in
/// the file is "Invalid". Neither is imported, and a corrected copy of either counts.
#[actix_web::test]
async fn a_row_beyond_the_inviters_permissions_is_not_allowed_rather_than_invalid() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Research', '', created_at, created_at FROM workspaces WHERE slug = 'acme'");
    let inviter = app
        .with_custom_role("ivy@example.com", "Inviter", &["users.invite"])
        .await;
    let file = b"email,role,groups\nboss@example.com,admin,\nlab@example.com,,Research\nbad@,,\nboss@example.com,member,\n";
    let page = upload(&inviter, file).await.text().await.unwrap();
    let boss = outcome_of(&page, "boss@example.com");
    assert!(
        boss.contains("Not allowed") && !boss.contains("Invalid"),
        "{boss}"
    );
    let lab = outcome_of(&page, "lab@example.com");
    assert!(
        lab.contains("Not allowed") && lab.contains("groups.manage"),
        "{lab}"
    );
    assert!(outcome_of(&page, "bad@").contains("Invalid"), "{page}");
    assert!(
        page.contains("Invite 1 person"),
        "the corrected copy counts: {page}"
    );
    assert!(!page.contains("Duplicate"), "{page}");
}

/// Past the thousand groups a list shows, a row still names any group; the list says it is cut.
#[actix_web::test]
async fn a_row_names_any_group_however_many_there_are() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1000) \
         INSERT INTO groups (workspace_id, name, description, created_at, updated_at) \
         SELECT w.id, 'a' || CAST(n AS TEXT), '', w.created_at, w.created_at FROM workspaces w, seq",
    );
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'zzz-last', '', created_at, created_at FROM workspaces");
    let page = upload(&app, b"email,groups\nx@example.com,ZZZ-last\n")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        outcome_of(&page, "x@example.com").contains("Will be invited"),
        "{page}"
    );
    let list = app.get_text("/w/acme/groups").await;
    assert!(
        list.contains("The first 1,000 groups by name are shown") && !list.contains("zzz-last"),
        "cut"
    );
    let found = app.get_text("/w/acme/groups?q=zzz").await;
    assert!(found.contains("zzz-last") && !found.contains("The first 1,000"));
    // The menus say so too: the list's filter and the invite form's groups.
    let cut = "Only the first 1,000 groups by name are listed here";
    for page in ["/w/acme/users", "/w/acme/invitations/new"] {
        let text = app.get_text(page).await;
        assert!(text.contains(cut) && !text.contains("zzz-last"), "{page}");
    }
    for name in ["zzz-last", "a1000"] {
        let id = app.first_id(&format!("groups WHERE name = '{name}'"));
        let deleted = app
            .post_fields(&format!("/w/acme/groups/{id}/delete"), &[])
            .await;
        assert_eq!(deleted.status().as_u16(), 303);
    }
    assert!(!app.get_text("/w/acme/users").await.contains(cut));
}

/// A row's every mistake is said at once; a group whose name holds a `;` is matched; a row names
/// at most 20 groups; a quote left open is refused naming its line (the lines after it were
/// missing); the rows not invited come back with each `;`-part of a cell defused.
#[actix_web::test]
async fn a_row_says_all_its_mistakes_and_a_file_is_read_as_written() {
    let app = spawn_app().await;
    app.set_up().await;
    for name in ["R;D", "Ops"] {
        let made = app
            .post_fields("/w/acme/groups", &[("name", name), ("description", "")])
            .await;
        assert_eq!(made.status().as_u16(), 303, "{name}");
    }
    let many: Vec<String> = (0..21).map(|_| "Ops".to_owned()).collect();
    let file = format!(
        "email,first_name,role,groups\n\
         two@example.com,Two,Superuser,Nonexistent\n\
         rd@example.com,Arr,member,R;D;ops\n\
         many@example.com,Many,member,{}\n\
         inj@example.com,Inj,\"x;=cmd|'/C calc'!A0;y\",\n",
        many.join(";")
    );
    let page = upload(&app, file.as_bytes()).await.text().await.unwrap();
    let two = outcome_of(&page, "two@example.com");
    assert!(
        two.contains("unknown role “Superuser”") && two.contains("unknown group “Nonexistent”"),
        "{two}"
    );
    assert!(
        outcome_of(&page, "rd@example.com").contains("Will be invited"),
        "{page}"
    );
    assert!(
        outcome_of(&page, "many@example.com").contains("names 21 groups; a row takes at most 20"),
        "{page}"
    );
    let id = preview_id(&page);
    let problems = app
        .get_text(&format!("/w/acme/import/{id}/problems.csv"))
        .await;
    assert!(
        problems.contains("x;'=cmd|'/C calc'!A0;y") && !problems.contains("x;=cmd"),
        "{problems}"
    );

    let open = upload(
        &app,
        b"email,first_name\na1@example.com,\"Ann,Lee\na2@example.com,Bob\na3@example.com,Cy\n",
    )
    .await;
    assert_eq!(open.status().as_u16(), 422);
    let page = open.text().await.unwrap();
    assert!(
        page.contains("Line 2 cannot be read as CSV") && page.contains("closing quote"),
        "{page}"
    );
}
