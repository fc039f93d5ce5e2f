//! HTTP tests of the users CSV (issue 4) on each backend: columns, quoting, formula defusing,
//! search applied, permission, audit, and a streamed export of thousands of rows.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

async fn csv_of(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, Vec<csv::StringRecord>) {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[..]);
    (
        headers,
        reader.records().map(|r| r.expect("valid CSV")).collect(),
    )
}

#[actix_web::test]
async fn exports_the_columns_of_the_contract_quoted_and_defused() {
    let app = spawn_app().await;
    app.set_up().await;
    let grace = app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    );
    app.add_member(
        "tricky.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Suspended,
    );
    app.add_member(
        "gone.person@example.com",
        BuiltInRole::Member,
        MembershipStatus::Removed,
    );
    app.execute(
        "UPDATE accounts SET first_name = '=HYPERLINK(\"http://evil.example\")', last_name = 'Smith, \"Jr.\"\nthe second'
         WHERE email = 'tricky.person@example.com'",
    );
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Finance', '', created_at, created_at FROM workspaces");
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, '@ops', '', created_at, created_at FROM workspaces");
    app.execute(&format!(
        "INSERT INTO group_members (group_id, membership_id, created_at)
         SELECT g.id, m.id, m.created_at FROM groups g, memberships m WHERE m.account_id = {}",
        grace.0
    ));
    app.execute(&format!("UPDATE memberships SET last_active_at = '2026-11-20 10:11:12', invited_by = (SELECT id FROM accounts WHERE email = 'ada@example.com') WHERE account_id = {}", grace.0));
    app.invite("pending@example.com", "auditor").await;

    let (headers, rows) = csv_of(&app, "/w/acme/users.csv").await;
    assert_eq!(
        headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"acme-users-20")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "status",
            "groups",
            "created_at",
            "last_active_at",
            "invited_by"
        ]
    );
    let by_email = |email: &str| {
        rows.iter()
            .find(|r| &r[1] == email)
            .unwrap_or_else(|| panic!("{email} exported"))
            .clone()
    };
    assert_eq!(
        rows.len(),
        1 + 4,
        "owner, grace, tricky, pending; removed left out like the list"
    );

    let grace_row = by_email("grace.hopper@example.com");
    assert!(grace_row[0].parse::<i64>().is_ok());
    assert_eq!(&grace_row[2], "grace");
    assert_eq!(&grace_row[4], "Admin");
    assert_eq!(&grace_row[5], "active");
    assert_eq!(
        &grace_row[6], "'@ops; Finance",
        "groups joined, and defused because the cell starts with @"
    );
    assert!(
        grace_row[7].ends_with('Z') && grace_row[7].contains('T'),
        "RFC 3339 UTC: {}",
        &grace_row[7]
    );
    assert_eq!(&grace_row[8], "2026-11-20T10:11:12Z");
    assert_eq!(&grace_row[9], OWNER_EMAIL);

    let tricky = by_email("tricky.person@example.com");
    assert_eq!(
        &tricky[2], "'=HYPERLINK(\"http://evil.example\")",
        "formula defused"
    );
    assert_eq!(
        &tricky[3], "Smith, \"Jr.\"\nthe second",
        "commas, quotes and new lines survive quoting"
    );
    assert_eq!(&tricky[5], "suspended");

    let pending = by_email("pending@example.com");
    assert_eq!(&pending[5], "invited");
    assert_eq!(&pending[4], "Auditor");
    assert_eq!(&pending[8], "", "never active");
    assert_eq!(&pending[9], OWNER_EMAIL);
}

#[actix_web::test]
async fn the_lists_search_applies_and_each_export_is_audited() {
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
    let (_, rows) = csv_of(&app, "/w/acme/users.csv?q=HOPP").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][1], "grace.hopper@example.com");
    let (_, rows) = csv_of(&app, "/w/acme/users.csv?q=ur").await;
    assert_eq!(
        rows.iter()
            .skip(1)
            .map(|r| r[1].to_owned())
            .collect::<Vec<_>>(),
        ["alan.turing@example.com"]
    );
    assert_eq!(app.count("audit_events WHERE action = 'users.exported'"), 2);
    assert_eq!(
        app.count("audit_events WHERE action = 'users.exported' AND changes LIKE '%HOPP%'"),
        1
    );
    // The event names the filters used only: none set reads "everyone".
    app.get_text("/w/acme/users.csv").await;
    let log = app.get_text("/w/acme/audit").await;
    assert!(
        log.contains("everyone") && !log.contains("role: (empty)"),
        "{log}"
    );
}

