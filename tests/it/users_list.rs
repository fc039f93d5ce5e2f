//! HTTP tests of the first users list: members and pending invitations, search, keyset pages, htmx.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

fn names_in(html: &str) -> Vec<String> {
    html.split("<tr data-email=\"")
        .skip(1)
        .map(|chunk| chunk.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

fn link(html: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\" href=\"");
    html.find(&marker).map(|i| {
        html[i + marker.len()..]
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
            .replace("&#38;", "&")
    })
}

/// The emails of the members `WHERE <condition> ORDER BY <order>` (`m` memberships, `a` accounts),
/// read directly: what the list should show.
fn emails_where(app: &TestApp, condition: &str, order: &str) -> Vec<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        email: String,
    }
    diesel::sql_query(format!(
        "SELECT a.email FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE {condition} ORDER BY {order}"
    ))
    .load::<Row>(&mut *app.conn())
    .unwrap()
    .into_iter()
    .map(|r| r.email)
    .collect()
}

#[actix_web::test]
async fn lists_members_and_pending_invitations_but_not_removed_ones() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "pending.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Invited,
    );
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    app.add_member(
        "paused.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );
    let html = app.get_text("/w/acme/users").await;
    let emails = names_in(&html);
    assert_eq!(emails.len(), 4, "{emails:?}");
    assert!(!emails.iter().any(|e| e.starts_with("gone")));
    assert!(html.contains("badge-invited\">Pending"));
    assert!(html.contains("badge-suspended\">Suspended"));
    assert!(html.contains("3 members · 1 pending invitation"));
    assert!(html.contains("Free plan: 4 of 10 seats used"));
}

#[actix_web::test]
async fn keyset_pages_of_fifty_walk_forward_and_back() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(130);

    let first = app.get_text("/w/acme/users").await;
    let page1 = names_in(&first);
    assert_eq!(page1.len(), 50);
    assert!(link(&first, "prev").is_none());
    let next = link(&first, "next").expect("a next page");
    assert!(next.contains("after="));

    let second = app.get_text(&next).await;
    let page2 = names_in(&second);
    assert_eq!(page2.len(), 50);
    assert!(
        page1.iter().all(|e| !page2.contains(e)),
        "pages do not overlap"
    );

    let third = app.get_text(&link(&second, "next").unwrap()).await;
    let page3 = names_in(&third);
    // 131 people, of which every 50th seeded one (id % 50 == 7) is removed and not listed.
    assert!(!page3.is_empty() && page3.len() < 50, "{}", page3.len());
    assert!(link(&third, "next").is_none());

    let back = app.get_text(&link(&third, "prev").unwrap()).await;
    assert_eq!(names_in(&back), page2, "previous returns the same page");
    let back_again = app.get_text(&link(&back, "prev").unwrap()).await;
    assert_eq!(names_in(&back_again), page1);
    assert!(
        link(&back_again, "prev").is_none(),
        "first page has no previous"
    );

    // Ordered by name across pages.
    let all: Vec<String> = [page1, page2, page3].concat();
    assert_eq!(
        all.len(),
        1 + 130 - app.count("memberships WHERE status = 'removed'") as usize
    );
}

#[actix_web::test]
async fn search_matches_substrings_of_email_and_names_case_insensitively() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.add_member(
        "pending.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Invited,
    );

    let by_name = names_in(&app.get_text("/w/acme/users?q=HOPP").await);
    assert_eq!(
        by_name,
        vec!["grace.hopper@example.com", "pending.hopper@example.com"]
    );
    let page = app.get_text("/w/acme/users?q=uring%40exa").await;
    assert_eq!(names_in(&page), vec!["alan.turing@example.com"]);
    // A search whose matches fit one page says how many match.
    assert!(page.contains("1 match · 3 members in all"), "{page}");
    let two_letters = names_in(&app.get_text("/w/acme/users?q=al").await);
    assert!(two_letters.contains(&"alan.turing@example.com".to_owned()));
    let full_name = names_in(&app.get_text("/w/acme/users?q=ada%20love").await);
    assert_eq!(full_name, vec![OWNER_EMAIL]);

    let none = app.get_text("/w/acme/users?q=nobody%25here_").await;
    assert!(names_in(&none).is_empty());
    assert!(none.contains("No one matches"));
    assert!(!none.contains("Export CSV"), "nothing to export");
    // The query is shown escaped, never as markup.
    let hostile = app
        .get_text("/w/acme/users?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert!(!hostile.contains("<script>alert(1)</script>"));
}

