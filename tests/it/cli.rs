//! The command line: migrate, create-owner (password from stdin), seed-demo — against each backend.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::*;

fn console(db: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_admin-console"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("DATA_DIR", db.dir.join("cli-data"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run admin-console");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("admin-console finished")
}

#[actix_web::test]
async fn create_owner_then_sign_in_with_that_password() {
    let app = spawn_app().await;
    let out = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "Grace@Example.com",
            "--workspace",
            "labs",
            "--first-name",
            "Grace",
            "--last-name",
            "Hopper",
            "--organization",
            "Hopper Labs",
        ],
        "a long enough passphrase\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Created grace@example.com is an owner of /w/labs (new workspace)")
            && stdout.contains("Sign in at http://127.0.0.1:8080/login\n  (the address of `serve`"),
        "{stdout}"
    );
    assert_eq!(app.count("organization WHERE name = 'Hopper Labs'"), 1);

    // The install is set up now: /setup is closed and the owner signs in.
    assert_eq!(app.get("/setup").await.status().as_u16(), 404);
    let response = app
        .sign_in("grace@example.com", "a long enough passphrase")
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/w/labs/users");
    assert!(app.get_text("/w/labs/users").await.contains("Grace Hopper"));

    // Run again on the same account: the password is replaced (how an operator regains access),
    // and the sessions signed in with the old one end, gone from every list of them.
    assert!(app.count("sessions") >= 1);
    let out = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "grace@example.com",
            "--workspace",
            "labs",
            "--organization",
            "Another name",
        ],
        "another passphrase!\n",
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Updated grace@example.com"));
    // Set up already: the organization keeps its name, and the command says so.
    assert!(
        stdout.contains("--organization changed nothing"),
        "{stdout}"
    );
    assert_eq!(app.count("organization WHERE name = 'Hopper Labs'"), 1);
    assert_eq!(app.count("accounts"), 1);
    assert_eq!(app.count("memberships"), 1);
    assert_eq!(app.count("sessions"), 0);
    let fresh = app.new_client();
    assert_eq!(
        fresh
            .sign_in("grace@example.com", "a long enough passphrase")
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        fresh
            .sign_in("grace@example.com", "another passphrase!")
            .await
            .status()
            .as_u16(),
        303
    );

    // Regaining access to a blocked account with two-factor sign-in on: the block goes, and
    // two-factor stays unless asked (the output says how).
    app.execute(
        "UPDATE accounts SET status = 'blocked', totp_secret = 'sealed', totp_enabled_at = created_at \
         WHERE email = 'grace@example.com'",
    );
    let recover = |reset: bool| {
        let mut args = vec![
            "create-owner",
            "--email",
            "grace@example.com",
            "--workspace",
            "labs",
        ];
        if reset {
            args.push("--reset-two-factor");
        }
        console(&app.db, &args, "a third passphrase\n")
    };
    let out = recover(false);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("it is unblocked") && stdout.contains("--reset-two-factor"),
        "{stdout}"
    );
    assert_eq!(
        app.count("accounts WHERE status = 'active' AND totp_enabled_at IS NOT NULL"),
        1
    );
    let out = recover(true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Two-factor sign-in is off"), "{stdout}");
    // The organization's log has both, by the command line, as when an org admin does them.
    for action in ["account.unblocked", "account.two_factor_reset"] {
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = '{action}' AND workspace_id IS NULL \
                 AND actor_label = 'Command line'"
            )),
            1,
            "{action}"
        );
    }
    assert_eq!(
        app.count("accounts WHERE totp_enabled_at IS NULL AND totp_secret IS NULL"),
        1
    );
    assert_eq!(
        app.new_client()
            .sign_in("grace@example.com", "a third passphrase")
            .await
            .status()
            .as_u16(),
        303
    );
}

/// `create-owner` of a@example.com in `labs`.
const A_LABS_OWNER: [&str; 5] = [
    "create-owner",
    "--email",
    "a@example.com",
    "--workspace",
    "labs",
];