#[actix_web::test]
async fn only_roles_with_users_export_may_export() {
    let app = spawn_with_member(
        "ken.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "linus.member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let support = app.add_member(
        "sam.support@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.execute(
        "INSERT INTO roles (workspace_id, key, name, description, permissions, built_in, created_at, updated_at)
         SELECT id, 'support', 'Support', '', 'users.view users.suspend', FALSE, created_at, created_at FROM workspaces",
    );
    app.execute(&format!("UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = 'support') WHERE account_id = {}", support.0));

    let auditor = app.new_client();
    auditor
        .sign_in("ken.auditor@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(
        auditor.get("/w/acme/users.csv").await.status().as_u16(),
        200
    );
    let member = app.new_client();
    member
        .sign_in("linus.member@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(location(&member.get("/w/acme/users.csv").await), "/me");
    let supporter = app.new_client();
    supporter
        .sign_in("sam.support@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(
        supporter.get("/w/acme/users").await.status().as_u16(),
        200,
        "Support reads the list"
    );
    assert_eq!(
        supporter.get("/w/acme/users.csv").await.status().as_u16(),
        403,
        "but cannot export"
    );
    assert_eq!(
        app.new_client()
            .get("/w/acme/users.csv")
            .await
            .status()
            .as_u16(),
        303,
        "signed out: to sign-in"
    );
    // Exporting lists the members: a role that may not see them cannot export them either.
    let exporter = app
        .with_custom_role(
            "eve.exporter@example.com",
            "Exporter",
            &["users.export", "groups.view"],
        )
        .await;
    assert_eq!(exporter.get("/w/acme/users").await.status().as_u16(), 403);
    let refused = exporter.get("/w/acme/users.csv").await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        !refused
            .text()
            .await
            .unwrap()
            .contains("linus.member@example.com")
    );
    assert_eq!(app.count("audit_events WHERE action = 'users.exported'"), 1);
}

#[actix_web::test]
async fn a_large_export_streams_every_row_once() {
    let app = spawn_app().await;
    app.set_up().await;
    app.seed_members(12_000);
    let (_, rows) = csv_of(&app, "/w/acme/users.csv").await;
    let listed = app.count("memberships WHERE status <> 'removed'");
    assert_eq!(rows.len() as i64, 1 + listed);
    let mut ids: Vec<i64> = rows.iter().skip(1).map(|r| r[0].parse().unwrap()).collect();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "no row twice across batches");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order");
}

/// Downloads whose clients read slowly hold no database connection while they wait (with two
/// connections, three stalled exports once made every page wait 15 s and fail), and one person
/// runs three at once at most.
#[actix_web::test]
async fn slow_downloads_hold_no_connection_and_run_three_at_once() {
    let app = spawn_app_with(|s| s.db_pool_size = 2).await;
    app.set_up().await;
    // More than the sockets between server and client hold (about 6 MB of CSV).
    app.seed_members(60_000);
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let download = app.get("/w/acme/users.csv").await;
        assert_eq!(download.status().as_u16(), 200);
        stalled.push(download);
    }
    // The audit log's export counts among them.
    let fourth = app.get("/w/acme/audit.csv").await;
    assert_eq!(fourth.status().as_u16(), 409);
    assert!(
        fourth
            .text()
            .await
            .unwrap()
            .contains("3 downloads running already")
    );
    let page =
        actix_web::rt::time::timeout(std::time::Duration::from_secs(5), app.get("/w/acme/users"))
            .await;
    assert_eq!(page.expect("answered within 5 s").status().as_u16(), 200);
    // A download given up frees its place.
    drop(stalled.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let again = app.get("/w/acme/audit.csv").await;
        if again.status().as_u16() == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place stays taken"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The export's event names the role and group it was narrowed to, not only their ids.
#[actix_web::test]
async fn the_exports_event_names_its_role_and_group() {
    let app = spawn_app().await;
    app.set_up().await;
    app.with_custom_role("sue.support@example.com", "Support", &["users.view"])
        .await;
    app.execute("INSERT INTO groups (workspace_id, name, description, created_at, updated_at) SELECT id, 'Ops', '', created_at, created_at FROM workspaces WHERE slug = 'acme'");
    let role = app.first_id("roles WHERE name = 'Support'");
    let group = app.first_id("groups WHERE name = 'Ops'");
    for query in [
        format!("role={role}"),
        format!("group={group}"),
        "role=admin".to_owned(),
    ] {
        let export = app.get(&format!("/w/acme/users.csv?{query}")).await;
        assert_eq!(export.status().as_u16(), 200, "{query}");
    }
    for said in [
        format!("Support (role {role})"),
        format!("Ops (group {group})"),
        "\"role\":\"Admin\"".to_owned(),
    ] {
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = 'users.exported' AND changes LIKE '%{said}%'"
            )),
            1,
            "{said}"
        );
    }
}