#[actix_web::test]
async fn search_pages_keep_the_query_in_their_links() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(200);
    let html = app.get_text("/w/acme/users?q=example.com").await;
    assert_eq!(names_in(&html).len(), 50);
    let next = link(&html, "next").expect("more results");
    assert!(
        next.contains("q=example.com") && next.contains("after="),
        "{next}"
    );
    // The search's count says what it knows: more than one page, or this page's share.
    assert!(
        html.contains("More than 50 matches · 197 members in all"),
        "{html}"
    );
    let page2_html = app.get_text(&next).await;
    assert!(
        page2_html.contains("50 matches on this page"),
        "{page2_html}"
    );
    let page2 = names_in(&page2_html);
    assert_eq!(page2.len(), 50);
    let page1 = names_in(&html);
    assert!(
        page2.iter().all(|e| !page1.contains(e)),
        "the second page follows the first"
    );
}

#[actix_web::test]
async fn htmx_requests_get_only_the_rows_fragment() {
    let app = spawn_app().await;
    app.set_up().await;
    let htmx = |path: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(path))
                .header("HX-Request", "true")
                .send()
                .await
                .unwrap()
        }
    };
    let response = htmx("/w/acme/users?q=ada").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("vary").unwrap(), "HX-Request");
    let html = response.text().await.unwrap();
    assert!(html.contains("<table"));
    assert!(
        !html.contains("<html") && !html.contains("class=\"topbar\""),
        "fragment only"
    );
    // A column's sort reaches the search form, out of band: a filter after it keeps it.
    let sorted = htmx("/w/acme/users?sort=-joined")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        sorted.contains(
            "<input type=\"hidden\" id=\"list-sort\" name=\"sort\" value=\"-joined\" hx-swap-oob=\"true\">"
        ),
        "{sorted}"
    );

    // A history restore needs the whole page.
    let restore = app
        .client
        .get(app.url("/w/acme/users?q=ada"))
        .header("HX-Request", "true")
        .header("HX-History-Restore-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(restore.contains("<html"));
}

