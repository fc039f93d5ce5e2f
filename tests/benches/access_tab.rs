//! Benchmark (issue 6): the Access tab of a member in 50 groups that hold 450 grants, with 50
//! direct grants besides (500 grants on 500 apps, levels mixed so "highest wins" has work).
//! `cargo bench --bench access_tab` (release build, SQLite). Times, over 300 rounds each, the
//! computation itself (the two queries and `effective_access`, on a pooled connection) and the
//! tab over HTTP (the htmx fragment, signed in as the owner); prints median and p99.

use std::time::Instant;

use admin_console::clock;
use admin_console::domain::ids::MembershipId;
use admin_console::domain::membership::{MembershipStatus, OrgRole};
use admin_console::domain::names::sort_key;
use admin_console::domain::role::BuiltInRole;
use admin_console::domain::{Email, access::effective_access};
use admin_console::store::{accounts, apps, groups, memberships, roles, workspaces};
use diesel::connection::SimpleConnection;

#[path = "bench_app.rs"]
mod bench_app;

const ROUNDS: usize = 300;
const GROUPS: usize = 50;
const APPS: usize = 500;
const DIRECT: usize = 50;

#[actix_web::main]
async fn main() {
    let app = bench_app::start("access").await;
    let mut conn = app.pool.get().unwrap();
    let now = clock::now();
    let workspace = workspaces::find_by_slug(&mut conn, "acme")
        .unwrap()
        .unwrap()
        .id;
    let email = Email::parse("grace.hopper@example.com").unwrap();
    let account = accounts::insert(
        &mut conn,
        &accounts::NewAccount {
            email: &email,
            first_name: "Grace",
            last_name: "Hopper",
            password_hash: None,
            org_role: OrgRole::Member,
        },
        now,
    )
    .unwrap();
    let role_id = roles::built_in_id(&mut conn, BuiltInRole::Member).unwrap();
    let member = memberships::insert(
        &mut conn,
        &memberships::NewMembership {
            workspace_id: workspace,
            account_id: account,
            role_id,
            status: MembershipStatus::Active,
            sort_name: &sort_key("Grace", "Hopper", email.as_str()),
            invited_by: None,
            joined_at: Some(now),
        },
        now,
    )
    .unwrap();
    let mut group_ids = Vec::new();
    for g in 0..GROUPS {
        let id = groups::insert(&mut conn, workspace, &format!("Group {g}"), "", now).unwrap();
        groups::add_members(&mut conn, id, &[member], now).unwrap();
        group_ids.push(id);
    }
    let ws = workspace.0;
    let levels = ["view", "run", "edit"];
    let mut sql = String::new();
    for a in 0..APPS {
        sql.push_str(&format!(
            "INSERT INTO apps (workspace_id, kind, name, created_at, updated_at) VALUES ({ws}, 'app', 'App {a}', '2026-01-01 00:00:00', '2026-01-01 00:00:00');"
        ));
    }
    conn.batch_execute(&sql).unwrap();
    // App ids follow insertion order from the first one.
    let first_app: i64 = {
        use admin_console::db::schema::apps;
        use diesel::prelude::*;
        apps::table
            .select(diesel::dsl::min(apps::id))
            .first::<Option<i64>>(&mut *conn)
            .unwrap()
            .unwrap()
    };
    let mut sql = String::new();
    for a in 0..APPS {
        let app_id = first_app + a as i64;
        if a < DIRECT {
            sql.push_str(&format!(
                "INSERT INTO grants (app_id, membership_id, level, created_at) VALUES ({app_id}, {}, '{}', '2026-01-01 00:00:00');",
                member.0,
                levels[a % 3]
            ));
        } else {
            sql.push_str(&format!(
                "INSERT INTO grants (app_id, group_id, level, created_at) VALUES ({app_id}, {}, '{}', '2026-01-01 00:00:00');",
                group_ids[a % GROUPS],
                levels[(a / 7) % 3]
            ));
        }
    }
    conn.batch_execute(&sql).unwrap();

    // The computation, as the tab's handler does it (one connection, no HTTP).
    let mut computed = Vec::with_capacity(ROUNDS);
    let mut rows = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let groups = memberships::groups_of(&mut conn, member).unwrap();
        let access = effective_access(apps::grants_reaching(&mut conn, workspace, member).unwrap());
        computed.push(started.elapsed());
        rows = access.len();
        assert_eq!(groups.len(), GROUPS);
    }
    assert_eq!(rows, APPS, "one effective line per app");
    drop(conn);
    bench_app::summary(
        &format!("Access tab computation ({GROUPS} groups, {APPS} grants → {rows} lines)"),
        &mut computed,
    );

    // The same tab over HTTP, as htmx asks for it.
    let url = format!(
        "{}/w/acme/users/{}/access",
        app.base,
        MembershipId(member.0)
    );
    let mut served = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let response = app
            .client
            .get(&url)
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body = response.text().await.unwrap();
        served.push(started.elapsed());
        assert!(body.contains("App 499"));
    }
    bench_app::summary("Access tab over HTTP (htmx fragment)", &mut served);
}