#[actix_web::test]
async fn create_owner_refuses_bad_input_and_writes_nothing() {
    let app = spawn_app().await;
    let weak = console(&app.db, &A_LABS_OWNER, "short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("a password needs 12"));
    let bad_email = console(
        &app.db,
        &["create-owner", "--email", "nope", "--workspace", "labs"],
        "long enough password\n",
    );
    assert!(!bad_email.status.success());
    assert!(String::from_utf8_lossy(&bad_email.stderr).contains("--email"));
    let bad_slug = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "a@example.com",
            "--workspace",
            "Not OK",
        ],
        "long enough password\n",
    );
    assert!(!bad_slug.status.success());
    for (flag, value, said) in [
        (
            "--first-name",
            "Gr\u{1}ace",
            "Remove the control characters",
        ),
        (
            "--last-name",
            &"x".repeat(101) as &str,
            "Use 100 characters at most",
        ),
    ] {
        let mut args = A_LABS_OWNER.to_vec();
        args.extend([flag, value]);
        let refused = console(&app.db, &args, "long enough password\n");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            !refused.status.success() && stderr.contains(flag) && stderr.contains(said),
            "{stderr}"
        );
    }
    let no_password = console(&app.db, &A_LABS_OWNER, "");
    assert!(!no_password.status.success());
    assert!(String::from_utf8_lossy(&no_password.stderr).contains("no password on standard input"));
    // Settings refused at start, each with what to give instead (no stray file, no panic).
    for (flag, value, said) in [
        (
            "--database-url",
            "mysql://app:pw@db/console",
            "unknown scheme mysql://",
        ),
        ("--database-url", "host=db password=pw", "key=value"),
        ("--base-url", "https://", "must name a host"),
        ("--base-url", "https://exa mple.com", "must name a host"),
        (
            "--base-url",
            "https://console.example.com?x=1",
            "no user name, `?` or `#`",
        ),
        (
            "--base-url",
            "https://h:notaport",
            "no user name, `?` or `#`",
        ),
        (
            "--base-url",
            "https://ops@console.example.com",
            "no user name",
        ),
        (
            "--invite-ttl-days",
            "100000",
            "INVITE_TTL_DAYS must be from 1 to 365",
        ),
    ] {
        let refused = console(&app.db, &["migrate", flag, value], "");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{flag} {value}");
        assert!(
            stderr.contains(said) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    assert_eq!(app.count("accounts"), 0);
    assert_eq!(app.count("workspaces"), 0);
}

#[actix_web::test]
async fn migrate_is_idempotent_and_seed_demo_fills_a_workspace() {
    let app = spawn_app().await;
    let out = console(&app.db, &["migrate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is up to date: 0 migration(s) applied"));

    // Logs go to stderr, in colour only on a terminal: a command's stdout is its output alone
    // (`KEY=$(admin-console api-key create …)`), even when it generates the keys on a first run.
    let fresh = Command::new(env!("CARGO_BIN_EXE_admin-console"))
        .arg("migrate")
        .env("DATABASE_URL", &app.db.url)
        .env("DATA_DIR", app.db.dir.join("fresh-data"))
        .env("RUST_LOG", "info")
        .output()
        .expect("run admin-console");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&fresh.stdout),
        String::from_utf8_lossy(&fresh.stderr),
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stderr.contains("generated a new session.key") && !stderr.contains('\u{1b}'),
        "{stderr}"
    );

    // What is wrong at start is said naming what was set; a key as `openssl rand -base64 64`
    // prints it (over two lines) is taken.
    let start = |name: &str, value: &str| {
        Command::new(env!("CARGO_BIN_EXE_admin-console"))
            .arg("migrate")
            .env("DATABASE_URL", &app.db.url)
            .env("DATA_DIR", app.db.dir.join("fresh-data"))
            .env(name, value)
            .output()
            .expect("run admin-console")
    };
    for (name, value, said) in [
        ("BIND", "", "BIND must be a host and a port"),
        ("BIND", ":8080", "BIND must be a host and a port"),
        ("BIND", "127.0.0.1:0", "lets the system pick the port"),
        ("DATABASE_URL", ":memory:", "in-memory SQLite database"),
    ] {
        let out = start(name, value);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(said),
            "{name}={value:?}: {stderr}"
        );
    }
    let key = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([3u8; 64])
    };
    let wrapped = format!("{}\n{}\n", &key[..64], &key[64..]);
    let out = start("SESSION_KEY", &wrapped);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A migration this binary does not know (a newer version's, before a downgrade) is said.
    app.execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000')");
    let older = console(&app.db, &["migrate"], "");
    assert!(older.status.success());
    let stderr = String::from_utf8_lossy(&older.stderr);
    assert!(
        stderr.contains("migrations this binary does not know")
            && stderr.contains("20991231000000"),
        "{stderr}"
    );
    app.execute("DELETE FROM __diesel_schema_migrations WHERE version = '20991231000000'");

    let out = console(
        &app.db,
        &["seed-demo", "--users", "2500", "--workspace", "demo"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.count("memberships"),
        2503,
        "2,500 members and 3 pending invitations"
    );
    assert_eq!(app.count("invitations"), 3);
    assert_eq!(app.count("outbox_emails"), 3);
    assert_eq!(app.count("groups"), 20);
    assert_eq!(app.count("apps"), 30);
    assert!(app.count("assets") >= 400);
    assert!(app.count("group_members") > 1500);
    assert_eq!(app.count("grants"), 60);
    assert_eq!(
        app.count("memberships WHERE role_id = (SELECT id FROM roles WHERE key = 'admin')"),
        25
    );
    // A new workspace keeps an active Owner, as every workspace does (PRODUCT §4).
    let owners = "memberships m JOIN accounts a ON a.id = m.account_id \
                  WHERE m.role_id = (SELECT id FROM roles WHERE key = 'owner') \
                  AND m.status = 'active' AND a.status = 'active' \
                  AND m.workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')";
    assert_eq!(app.count(owners), 1);
    // Counters kept by triggers agree with the rows.
    let active = app.count("memberships WHERE status = 'active'");
    assert_eq!(
        app.count(&format!(
            "workspaces WHERE slug = 'demo' AND active_count = {active}"
        )),
        1
    );

    // Seeding again adds more people with fresh emails.
    let out = console(
        &app.db,
        &["seed-demo", "--users", "100", "--workspace", "demo"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("memberships"), 2606);
    assert_eq!(app.count(owners), 1, "seeding again makes no other Owner");
    assert_eq!(app.count("groups"), 20, "groups are not duplicated");
    // Nobody to seed: refused, nothing made (a new workspace would have no Owner).
    let out = console(
        &app.db,
        &["seed-demo", "--users", "0", "--workspace", "none"],
        "",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 is not in 1.."));
    assert_eq!(app.count("workspaces WHERE slug = 'none'"), 0);
    // One person: no Member among them, and still an Owner.
    let out = console(
        &app.db,
        &["seed-demo", "--users", "1", "--workspace", "solo"],
        "",
    );
    assert!(out.status.success());
    assert_eq!(
        app.count(
            "memberships m JOIN roles r ON r.id = m.role_id JOIN workspaces w ON w.id = m.workspace_id \
             WHERE w.slug = 'solo' AND r.key = 'owner' AND m.status = 'active'"
        ),
        1
    );
    assert_eq!(
        app.count("workspaces WHERE slug = 'solo' AND active_count = 1"),
        1,
        "the counts the triggers keep hold"
    );
}

#[actix_web::test]
async fn purge_deletes_only_memberships_removed_over_fourteen_days_ago() {
    use admin_console::domain::membership::MembershipStatus;
    use admin_console::domain::role::BuiltInRole;
    let app = spawn_app().await;
    app.set_up().await;
    for email in ["old.removal@example.com", "recent.removal@example.com"] {
        app.add_member(email, BuiltInRole::Member, MembershipStatus::Removed);
    }
    let (old, recent) = (
        app.first_id("memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'old.removal@example.com')"),
        app.first_id("memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'recent.removal@example.com')"),
    );
    let ws = app.workspace_id("acme").0;
    // Ages injected as data: 15 and 13 days ago. What the old one owned stays, unassigned.
    let now = admin_console::clock::now();
    let at = |days: i64| {
        (now - chrono::Duration::days(days))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    app.execute(&format!(
        "UPDATE memberships SET removed_at = '{}' WHERE id = {old};
         UPDATE memberships SET removed_at = '{}' WHERE id = {recent};
         INSERT INTO apps (workspace_id, kind, name, owner_membership_id, unassigned_from_membership_id, restricted, created_at, updated_at)
         VALUES ({ws}, 'app', 'Left behind', NULL, {old}, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);",
        at(15),
        at(13)
    ));
    let out = console(&app.db, &["purge"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 removed membership(s) purged"));
    assert_eq!(app.count(&format!("memberships WHERE id = {old}")), 0);
    assert_eq!(app.count(&format!("memberships WHERE id = {recent}")), 1);
    assert_eq!(
        app.count("accounts WHERE email = 'old.removal@example.com'"),
        1,
        "the account stays"
    );
    assert_eq!(
        app.count("apps WHERE name = 'Left behind' AND owner_membership_id IS NULL"),
        1
    );
    assert_eq!(app.count("audit_events WHERE action = 'member.purged'"), 1);
    // Nothing more is due; a purged person can be invited again as new.
    let again = console(&app.db, &["purge"], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 removed membership(s) purged"));
    assert_eq!(
        app.invite("old.removal@example.com", "member")
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(app.count("memberships WHERE status = 'invited'"), 1);
}

/// `create-owner` takes a seat as an invitation does, and does not make a new workspace on a
/// renamed one's old URL name.
#[actix_web::test]
async fn create_owner_keeps_the_seat_limit_and_old_url_names() {
    let app = spawn_app().await;
    app.set_up().await;
    let invitees: Vec<String> = (1..=9).map(|i| format!("p{i}@example.com")).collect();
    assert_eq!(
        app.invite(&invitees.join(", "), "member")
            .await
            .status()
            .as_u16(),
        303
    );
    let full = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "new@example.com",
            "--workspace",
            "acme",
        ],
        "long enough password\n",
    );
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(
        !full.status.success() && stderr.contains("no free seat (Free plan: 10 of 10 used)"),
        "{stderr}"
    );
    assert_eq!(app.count("accounts WHERE email = 'new@example.com'"), 0);
    // Someone holding a seat already becomes the Owner.
    let promoted = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "p1@example.com",
            "--workspace",
            "acme",
        ],
        "long enough password\n",
    );
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );

    let csrf = app.csrf_token("/w/acme/settings").await;
    let renamed = app
        .post_form(
            "/w/acme/settings/slug",
            &[("csrf_token", csrf.as_str()), ("slug", "acme-main")],
        )
        .await;
    assert_eq!(renamed.status().as_u16(), 303);
    let old = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "p2@example.com",
            "--workspace",
            "acme",
        ],
        "long enough password\n",
    );
    let stderr = String::from_utf8_lossy(&old.stderr);
    assert!(
        !old.status.success() && stderr.contains("was renamed to /w/acme-main"),
        "{stderr}"
    );
    assert_eq!(app.count("workspaces"), 1);
}

/// `seed-demo` as the first command on a new SQLite file: the migrations and the seed share one
/// connection (an upgrade that renames tables opens SQLite's temporary storage, whose place the
/// seed then sets only outside its transaction).
#[actix_web::test]
async fn seed_demo_fills_a_new_sqlite_file() {
    if backend() != Backend::Sqlite {
        return;
    }
    let app = spawn_app().await;
    let file = app.db.dir.join("first.db");
    let out = Command::new(env!("CARGO_BIN_EXE_admin-console"))
        .args(["seed-demo", "--users", "50", "--workspace", "demo"])
        .env("DATABASE_URL", format!("sqlite://{}", file.display()))
        .env("DATA_DIR", app.db.dir.join("first-data"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run admin-console");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Added 50 members"));
}

/// create-owner on someone invited: the invitation is withdrawn (not left pointing at an active
/// Owner), they sort by their own names, and the organization's log says they became an org owner.
#[actix_web::test]
async fn create_owner_on_an_invitee_withdraws_the_invitation_and_logs_the_org_role() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(app.invite("inv@example.com", "member").await.status(), 303);
    assert_eq!(app.count("invitations"), 1);
    // Its email still waiting (SMTP down, say): once the worker is done with it, queued again
    // until much later.
    for _ in 0..100 {
        if app.count("outbox_emails WHERE to_address = 'inv@example.com' AND state = 'sent'") == 1 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.execute(
        "UPDATE outbox_emails SET state = 'queued', next_attempt_at = '2999-01-01 00:00:00' \
         WHERE to_address = 'inv@example.com'",
    );
    let out = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "inv@example.com",
            "--workspace",
            "acme",
            "--first-name",
            "Zed",
            "--last-name",
            "Zulu",
        ],
        "Invitee-pass-123456\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("invitations"), 0, "withdrawn, not left behind");
    assert_eq!(
        app.count("outbox_emails WHERE to_address = 'inv@example.com' AND state = 'failed' AND last_error LIKE 'cancelled%'"),
        1,
        "its email, not sent yet, is not sent"
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'member.owner_created' \
             AND changes LIKE '%\"invitation_withdrawn\":true%'"
        ),
        1
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'account.org_role_changed' AND workspace_id IS NULL \
             AND target_label = 'inv@example.com'"
        ),
        1
    );
    // An existing account joining another workspace sorts by its own names, not the flags'.
    let made = app
        .post_fields("/org/workspaces", &[("name", "Labs"), ("slug", "labs")])
        .await;
    assert_eq!(made.status().as_u16(), 303);
    app.add_member(
        "grace.hopper@example.com",
        admin_console::domain::role::BuiltInRole::Member,
        admin_console::domain::membership::MembershipStatus::Active,
    );
    let out = console(
        &app.db,
        &[
            "create-owner",
            "--email",
            "grace.hopper@example.com",
            "--workspace",
            "labs",
            "--first-name",
            "Zed",
            "--last-name",
            "Zulu",
        ],
        "Grace-pass-123456\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let labs = app.workspace_id("labs").0;
    assert_eq!(
        app.count(&format!(
            "memberships WHERE workspace_id = {labs} AND lower(sort_name) LIKE '%hopper%' \
             AND lower(sort_name) NOT LIKE '%zulu%'"
        )),
        1
    );
}