#[actix_web::test]
async fn htmx_requests_of_a_signed_out_visitor_redirect_the_whole_page() {
    let app = spawn_app().await;
    app.set_up().await;
    let visitor = app.new_client();
    let response = visitor
        .client
        .get(app.url("/w/acme/users"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response
            .headers()
            .get("hx-redirect")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
}

#[actix_web::test]
async fn an_empty_workspace_shows_an_empty_state() {
    let app = spawn_app().await;
    app.set_up().await;
    // An org owner sees a workspace they are not a member of, with nobody in it.
    app.execute(
        "INSERT INTO workspaces (name, slug, plan, seat_limit, created_at, updated_at)
         VALUES ('Empty', 'empty', 'team', 50, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    let html = app.get_text("/w/empty/users").await;
    assert!(html.contains("No members yet"));
    assert!(html.contains("Team plan: 0 of 50 seats used"));
    // A new workspace (its Owner alone, nobody invited) offers the first steps; once someone is
    // invited, no longer.
    let first = app.get_text("/w/acme/users").await;
    assert!(first.contains("Get started") && first.contains(">Invite people</a> by email"));
    app.invite("grace@example.com", "member").await;
    assert!(!app.get_text("/w/acme/users").await.contains("Get started"));
}

#[actix_web::test]
async fn seeding_respects_the_seat_limit() {
    let app = spawn_app().await;
    app.set_up().await;
    let slug = admin_console::domain::Slug::parse(WORKSPACE).unwrap();
    let refused = admin_console::services::seed::seed_demo(&mut app.conn(), &slug, 10, |_| {});
    let message = refused
        .expect_err("Free plan: 1 seat used, 10 more do not fit")
        .to_string();
    assert!(
        message.contains("Free plan with 10 seats, 1 in use"),
        "{message}"
    );
    assert_eq!(app.count("memberships"), 1, "nothing written");
    // The three pending invitations the command adds after the members take seats too.
    let refused = admin_console::services::seed::seed_demo(&mut app.conn(), &slug, 9, |_| {});
    assert!(
        refused
            .expect_err("9 members and 3 invitations do not fit")
            .to_string()
            .contains("9 more members and 3 pending invitations do not fit")
    );
    admin_console::services::seed::seed_demo(&mut app.conn(), &slug, 6, |_| {})
        .expect("6 more and 3 invitations fit");
}

#[actix_web::test]
async fn broad_and_narrow_searches_page_the_same_way() {
    let app = spawn_app().await;
    app.set_up().await;
    // "example.com" matches everyone and is answered by walking the list in name order;
    // "Lovelace" matches a few hundred, looked up from the search index.
    app.seed_members(20_100);
    if backend() == Backend::Postgres {
        // The planner's statistics are brought up to date by the load itself, not left to
        // autovacuum (until then the search below was planned as if the tables were empty).
        assert_eq!(
            app.count(
                "pg_stat_user_tables WHERE relname = 'memberships' AND last_analyze IS NOT NULL"
            ),
            1
        );
    }
    // A load this size is written in bulk (indexes and counters rebuilt after): all still agree.
    let active = app.count("memberships WHERE status = 'active'");
    assert_eq!(
        app.count(&format!(
            "workspaces WHERE slug = 'acme' AND active_count = {active}"
        )),
        1
    );
    let grouped = app.count("group_members");
    assert_eq!(
        app.count(&format!(
            "(SELECT SUM(member_count) AS s FROM groups) AS g WHERE s = {grouped}"
        )),
        1
    );
    let broad = app.get_text("/w/acme/users?q=example.com").await;
    let broad_page = names_in(&broad);
    assert_eq!(broad_page.len(), 50);
    let unfiltered = names_in(&app.get_text("/w/acme/users").await);
    assert_eq!(
        broad_page, unfiltered,
        "everyone matches: the same first page as no search"
    );
    let next = link(&broad, "next").unwrap();
    assert_eq!(names_in(&app.get_text(&next).await).len(), 50);

    let narrow = app.get_text("/w/acme/users?q=LOVELACE").await;
    let narrow_page = names_in(&narrow);
    assert_eq!(narrow_page.len(), 50);
    // Ada Lovelace (ada@example.com) matches by her name, everyone else by their email.
    let is_match = |e: &String| e.contains("lovelace") || e == OWNER_EMAIL;
    assert!(narrow_page.iter().all(is_match), "{narrow_page:?}");
    let next = link(&narrow, "next").unwrap();
    let second = names_in(&app.get_text(&next).await);
    assert!(
        second
            .iter()
            .all(|e| is_match(e) && !narrow_page.contains(e)),
        "{second:?}"
    );
}

#[actix_web::test]
async fn filters_by_status_role_and_group_and_keep_them_in_links_and_export() {
    let app = spawn_with_member(
        "grace.admin@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "ken.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Suspended,
    );
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    app.add_member(
        "pending.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Invited,
    );
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Finance', '', created_at, created_at FROM workspaces");
    app.execute(
        "INSERT INTO group_members (group_id, membership_id, created_at)
         SELECT g.id, m.id, m.created_at FROM groups g, memberships m, accounts a
         WHERE a.id = m.account_id AND a.email IN ('grace.admin@example.com', 'ken.auditor@example.com')",
    );
    let group = app.first_id("groups");

    let emails = |html: String| names_in(&html);
    assert_eq!(
        emails(app.get_text("/w/acme/users?status=removed").await),
        ["gone.person@example.com"]
    );
    assert_eq!(
        emails(app.get_text("/w/acme/users?status=pending").await),
        ["pending.person@example.com"]
    );
    // The status's own key (the CSV's word) is the same filter, and the menu says so.
    let invited = app.get_text("/w/acme/users?status=invited").await;
    assert_eq!(emails(invited.clone()), ["pending.person@example.com"]);
    assert!(
        invited.contains("<option value=\"pending\" selected>"),
        "{invited}"
    );
    assert_eq!(
        emails(app.get_text("/w/acme/users?status=suspended").await),
        ["ken.auditor@example.com"]
    );
    assert_eq!(
        emails(app.get_text("/w/acme/users?role=admin").await),
        ["grace.admin@example.com"]
    );
    assert_eq!(
        emails(app.get_text(&format!("/w/acme/users?group={group}")).await),
        ["grace.admin@example.com", "ken.auditor@example.com"]
    );
    assert_eq!(
        emails(
            app.get_text(&format!("/w/acme/users?group={group}&role=auditor&q=ken"))
                .await
        ),
        ["ken.auditor@example.com"]
    );
    assert!(
        emails(
            app.get_text("/w/acme/users?role=admin&status=suspended")
                .await
        )
        .is_empty()
    );
    // Unknown values are ignored, not errors (links outlive roles).
    assert_eq!(
        app.get("/w/acme/users?role=nope&status=nope&group=x")
            .await
            .status()
            .as_u16(),
        200
    );

    // The menus show the current choice; the export link carries the same view.
    // (the filters; not the sort: the CSV comes in id order).
    let html = app
        .get_text("/w/acme/users?status=suspended&role=auditor&sort=-joined")
        .await;
    assert!(html.contains("<option value=\"suspended\" selected>"));
    assert!(html.contains("<option value=\"auditor\" selected>"));
    assert!(
        html.contains("href=\"/w/acme/users.csv?status=suspended&#38;role=auditor\"")
            || html.contains("href=\"/w/acme/users.csv?status=suspended&amp;role=auditor\"")
    );
    let csv = app.get_text("/w/acme/users.csv?status=removed").await;
    assert_eq!(csv.lines().count(), 2);
    assert!(csv.contains("gone.person@example.com"));
}

#[actix_web::test]
async fn filtered_pages_keep_their_filters_in_the_next_link() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(400);
    let html = app.get_text("/w/acme/users?role=member").await;
    let next = link(&html, "next").expect("more members");
    assert!(
        next.contains("role=member") && next.contains("after="),
        "{next}"
    );
    let page2 = names_in(&app.get_text(&next).await);
    assert_eq!(page2.len(), 50);
    assert!(names_in(&html).iter().all(|e| !page2.contains(e)));
}

#[actix_web::test]
async fn presence_shows_online_and_last_active_and_is_written_at_most_once_a_minute() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute("UPDATE memberships SET last_active_at = '2026-01-05 10:00:00' WHERE account_id = (SELECT id FROM accounts WHERE email = 'alan.turing@example.com')");
    // Grace opens the workspace: her activity is recorded with the session.
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    let active = "memberships WHERE last_active_at IS NOT NULL AND account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')";
    assert_eq!(app.count(active), 1);
    let html = app.get_text("/w/acme/users").await;
    let row = |email: &str| {
        html.split(&format!("data-email=\"{email}\""))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap()
            .to_owned()
    };
    assert!(
        row("grace.hopper@example.com").contains("online-dot")
            && row("grace.hopper@example.com").contains("just now")
    );
    assert!(
        row("alan.turing@example.com").contains("5 Jan 2026")
            && !row("alan.turing@example.com").contains("online-dot")
    );
    // The exact time, shown on hover in the viewer's zone (the table names it), comes from this.
    assert!(row("alan.turing@example.com").contains("datetime=\"2026-01-05T10:00:00Z\""));
    assert!(html.contains("data-timezone=\"UTC\""));
    // Within the minute, more requests write nothing.
    let seen = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct T {
            #[diesel(sql_type = diesel::sql_types::Timestamp)]
            last_active_at: chrono::NaiveDateTime,
        }
        diesel::sql_query(format!("SELECT last_active_at FROM {active}"))
            .get_result::<T>(&mut *app.conn())
            .unwrap()
            .last_active_at
    };
    for _ in 0..3 {
        grace.get("/w/acme/users").await;
    }
    let stamp = seen.format("%Y-%m-%d %H:%M:%S%.6f");
    assert_eq!(
        app.count(&format!("{active} AND last_active_at = '{stamp}'")),
        1
    );
    // Presence comes from the stream (tests/it/presence.rs), not a timed reload of the rows.
    assert!(html.contains("hx-trigger=\"members-changed from:body\""));
    assert!(html.contains("data-presence=\"/w/acme/presence\""));
}

#[actix_web::test]
async fn each_row_names_its_groups() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    for name in ["Finance", "Design"] {
        app.execute(&format!("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, '{name}', '', created_at, created_at FROM workspaces"));
    }
    app.execute(
        "INSERT INTO group_members (group_id, membership_id, created_at)
         SELECT g.id, m.id, m.created_at FROM groups g, memberships m WHERE m.account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')",
    );
    let html = app.get_text("/w/acme/users").await;
    assert!(html.contains("Design, Finance"));
}

