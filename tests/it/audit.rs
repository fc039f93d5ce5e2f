//! HTTP tests of the audit log page (issue 5) on each backend: events in words with before → after,
//! filters by actor, target, action and dates, keyset pages, and who may read it.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

#[actix_web::test]
async fn the_log_reads_in_words_and_filters() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    let grace = app.first_id(
        "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')",
    );
    let csrf = app.csrf_token("/me").await;
    app.post_form(
        &format!("/w/acme/users/{grace}/role"),
        &[("csrf_token", csrf.as_str()), ("role", "admin")],
    )
    .await;
    app.post_form(
        &format!("/w/acme/users/{grace}/suspend"),
        &[("csrf_token", csrf.as_str())],
    )
    .await;

    let log = app.get_text("/w/acme/audit").await;
    assert!(
        log.contains("Ada Lovelace (ada@example.com) suspended grace.hopper@example.com"),
        "{log}"
    );
    assert!(
        log.contains("Ada Lovelace (ada@example.com) changed the role of grace.hopper@example.com")
    );
    assert!(log.contains("role: Member → Admin"));
    assert!(log.contains("status: active → suspended"));
    assert!(log.contains("href=\"/w/acme/audit\""), "in the navigation");

    let only = app.get_text("/w/acme/audit?action=member.suspended").await;
    assert!(only.contains("suspended grace") && !only.contains("changed the role"));
    let by_target = app.get_text("/w/acme/audit?target=GRACE").await;
    assert!(
        by_target.contains("suspended grace") && !by_target.contains("set up the organization")
    );
    let by_actor = app.get_text("/w/acme/audit?actor=nobody").await;
    assert!(by_actor.contains("No event matches these filters"));
    assert!(!by_actor.contains("Export CSV") && log.contains("Export CSV"));
    // By address too: the log names a person's address beside their name, which anyone can set
    // for themselves ("Scheduled task" acting is still Ada).
    let by_address = app.get_text("/w/acme/audit?actor=ada@example.com").await;
    assert!(by_address.contains("suspended grace"), "{by_address}");
    // Ada names herself, then acts on Grace.
    let renamed_then = |first: &'static str, last: &'static str, action: &'static str| {
        let app = &app;
        async move {
            let fields = [
                ("first_name", first),
                ("last_name", last),
                ("email", OWNER_EMAIL),
                ("timezone", "UTC"),
            ];
            let renamed = app.post_fields("/me/profile", &fields).await;
            assert_eq!(renamed.status().as_u16(), 303);
            app.post_fields(&format!("/w/acme/users/{grace}/{action}"), &[])
                .await;
            app.get_text(&format!("/w/acme/audit?action=member.{action}ed"))
                .await
        }
    };
    let log = renamed_then("Scheduled", "task", "unsuspend").await;
    assert!(
        log.contains("Scheduled task (ada@example.com) unsuspended grace"),
        "{log}"
    );
    // A name holding an address could pose as someone else's: the address alone is logged.
    let log = renamed_then("Grace", "(grace.hopper@example.com)", "suspend").await;
    assert!(
        log.contains("ada@example.com suspended grace")
            && !log.contains("(grace.hopper@example.com) suspended"),
        "{log}"
    );
    let future = app.get_text("/w/acme/audit?from=2999-01-01").await;
    assert!(future.contains("No event matches these filters") && !future.contains("swap them"));
    let reversed = app
        .get_text("/w/acme/audit?from=2026-03-02&to=2026-03-01")
        .await;
    assert!(reversed.contains("The “From” date is after the “to” date: swap them."));
    // A day that is not one, or an action the log does not know, matches nothing and is said
    // (it is not dropped, which would show every event); the CSV refuses it.
    for (query, said) in [
        ("from=2026-13-40", "“2026-13-40” is not a date"),
        ("to=yesterday", "“yesterday” is not a date"),
        // Before PostgreSQL's first timestamp (4713 BC): refused, not a server error.
        ("from=-5000-01-01", "“-5000-01-01” is not a date"),
        (
            "action=invited",
            "“invited” is not an action the log records",
        ),
        ("from=%2B2026-12-01", "“+2026-12-01” is not a date"),
        // Nothing but a control character: no filter to apply, not everyone.
        ("actor=%00", "cannot be searched for"),
        ("target=%01%02", "cannot be searched for"),
    ] {
        let page = app.get_text(&format!("/w/acme/audit?{query}")).await;
        assert!(
            page.contains(said) && !page.contains("suspended grace"),
            "{query}: {page}"
        );
        assert!(!page.contains("Export CSV"), "nothing to export: {query}");
        let csv = app.get(&format!("/w/acme/audit.csv?{query}")).await;
        assert_eq!(csv.status().as_u16(), 422, "{query}");
    }
    // A page's place that is no event's id is no address of a page.
    for bad in ["abc", "-3", "0"] {
        let page = app.get(&format!("/w/acme/audit?before={bad}")).await;
        assert_eq!(page.status().as_u16(), 400, "{bad}");
    }
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let dated = app
        .get_text(&format!("/w/acme/audit?from={today}&to={today}"))
        .await;
    assert!(dated.contains("suspended grace"));
    // Wildcards are taken literally.
    assert!(
        app.get_text("/w/acme/audit?actor=%25")
            .await
            .contains("No event matches")
    );
}

