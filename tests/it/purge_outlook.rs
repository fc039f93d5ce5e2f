//! HTTP tests of what the next purge deletes (issue 18 §5) on each backend: the organization's
//! workspaces page lists the memberships removed over 14 days ago, by workspace, with their dates;
//! a workspace's Removed filter says when each removed membership goes.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;
use chrono::{Duration, Utc};

fn removed_days_ago(app: &TestApp, email: &str, days: i64) {
    app.add_member(email, BuiltInRole::Member, MembershipStatus::Removed);
    let at = Utc::now().naive_utc() - Duration::days(days);
    app.execute(&format!(
        "UPDATE memberships SET removed_at = '{}' WHERE account_id = \
         (SELECT id FROM accounts WHERE email = '{email}')",
        at.format("%Y-%m-%d %H:%M:%S")
    ));
}

#[actix_web::test]
async fn the_pages_say_what_the_next_purge_deletes_before_it_runs() {
    let app = spawn_app().await;
    app.set_up().await;
    removed_days_ago(&app, "gone.long@example.com", 20);
    removed_days_ago(&app, "gone.lately@example.com", 3);

    let page = app.get_text("/org/workspaces").await;
    let section = &page[page
        .find("What the next purge deletes")
        .expect("the section")..];
    assert!(section.contains("gone.long@example.com") && section.contains("Acme HQ"));
    assert!(
        !section.contains("gone.lately@example.com"),
        "still restorable"
    );
    let due = (Utc::now().naive_utc() - Duration::days(6))
        .format("%-d %b %Y")
        .to_string();
    assert!(section.contains(&due), "restorable until {due}: {section}");

    let removed = app.get_text("/w/acme/users?status=removed").await;
    let long = removed.find("gone.long@example.com").unwrap();
    let lately = removed.find("gone.lately@example.com").unwrap();
    let goes = (Utc::now().naive_utc() + Duration::days(11))
        .format("%-d %b %Y")
        .to_string();
    assert!(
        removed[long..].contains("Deleted for good at the next daily purge"),
        "{removed}"
    );
    assert!(removed[lately..].contains(&format!("Can be restored until {goes}")));

    // Nothing due: said so.
    app.execute(
        "DELETE FROM memberships WHERE account_id = \
         (SELECT id FROM accounts WHERE email = 'gone.long@example.com')",
    );
    let page = app.get_text("/org/workspaces").await;
    assert!(page.contains("Nothing: no membership was removed more than 14 days ago."));
}