/// Walks every page of `first` forward, then back from the last page; returns the rows in order.
async fn walk_pages(app: &TestApp, first: &str) -> Vec<String> {
    let mut pages = vec![names_in(&app.get_text(first).await)];
    let mut html = app.get_text(first).await;
    while let Some(next) = link(&html, "next") {
        html = app.get_text(&next).await;
        pages.push(names_in(&html));
        assert!(pages.len() < 20, "paging ends");
    }
    let mut back = pages.len() - 1;
    while let Some(prev) = link(&html, "prev") {
        html = app.get_text(&prev).await;
        back -= 1;
        assert_eq!(
            names_in(&html),
            pages[back],
            "previous returns the same page"
        );
    }
    assert_eq!(back, 0);
    pages.concat()
}

#[actix_web::test]
async fn every_sort_order_pages_forward_and_back_without_gaps_or_overlap() {
    use admin_console::db::schema::{accounts, memberships};
    use admin_console::domain::sort::{MemberSort, SortKey};
    use diesel::prelude::*;

    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(140);
    // Equal keys across pages: ids break the ties.
    app.execute(
        "UPDATE memberships SET last_active_at = '2026-11-01 10:00:00', joined_at = '2026-10-01 09:00:00' WHERE id % 3 = 0;
         UPDATE memberships SET status = 'invited', joined_at = NULL, last_active_at = NULL WHERE id % 7 = 1;",
    );
    // Ada's own activity is written by her first request (then at most once a minute).
    app.get("/w/acme/users").await;
    type Row = (
        i64,
        String,
        String,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    );
    let rows: Vec<Row> = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::status.ne("removed"))
        .select((
            memberships::id,
            memberships::sort_name,
            accounts::email,
            memberships::last_active_at,
            memberships::joined_at,
        ))
        .load(&mut *app.conn())
        .unwrap();
    assert!(rows.iter().any(|r| r.3.is_none()) && rows.iter().any(|r| r.4.is_none()));

    for sort in MemberSort::CHOICES {
        let mut expected = rows.clone();
        expected.sort_by(|a, b| {
            let by_key = match sort.key {
                SortKey::Name => a.1.cmp(&b.1),
                SortKey::Email => a.2.cmp(&b.2),
                SortKey::LastActive => a.3.cmp(&b.3),
                SortKey::Joined => a.4.cmp(&b.4),
            };
            by_key.then(a.0.cmp(&b.0))
        });
        if sort.descending {
            expected.reverse();
        }
        let expected: Vec<String> = expected.into_iter().map(|r| r.2).collect();
        let listed = walk_pages(&app, &format!("/w/acme/users?sort={}", sort.param())).await;
        assert_eq!(listed, expected, "{}", sort.param());
    }

    // The order is kept in the page links and the search form; the column headers order the rows
    // (the current one the other way round); an unknown order is the name order.
    let html = app.get_text("/w/acme/users?sort=-joined").await;
    let next = link(&html, "next").unwrap();
    assert!(
        next.contains("sort=-joined") && next.contains("at="),
        "{next}"
    );
    assert!(
        html.contains("<input type=\"hidden\" id=\"list-sort\" name=\"sort\" value=\"-joined\">")
    );
    assert!(html.contains(
        "<th scope=\"col\" class=\"m\" aria-sort=\"descending\"><a class=\"sort-link\" href=\"/w/acme/users?sort=joined\""
    ));
    assert!(
        html.contains("href=\"/w/acme/users?sort=-last_active\""),
        "newest first on a first click"
    );
    assert!(
        html.contains("<a class=\"sort-link\" href=\"/w/acme/users\""),
        "name A to Z is the default"
    );
    let unknown = app.get_text("/w/acme/users?sort=password").await;
    let by_name = app.get_text("/w/acme/users").await;
    assert_eq!(names_in(&unknown), names_in(&by_name));
    assert!(!link(&unknown, "next").unwrap().contains("sort="));
    // Sorting with a search and a filter narrows first, then orders.
    let searched = app
        .get_text("/w/acme/users?q=example&status=active&sort=-email")
        .await;
    let emails = names_in(&searched);
    assert!(emails.windows(2).all(|w| w[0] >= w[1]), "{emails:?}");
}