#[actix_web::test]
async fn older_events_come_in_keyset_pages() {
    let app = spawn_app().await;
    app.set_up().await;
    let ws = app.workspace_id("acme").0;
    for i in 0..60 {
        app.execute(&format!(
            "INSERT INTO audit_events (workspace_id, actor_label, action, target_type, target_label, changes, created_at)
             VALUES ({ws}, 'Robot {i}', 'users.exported', 'workspace', 'acme', '{{}}', CURRENT_TIMESTAMP)"
        ));
    }
    let first = app.get_text("/w/acme/audit").await;
    assert!(first.contains("Robot 59 exported the users list"));
    assert!(!first.contains("Robot 9 exported"));
    let start = first.find("rel=\"next\" href=\"").expect("an older page") + 17;
    let older = first[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let second = app.get_text(&older).await;
    assert!(second.contains("Robot 9 exported") && !second.contains("Robot 59 exported"));
    // An older page leads back to the newest events; the newest page needs no such link.
    assert!(!first.contains("← Newest"));
    assert!(second.contains("href=\"/w/acme/audit?"), "{second}");
    assert!(second.contains("← Newest"));
}

#[actix_web::test]
async fn only_those_with_audit_view_read_it() {
    let app = spawn_with_member(
        "audrey.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "mark.member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let auditor = app.new_client();
    auditor
        .sign_in("audrey.auditor@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(auditor.get("/w/acme/audit").await.status().as_u16(), 200);
    let member = app.new_client();
    member
        .sign_in("mark.member@example.com", OWNER_PASSWORD)
        .await;
    let refused = member.get("/w/acme/audit").await;
    assert!(matches!(refused.status().as_u16(), 303 | 403));
    assert!(!member.get_text("/me").await.contains("/w/acme/audit"));
}

#[actix_web::test]
async fn the_csv_has_the_filters_and_defuses_formulas() {
    let app = spawn_app().await;
    app.set_up().await;
    let ws = app.workspace_id("acme").0;
    app.execute(&format!(
        "INSERT INTO audit_events (workspace_id, actor_label, action, target_type, target_label, changes, created_at)
         VALUES ({ws}, '=HYPERLINK(\"x\")', 'member.suspended', 'account', '+evil@example.com', '{{\"status\":{{\"before\":\"active\",\"after\":\"suspended\"}}}}', CURRENT_TIMESTAMP)"
    ));
    let response = app.get("/w/acme/audit.csv?action=member.suspended").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("acme-audit-")
    );
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id", "time", "actor", "action", "target", "event", "changes", "ip"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "only the filtered action");
    assert_eq!(&rows[0][2], "'=HYPERLINK(\"x\")");
    assert_eq!(&rows[0][3], "member.suspended");
    assert_eq!(&rows[0][4], "'+evil@example.com");
    assert_eq!(&rows[0][6], "status: active → suspended");
    assert!(
        app.get_text("/w/acme/audit")
            .await
            .contains("/w/acme/audit.csv?")
    );
}

#[actix_web::test]
async fn organization_wide_events_are_for_org_owners_and_admins() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    app.new_client().sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let org = app.get_text("/org/audit").await;
    assert!(
        org.contains("Ada Lovelace (ada@example.com) signed in"),
        "{org}"
    );
    // Its action menu offers what it holds, not a workspace's actions; one asked by address
    // stays offered (selected), matching nothing.
    let option = |key: &str| format!("<option value=\"{key}\"");
    assert!(org.contains(&option("session.signed_in")), "{org}");
    assert!(!org.contains(&option("group.created")) && !org.contains(&option("member.suspended")));
    let asked = app.get_text("/org/audit?action=group.created").await;
    assert!(
        asked.contains("<option value=\"group.created\" selected"),
        "{asked}"
    );
    // A workspace's menu likewise: what its log holds, not the organization's sign-ins.
    let workspace = app.get_text("/w/acme/audit").await;
    assert!(
        workspace.contains(&option("organization.set_up"))
            && !workspace.contains(&option("session.signed_in"))
            && !workspace.contains(&option("group.created")),
        "{workspace}"
    );
    let csv = app.get("/org/audit.csv").await;
    assert_eq!(csv.status().as_u16(), 200);
    // A workspace Admin is not an org admin.
    let admin = app.new_client();
    admin
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(admin.get("/org/audit").await.status().as_u16(), 403);
    assert_eq!(admin.get("/org/audit.csv").await.status().as_u16(), 403);
}

#[actix_web::test]
async fn the_organizations_log_is_in_time_order_with_events_copied_from_a_deleted_workspace() {
    let app = spawn_app().await;
    app.set_up().await;
    app.invite("alan@example.com", "member").await;
    let alan = app.membership_of("alan@example.com");
    let blocked = app
        .post_fields(
            &format!("/w/acme/users/{alan}/block"),
            &[("reason", "fraud investigation")],
        )
        .await;
    assert_eq!(blocked.status().as_u16(), 303);
    // Later, an event of the organization's own; then the workspace goes, and the block is
    // copied into the organization's log (a newer id) with its own, earlier, time.
    app.new_client().sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let signed_in = app.first_id(
        "audit_events WHERE action = 'session.signed_in' \
         AND id = (SELECT max(id) FROM audit_events WHERE action = 'session.signed_in')",
    );
    let deleted = app
        .post_fields("/w/acme/settings/delete", &[("confirm", "acme")])
        .await;
    assert_eq!(deleted.status().as_u16(), 303);
    assert!(
        app.first_id("audit_events WHERE action = 'account.blocked' AND workspace_id IS NULL")
            > signed_in
    );

    let log = app.get_text("/org/audit").await;
    let at = |words: &str| log.find(words).unwrap_or_else(|| panic!("{words}: {log}"));
    assert!(at("deleted the workspace") < at("signed in"));
    assert!(at("signed in") < at("blocked alan@example.com"), "{log}");
    // The next page after the sign-in starts with what came before it in time.
    let older = app
        .get_text(&format!("/org/audit?before={signed_in}"))
        .await;
    assert!(
        older.contains("blocked alan@example.com") && !older.contains("deleted the workspace"),
        "{older}"
    );
}

#[actix_web::test]
async fn the_log_names_lists_and_says_times_in_words() {
    let app = spawn_app().await;
    app.set_up().await;
    let group = app
        .post_fields("/w/acme/groups", &[("name", "Finance")])
        .await;
    assert_eq!(group.status().as_u16(), 303);
    let group_id = app.first_id("groups").to_string();
    let invited = app
        .post_fields(
            "/w/acme/invitations",
            &[
                ("emails", "grace@example.com"),
                ("role", "member"),
                ("group_id", &group_id),
            ],
        )
        .await;
    assert_eq!(invited.status().as_u16(), 303);
    let log = app.get_text("/w/acme/audit").await;
    assert!(log.contains("groups: Finance"), "groups named");
    assert!(log.contains("apps: none"), "an empty list in words");
    assert!(
        !log.contains("expires at: 20") && log.contains(" UTC"),
        "the expiry in the reader's zone, not as stored"
    );
}
