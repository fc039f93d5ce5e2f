//! HTTP tests of the dormant-member filter (issue 18 §3) on each backend: `inactive_days=N` on the
//! users list, its CSV export and the API, never-active people included, removed ones not, with
//! the seats they hold said above the list.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use chrono::{Duration, Utc};

/// Grace active 10 days ago, Alan 40, Edsger 100; Barbara never (invited); Gone removed after 200.
fn app_people(app: &TestApp) {
    let people = [
        (
            "grace.hopper@example.com",
            MembershipStatus::Active,
            Some(10),
        ),
        (
            "alan.turing@example.com",
            MembershipStatus::Active,
            Some(40),
        ),
        (
            "edsger.dijkstra@example.com",
            MembershipStatus::Suspended,
            Some(100),
        ),
        (
            "barbara.liskov@example.com",
            MembershipStatus::Invited,
            None,
        ),
        (
            "gone.away@example.com",
            MembershipStatus::Removed,
            Some(200),
        ),
    ];
    for (email, status, days) in people {
        app.add_member(email, BuiltInRole::Member, status);
        let at = days.map_or("NULL".to_owned(), |d| {
            let at = Utc::now().naive_utc() - Duration::days(d);
            format!("'{}'", at.format("%Y-%m-%d %H:%M:%S"))
        });
        app.execute(&format!(
            "UPDATE memberships SET last_active_at = {at} WHERE account_id = \
             (SELECT id FROM accounts WHERE email = '{email}')"
        ));
    }
    // The owner was active just now.
    app.execute(&format!(
        "UPDATE memberships SET last_active_at = '{}' WHERE account_id = \
         (SELECT id FROM accounts WHERE email = '{OWNER_EMAIL}')",
        Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S")
    ));
}

/// The people a list page's table (or a CSV, or JSON) holds.
fn listed(page: &str) -> Vec<&'static str> {
    let page = page.find("<table").map_or(page, |start| &page[start..]);
    [
        OWNER_EMAIL,
        "grace.hopper@example.com",
        "alan.turing@example.com",
        "edsger.dijkstra@example.com",
        "barbara.liskov@example.com",
        "gone.away@example.com",
    ]
    .into_iter()
    .filter(|email| page.contains(email))
    .collect()
}

#[actix_web::test]
async fn the_list_finds_dormant_members_and_says_what_seats_they_hold() {
    let app = spawn_app().await;
    app.set_up().await;
    app_people(&app);

    let page = app.get_text("/w/acme/users?inactive_days=30").await;
    assert_eq!(
        listed(&page),
        [
            "alan.turing@example.com",
            "edsger.dijkstra@example.com",
            "barbara.liskov@example.com"
        ]
    );
    assert!(
        page.contains(
            "In this workspace, 3 people not active for 30 days (never-active ones included) hold a seat."
        ),
        "{page}"
    );
    assert!(page.contains("<option value=\"30\" selected>Not active for 30 days</option>"));

    let page = app.get_text("/w/acme/users?inactive_days=90").await;
    assert_eq!(
        listed(&page),
        ["edsger.dijkstra@example.com", "barbara.liskov@example.com"]
    );
    // Any number of days in the address, offered in the menu as chosen; other filters combine.
    let page = app
        .get_text("/w/acme/users?inactive_days=7&status=active&sort=-last_active")
        .await;
    assert_eq!(
        listed(&page),
        ["grace.hopper@example.com", "alan.turing@example.com"]
    );
    assert!(page.contains("<option value=\"7\" selected>Not active for 7 days</option>"));
    // Least recently active first: never-active people lead.
    let page = app
        .get_text("/w/acme/users?inactive_days=30&sort=last_active")
        .await;
    let barbara = page.find("barbara.liskov@example.com").unwrap();
    let edsger = page.find("edsger.dijkstra@example.com").unwrap();
    let alan = page.find("alan.turing@example.com").unwrap();
    assert!(barbara < edsger && edsger < alan);

    // Not a number of days from 1 to 3,650: nobody, and the page says why (not everyone).
    for wrong in ["abc", "0", "-5", "99999"] {
        let page = app
            .get_text(&format!("/w/acme/users?inactive_days={wrong}"))
            .await;
        assert!(!page.contains("<table"), "{wrong}: {page}");
        assert!(page.contains("Inactivity is in whole days"), "{page}");
        assert!(!page.contains("dormant-summary"));
    }
    // The removed member shows only with the Removed filter, dormant or not.
    let page = app
        .get_text("/w/acme/users?inactive_days=30&status=removed")
        .await;
    assert_eq!(listed(&page), ["gone.away@example.com"]);
}

#[actix_web::test]
async fn the_export_and_the_api_take_the_same_filter() {
    let app = spawn_app().await;
    app.set_up().await;
    app_people(&app);

    let csv = app.get_text("/w/acme/users.csv?inactive_days=30").await;
    assert_eq!(
        listed(&csv),
        [
            "alan.turing@example.com",
            "edsger.dijkstra@example.com",
            "barbara.liskov@example.com"
        ]
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'users.exported' AND changes LIKE '%\"inactive_days\":30%'"
        ),
        1
    );

    let key = app.api_key("Reports", &["users.view"]).await;
    let body = app
        .get_with_key("/api/v1/users?inactive_days=90", &key)
        .await;
    assert_eq!(
        listed(&body),
        ["edsger.dijkstra@example.com", "barbara.liskov@example.com"]
    );
}

/// A Member's role opens only their profile: signing in there is activity in each workspace they
/// are active in, so they are not dormant (nor "never active") to their admins.
#[actix_web::test]
async fn a_member_who_uses_only_their_profile_is_active() {
    let app = spawn_app().await;
    app.set_up().await;
    app_people(&app);
    let alan = app.new_client();
    let signed_in = alan
        .sign_in("alan.turing@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert!(
        alan.get_text("/me")
            .await
            .contains("alan.turing@example.com")
    );

    let page = app.get_text("/w/acme/users?inactive_days=30").await;
    assert_eq!(
        listed(&page),
        ["edsger.dijkstra@example.com", "barbara.liskov@example.com"],
        "Alan signed in just now"
    );
    // Signing in does not make a suspended membership active: Edsger stays listed.
    app.new_client()
        .sign_in("edsger.dijkstra@example.com", OWNER_PASSWORD)
        .await;
    let page = app.get_text("/w/acme/users?inactive_days=30").await;
    assert!(listed(&page).contains(&"edsger.dijkstra@example.com"));
}