#[actix_web::test]
async fn blocked_accounts_show_their_badge_and_have_a_filter() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute("UPDATE accounts SET status = 'blocked' WHERE email = 'alan.turing@example.com'");
    let html = app.get_text("/w/acme/users").await;
    assert!(html.contains("badge-blocked\">Blocked"));
    assert!(html.contains("<option value=\"blocked\">Blocked</option>"));
    let blocked = app.get_text("/w/acme/users?status=blocked").await;
    assert_eq!(names_in(&blocked), vec!["alan.turing@example.com"]);
    let id = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'alan.turing@example.com')",
    );
    assert!(
        app.get_text(&format!("/w/acme/users/{id}"))
            .await
            .contains("badge-blocked\">Blocked")
    );
    let csv = app.get_text("/w/acme/users.csv?status=blocked").await;
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().contains(",blocked,"),
        "the status says what the list says: {csv}"
    );
}

/// Every row of a listing, following its "next" links.
async fn walk_all(app: &TestApp, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let html = app.get_text(&url).await;
        seen.extend(names_in(&html));
        next = link(&html, "next");
        assert!(seen.len() < 10_000, "the pages end");
    }
    seen
}

/// A group's members listed by name or email walk the group's own index (sort keys copied onto
/// its rows): the same rows in the same order as the members sorted by those keys, also after a
/// member is renamed, and only the group's current members.
#[actix_web::test]
async fn a_group_is_paged_in_name_and_email_order_and_follows_renames() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(240);
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Thirds', '', created_at, created_at FROM workspaces");
    let group = app.first_id("groups WHERE name = 'Thirds'");
    app.execute(&format!(
        "INSERT INTO group_members (group_id, membership_id, created_at)
         SELECT {group}, m.id, m.created_at FROM memberships m WHERE m.id % 3 = 0"
    ));
    app.execute(
        "UPDATE memberships SET status = 'removed', removed_at = created_at WHERE id % 9 = 0",
    );
    let expected =
        |order: &str| emails_where(&app, "m.id % 3 = 0 AND m.status <> 'removed'", order);
    let by_name = expected("m.sort_name, m.id");
    assert!(by_name.len() > 50, "more than a page");
    let base = format!("/w/acme/users?group={group}");
    assert_eq!(walk_all(&app, &base).await, by_name);
    assert_eq!(
        walk_all(&app, &format!("{base}&sort=email")).await,
        expected("m.sort_email, m.id")
    );
    assert_eq!(
        walk_all(&app, &format!("{base}&sort=-name")).await,
        expected("m.sort_name DESC, m.id DESC")
    );
    // The group's page lists the same members in the same order.
    let group_page = app.get_text(&format!("/w/acme/groups/{group}")).await;
    let first_fifty: Vec<&str> = group_page
        .split("<span class=\"person-email\">")
        .skip(1)
        .map(|chunk| chunk.split('<').next().unwrap_or_default())
        .collect();
    assert_eq!(first_fifty, by_name[..50].to_vec());

    // Renaming the last member by name to "Aaron Aardvark" brings them first.
    let last = by_name.last().unwrap().clone();
    let member = app.first_id(&format!(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{last}')"
    ));
    let csrf = app.csrf_token("/me").await;
    let renamed = app
        .post_form(
            &format!("/w/acme/users/{member}/profile"),
            &[
                ("csrf_token", csrf.as_str()),
                ("first_name", "Aaron"),
                ("last_name", "Aardvark"),
                ("email", last.as_str()),
                ("timezone", "UTC"),
            ],
        )
        .await;
    assert_eq!(renamed.status().as_u16(), 303);
    let now_first = names_in(&app.get_text(&base).await);
    assert_eq!(now_first.first(), Some(&last));
    assert_eq!(walk_all(&app, &base).await, expected("m.sort_name, m.id"));
    assert_eq!(
        app.count("group_members gm WHERE gm.sort_name <> (SELECT m.sort_name FROM memberships m WHERE m.id = gm.membership_id)"),
        0
    );
}

