//! The SQLite upgrade that makes ids never given twice (`2026-12-07-120000_ids_never_reused`), run
//! on a database with rows in it: every row is kept, every reference still holds, and an id
//! deleted before or after it is not given again. PostgreSQL's identity columns need no upgrade.
//! And the upgrade that names, in earlier events, the people they were about (both backends).

use crate::common::*;
use admin_console::db;
use diesel::connection::SimpleConnection;

const DOWN: &str =
    include_str!("../../migrations/sqlite/2026-12-07-120000_ids_never_reused/down.sql");
/// The migrations after it, undone first (newest first), as `diesel migration revert` would.
const LATER: [(&str, &str); 2] = [
    (
        "20261208010000",
        include_str!("../../migrations/sqlite/2026-12-08-010000_audit_event_people/down.sql"),
    ),
    (
        "20261207130000",
        include_str!("../../migrations/sqlite/2026-12-07-130000_api_key_form_mark/down.sql"),
    ),
];

#[actix_web::test]
async fn the_upgrade_keeps_every_row_and_gives_no_id_twice() {
    if backend() != Backend::Sqlite {
        return;
    }
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com, alan@example.com", "member")
        .await;
    for name in ["Ops", "Finance"] {
        let made = app.post_fields("/w/acme/groups", &[("name", name)]).await;
        assert_eq!(made.status().as_u16(), 303);
    }
    let autoincrement = "sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'";
    assert_eq!(app.count(autoincrement), 10);

    // Back to the tables as they were before the upgrade.
    let mut conn = app.conn();
    for (version, down) in LATER {
        conn.batch_execute(down).unwrap();
        conn.batch_execute(&format!(
            "DELETE FROM __diesel_schema_migrations WHERE version = '{version}'"
        ))
        .unwrap();
    }
    conn.batch_execute(DOWN).unwrap();
    conn.batch_execute("DELETE FROM __diesel_schema_migrations WHERE version = '20261207120000'")
        .unwrap();
    assert_eq!(app.count(autoincrement), 0);
    // The last group deleted before the upgrade: its id stays in the audit log's link.
    let finance = app.first_id("groups WHERE name = 'Finance'");
    let deleted = app
        .post_fields(&format!("/w/acme/groups/{finance}/delete"), &[])
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    let tables = [
        "workspaces",
        "roles",
        "memberships",
        "invitations",
        "groups",
        "accounts",
        "audit_events",
        "outbox_emails",
    ];
    let before: Vec<i64> = tables.iter().map(|t| app.count(t)).collect();

    let applied = db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), 1 + LATER.len(), "{applied:?}");
    drop(conn);
    assert_eq!(app.count(autoincrement), 10);
    let after: Vec<i64> = tables.iter().map(|t| app.count(t)).collect();
    assert_eq!(before, after, "every row kept");
    assert_eq!(app.count("pragma_foreign_key_check"), 0);
    assert_eq!(
        app.count("workspaces WHERE active_count = 1 AND invited_count = 2"),
        1,
        "the counts the triggers keep still hold"
    );

    // A new group does not get the deleted one's id; a revoked invitation's id is not given
    // to the next one.
    let made = app.post_fields("/w/acme/groups", &[("name", "Next")]).await;
    assert_eq!(made.status().as_u16(), 303);
    assert!(app.first_id("groups WHERE name = 'Next'") > finance);
    let last = app.first_id("invitations WHERE id = (SELECT max(id) FROM invitations)");
    let gone = app
        .post_fields(&format!("/w/acme/invitations/{last}/revoke"), &[])
        .await;
    assert_eq!(gone.status().as_u16(), 303);
    app.invite("yvonne@example.com", "member").await;
    assert!(app.first_id("invitations WHERE email = 'yvonne@example.com'") > last);
}

/// `2026-12-08-010000_audit_event_people` names, in the events logged before it, the people the
/// code names in new ones (group members added and taken out, app access given, changed, ended).
#[actix_web::test]
async fn the_upgrade_names_in_earlier_events_whom_they_were_about() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("grace@example.com", "member").await;
    let token = app.token_for("grace@example.com");
    app.accept_as_new(&token, "Grace", "Hopper").await;
    let grace = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace@example.com')",
    );
    let (group, payroll) = app
        .group_and_app_events_naming(grace, "grace@example.com")
        .await;
    let group_id = group.to_string();
    let to_group = app
        .post_fields(
            &format!("/w/acme/apps/{payroll}/grants"),
            &[("group_id", group_id.as_str()), ("level", "view")],
        )
        .await;
    assert_eq!(to_group.status().as_u16(), 303);
    let named = "audit_event_people p JOIN audit_events e ON e.id = p.event_id \
                 JOIN memberships m ON m.account_id = p.account_id";
    let of_grace = format!("{named} WHERE m.id = {grace}");
    assert_eq!(app.count(&of_grace), 3, "added, taken out, given access");
    assert_eq!(
        app.count("audit_event_people"),
        3,
        "the group's grant names nobody"
    );

    // Back to before the table, then up again: the same people, found in the events' facts.
    let mut conn = app.conn();
    conn.batch_execute(LATER[0].1).unwrap();
    conn.batch_execute(&format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{}'",
        LATER[0].0
    ))
    .unwrap();
    assert_eq!(db::run_migrations(&mut conn).unwrap().len(), 1);
    drop(conn);
    assert_eq!(app.count("audit_event_people"), 3);
    for action in [
        "group.members_added",
        "group.member_removed",
        "app.access_granted",
    ] {
        assert_eq!(
            app.count(&format!("{of_grace} AND e.action = '{action}'")),
            1,
            "{action}"
        );
    }
}