/// A search with many matches walks the list; when they cluster late in the order (a first name
/// sorting last), the first stretch of the walk holds no page: the console walks the range of
/// names that start with the search when all matches are there, else looks the matches up, or,
/// with more of them than that is worth, walks on to them. Every page comes in order, each way,
/// whichever way the search is answered.
#[actix_web::test]
async fn searches_whose_matches_cluster_late_page_in_order() {
    let app = spawn_app().await;
    app.set_up().await;
    // 335 members for each of the 60 seeded first names; "Zanele" sorts last.
    app.seed_members(20_100);
    // Renamed accounts get their members' name keys again, as the console keeps them.
    let rename = |set: &str, accounts: &str| {
        app.execute(&format!("UPDATE accounts SET {set} WHERE {accounts}"));
        app.execute(&sort_keys_of(
            "SELECT id FROM accounts WHERE first_name = 'Zanele' OR last_name = 'Zanelewski'",
        ));
    };
    let rename_to_zanele = |first_names: &str| {
        rename(
            "first_name = 'Zanele'",
            &format!("first_name IN ({first_names})"),
        )
    };
    let expected = |order: &str| {
        emails_where(
            &app,
            "m.status <> 'removed'
             AND lower(a.email || ' ' || a.first_name || ' ' || a.last_name) LIKE '%zanele%'",
            order,
        )
    };
    let check = |count: usize| {
        let expected = &expected;
        let app = &app;
        async move {
            let by_name = expected("m.sort_name, m.id");
            assert!(by_name.len() >= count, "{} matches", by_name.len());
            assert_eq!(walk_all(app, "/w/acme/users?q=Zanele").await, by_name);
            assert_eq!(
                walk_all(app, "/w/acme/users?q=zanele&sort=-name").await,
                expected("m.sort_name DESC, m.id DESC")
            );
        }
    };
    // A few hundred: looked up from the search index.
    check(300).await;
    // Three first names: ~1,000 matches, all after the first stretch of the walk, all starting
    // with the search.
    rename_to_zanele("'Yukihiro', 'Whitfield'");
    check(1_000).await;
    // One more, in a last name early in the order, renamed in the console (the list's pages
    // above found every match among the names starting with the search, and remember it until
    // something changes): it comes first.
    let ada =
        emails_where(&app, "a.first_name = 'Ada' AND m.status = 'active'", "a.id").swap_remove(0);
    let renamed = app
        .post_fields(
            &format!("/w/acme/users/{}/profile", app.membership_of(&ada)),
            &[
                ("first_name", "Ada"),
                ("last_name", "Zanelewski"),
                ("email", &ada),
                ("timezone", "UTC"),
            ],
        )
        .await;
    assert_eq!(renamed.status().as_u16(), 303);
    check(1_000).await;
    let first = names_in(&app.get_text("/w/acme/users?q=zanele").await);
    assert!(first[0].starts_with("ada"), "{first:?}");
    // Twelve: ~4,000, more than are worth looking up one by one; walked to.
    rename_to_zanele(
        "'Vint', 'Tomás', 'Tim', 'Sophie', 'Shafi', 'Rasmus', 'Radia', 'Robert', 'Priya'",
    );
    check(3_900).await;
}

/// The statement that gives the members of `accounts` (a query of account ids) the sort keys of
/// their names as they are now (after a change made by hand).
fn sort_keys_of(accounts: &str) -> String {
    format!(
        "UPDATE memberships SET sort_name = (SELECT lower(a.first_name || ' ' || a.last_name)
         FROM accounts a WHERE a.id = memberships.account_id) WHERE account_id IN ({accounts})"
    )
}

/// ~1,000 of the seeded members renamed Zanele, late in the name order: a search for them walks
/// their range once it is proven to hold them all.
fn zaneles(app: &TestApp) {
    app.execute(
        "UPDATE accounts SET first_name = 'Zanele' WHERE first_name IN ('Yukihiro', 'Whitfield', 'Vint')",
    );
    app.execute(&sort_keys_of(
        "SELECT id FROM accounts WHERE first_name = 'Zanele'",
    ));
    // Planner statistics, as autovacuum keeps them on a live database: just after a bulk load
    // the proof's counts sometimes took 1.3 s instead of 12 ms, past the proof's age.
    if backend() == Backend::Postgres {
        app.execute("ANALYZE");
    }
}

/// A search's proven range is proven again in the background as it ages: a change the audit log
/// does not see (SQL by hand) shows once the proof is renewed, before the proof would have expired.
#[actix_web::test]
async fn an_ageing_search_range_is_proven_again_in_the_background() {
    use std::time::{Duration, Instant};
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(20_100);
    zaneles(&app);
    // The proof is made during this view: it expires 5 s after `asked` at the earliest, and is
    // due again 2.5 s after `answered` at the latest.
    let asked = Instant::now();
    let first = names_in(&app.get_text("/w/acme/users?q=zanele").await);
    let answered = Instant::now();
    assert!(
        first.len() == 50 && !first[0].starts_with("ada"),
        "{first:?}"
    );
    // An Ada renamed by hand (no audit event) sorts before every Zanele.
    let ada = "SELECT MIN(a.id) FROM accounts a JOIN memberships m ON m.account_id = a.id
               WHERE a.first_name = 'Ada' AND m.status = 'active'";
    app.execute(&format!(
        "UPDATE accounts SET last_name = 'Zanelewski' WHERE id = ({ada}); {}",
        sort_keys_of(ada)
    ));
    // Once the proof is due the next view starts proving it again (answering from the proof it
    // has); a view soon after shows the renamed Ada first.
    let due = answered + Duration::from_millis(2_600);
    actix_web::rt::time::sleep(due.saturating_duration_since(Instant::now())).await;
    app.get_text("/w/acme/users?q=zanele").await;
    let mut shown = Vec::new();
    while asked.elapsed() < Duration::from_millis(4_900) {
        shown = names_in(&app.get_text("/w/acme/users?q=zanele").await);
        if shown.first().is_some_and(|email| email.starts_with("ada")) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the renamed member did not show while the proof was young: {shown:?}");
}

/// A search whose every match in this workspace has a name starting with it is proven to lie in
/// that range even when the organization has matching people in other workspaces only (who are
/// not in this list): before, they made the proof fail and every page take the slow way.
#[actix_web::test]
async fn a_search_range_holds_despite_matches_in_other_workspaces() {
    use admin_console::domain::sort::SortKey;
    use admin_console::store::memberships::{ListFilter, search_in_range};
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(20_100);
    zaneles(&app);
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303, "a second workspace");
    let outsider = app.add_member(
        "zanele.outsider@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(&format!(
        "UPDATE memberships SET workspace_id = {} WHERE account_id = {}",
        app.workspace_id("labs").0,
        outsider.0
    ));
    let filter = ListFilter {
        search: Some("zanele".to_owned()),
        ..Default::default()
    };
    let acme = app.workspace_id("acme");
    assert!(
        search_in_range(&mut app.conn(), acme, &filter, SortKey::Name).expect("proof"),
        "the outsider is not one of acme's members"
    );
    let shown = names_in(&app.get_text("/w/acme/users?q=zanele").await);
    assert_eq!(shown.len(), 50);
    assert!(
        !shown
            .iter()
            .any(|email| email.starts_with("zanele.outsider")),
        "{shown:?}"
    );
}

#[actix_web::test]
async fn address_fields_suggest_members_as_one_types() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    // htmx sends what is typed under the field's own name.
    let options = app
        .get_text("/w/acme/members/suggest?owner_email=hopp")
        .await;
    assert!(
        options.contains("<option value=\"grace.hopper@example.com\">"),
        "{options}"
    );
    assert!(!options.contains("ada@example.com"));
    assert!(
        !app.get_text("/w/acme/members/suggest?q=gone")
            .await
            .contains("gone.person"),
        "removed members are not offered"
    );
    // The app forms' owner field asks for them.
    let apps = app.get_text("/w/acme/apps").await;
    assert!(apps.contains("list=\"owner_email-suggestions\""));
    assert!(apps.contains("hx-get=\"/w/acme/members/suggest\""));
}

/// A role that does not see groups (`groups.view`) gets no Groups column or filter, and a group
/// in the address filters nothing: it does not learn who is in which group.
#[actix_web::test]
async fn a_role_that_does_not_see_groups_reads_no_group() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let made = app
        .post_fields(
            "/w/acme/groups",
            &[("name", "Finance"), ("description", "")],
        )
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let group = app.first_id("groups WHERE name = 'Finance'");
    let grace = app.membership_of("grace.hopper@example.com").to_string();
    let added = app
        .post_fields(
            &format!("/w/acme/groups/{group}/members"),
            &[("membership_id", &grace)],
        )
        .await;
    assert_eq!(added.status().as_u16(), 303);
    assert!(app.get_text("/w/acme/users").await.contains("Finance"));

    let support = app
        .with_custom_role(
            "sam.support@example.com",
            "Support",
            &["users.view", "users.suspend"],
        )
        .await;
    let page = support.get_text("/w/acme/users").await;
    assert!(
        !page.contains("Finance")
            && !page.contains(">Groups</th>")
            && !page.contains("filter-group"),
        "{page}"
    );
    let filtered = names_in(
        &support
            .get_text(&format!("/w/acme/users?group={group}"))
            .await,
    );
    assert!(
        filtered.contains(&OWNER_EMAIL.to_owned())
            && filtered.contains(&"sam.support@example.com".to_owned()),
        "{filtered:?}"
    );

    // Nor does a member's Access tab name them (nor the apps, for a role without apps.view).
    let tab = support
        .get_text(&format!("/w/acme/users/{grace}/access"))
        .await;
    assert!(
        !tab.contains("Finance")
            && tab.contains("does not include seeing groups")
            && tab.contains("does not include seeing apps"),
        "{tab}"
    );
    assert!(
        app.get_text(&format!("/w/acme/users/{grace}/access"))
            .await
            .contains("Finance")
    );

    // A bulk action over "everyone matching" refuses the group rather than taking everyone.
    let preview = support
        .post_fields(
            "/w/acme/users/bulk",
            &[
                ("action", "suspend"),
                ("all_matching", "1"),
                ("group", &group.to_string()),
            ],
        )
        .await;
    assert_eq!(preview.status().as_u16(), 422);
    let preview = preview.text().await.unwrap();
    assert!(
        preview.contains("cannot choose people by group") && !preview.contains(OWNER_EMAIL),
        "{preview}"
    );

    // The export keeps its columns, with the groups left empty; a group filter is refused.
    let exporter = app
        .with_custom_role(
            "ed.export@example.com",
            "Export",
            &["users.view", "users.export"],
        )
        .await;
    let csv = exporter.get_text("/w/acme/users.csv").await;
    assert!(
        csv.starts_with("id,email,first_name,last_name,role,status,groups,")
            && csv.contains("grace.hopper@example.com")
            && csv.contains(OWNER_EMAIL)
            && !csv.contains("Finance"),
        "{csv}"
    );
    let by_group = exporter
        .get(&format!("/w/acme/users.csv?group={group}"))
        .await;
    assert_eq!(by_group.status().as_u16(), 422);
    assert!(
        app.get_text("/w/acme/users.csv").await.contains("Finance"),
        "the owner reads the groups"
    );
}

/// Dates are the days they are where the viewer is, as the times beside them: an invitation
/// that ends at 16:00 UTC on the 14th ends on the 15th in Kiritimati (UTC+14).
#[actix_web::test]
async fn dates_are_in_the_viewers_time_zone() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(app.invite("late@example.com", "member").await.status(), 303);
    app.execute("UPDATE invitations SET expires_at = '2026-12-14 16:00:00'");
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("expires 14 Dec 2026"), "{list}");
    app.execute(&format!(
        "UPDATE accounts SET timezone = 'Pacific/Kiritimati' WHERE email = '{OWNER_EMAIL}'"
    ));
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("expires 15 Dec 2026"), "{list}");
}
