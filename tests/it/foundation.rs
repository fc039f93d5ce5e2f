//! HTTP tests of the foundation: setup, sign-in/out, CSRF, headers, redirects, access checks.
//! Run once per backend: `TEST_BACKEND=sqlite` (default) and `TEST_BACKEND=postgres`.

use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
    // HEAD as GET, without a body (a balancer's health check may use either).
    for path in ["/healthz", "/readyz", "/static/app.css"] {
        let head = reqwest::Client::new()
            .head(app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status().as_u16(), 200, "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
        // Another method is refused as one (405 with what is allowed), not as a missing CSRF token.
        let post = reqwest::Client::new()
            .post(app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status().as_u16(), 405, "{path}");
        assert_eq!(post.headers().get("allow").unwrap(), "GET, HEAD", "{path}");
    }
}

#[actix_web::test]
async fn console_pages_answer_head_as_get_without_the_body() {
    let app = spawn_app().await;
    app.set_up().await;
    let head = |path: &'static str| {
        let request = app.client.head(app.url(path));
        async move { request.send().await.unwrap() }
    };
    for path in ["/me", "/w/acme/users", "/w/acme/presence"] {
        let answer = head(path).await;
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        let kind = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(answer.bytes().await.unwrap().is_empty(), "{path}");
        let get = app.get(path).await;
        if path != "/w/acme/presence" {
            assert_eq!(get.headers()["content-type"], kind.as_str(), "{path}");
        }
    }
    // The presence stream's HEAD answers its headers at once, with no stream behind them.
    assert_eq!(
        head("/w/acme/presence").await.headers()["content-type"],
        "text/event-stream"
    );
    // A download is not run for a HEAD (it would be recorded as an export nobody received).
    assert_eq!(head("/w/acme/users.csv").await.status().as_u16(), 404);
    assert_eq!(app.count("audit_events WHERE action = 'users.exported'"), 0);
    // Refused as GET is.
    let head_as = |who: &TestApp| {
        let request = who.client.head(app.url("/w/acme/users"));
        async move { request.send().await.unwrap() }
    };
    let stranger = app.new_client();
    let answer = head_as(&stranger).await;
    assert_eq!(answer.status().as_u16(), 303);
    assert_eq!(location(&answer), "/login?next=%2Fw%2Facme%2Fusers");
    // A Member (their role opens no page of the console) is sent to their profile, as by GET.
    app.add_member(
        "mia@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    let member = app.new_client();
    assert_eq!(
        member
            .sign_in("mia@example.com", OWNER_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    let answer = head_as(&member).await;
    assert_eq!(answer.status().as_u16(), 303);
    assert_eq!(location(&answer), "/me");
    let login = stranger
        .client
        .head(app.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    assert_eq!(head("/w/acme/nothing-here").await.status().as_u16(), 404);
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/setup", "/healthz", "/static/app.css", "/nowhere"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY", "{path}");
        assert_eq!(
            h.get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin", "{path}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "not over plain http"
        );
    }
    // Reached over https: browsers are told to keep to it.
    let app = spawn_app_with(|s| s.base_url = "https://console.example".to_owned()).await;
    let response = app.get("/healthz").await;
    assert_eq!(
        response.headers().get("strict-transport-security").unwrap(),
        "max-age=31536000"
    );
}

#[actix_web::test]
async fn pages_have_no_inline_script_or_style() {
    let app = spawn_app().await;
    let html = app.get_text("/setup").await;
    assert!(
        !html.contains("<style"),
        "inline <style> would break the CSP"
    );
    assert!(
        !html.contains(" style=\""),
        "style attributes would break the CSP"
    );
    for chunk in html.split("<script").skip(1) {
        assert!(
            chunk.trim_start().starts_with("src="),
            "inline <script> would break the CSP"
        );
    }
}

#[actix_web::test]
async fn static_files_are_served_from_the_binary_with_types_and_caching() {
    let app = spawn_app().await;
    let html = app.get_text("/setup").await;
    let start = html
        .find("/static/htmx.min.js?v=")
        .expect("versioned htmx link");
    let url = html[start..].split('"').next().unwrap();
    let response = app.get(url).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/javascript; charset=utf-8"
    );
    assert!(
        response
            .headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        response.text().await.unwrap().contains("2.0.11"),
        "pinned htmx 2.0.11"
    );
    let css = app.get("/static/app.css").await;
    assert_eq!(
        css.headers().get("content-type").unwrap(),
        "text/css; charset=utf-8"
    );
    assert_eq!(
        app.get("/static/htmx.LICENSE.txt").await.status().as_u16(),
        200
    );
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status().as_u16(),
        404
    );
}

#[actix_web::test]
async fn a_fresh_install_sends_visitors_to_setup() {
    let app = spawn_app().await;
    let root = app.get("/").await;
    assert_eq!(root.status().as_u16(), 303);
    assert_eq!(location(&root), "/setup");
    let login = app.get("/login").await;
    assert_eq!(location(&login), "/setup");
    assert_eq!(app.get("/setup").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn setup_creates_organization_workspace_and_owner_then_closes() {
    let app = spawn_app().await;
    let csrf = app.csrf_token("/setup").await;
    let response = app.post_form("/setup", &setup_form(&app, &csrf)).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/w/acme/users");

    // Signed in as the owner straight away.
    let list = app.get_text("/w/acme/users").await;
    assert!(list.contains("Ada Lovelace") && list.contains(OWNER_EMAIL));
    assert!(list.contains("Owner"));
    assert!(
        list.contains("Acme Corporation"),
        "organization in the header"
    );

    assert_eq!(app.count("accounts"), 1);
    assert_eq!(app.count("workspaces"), 1);
    assert_eq!(app.count("memberships"), 1);
    assert_eq!(
        app.count("audit_events"),
        1,
        "setup writes exactly one audit event"
    );

    // Gone for everyone from now on.
    assert_eq!(app.get("/setup").await.status().as_u16(), 404);
    let stranger = app.new_client();
    assert_eq!(stranger.get("/setup").await.status().as_u16(), 404);
    let csrf = stranger.csrf_token("/login").await;
    let again = stranger.post_form("/setup", &setup_form(&app, &csrf)).await;
    assert_eq!(again.status().as_u16(), 404);
    assert_eq!(app.count("accounts"), 1);
}

/// Setup asks for the code the server printed when it started, from everyone (through a proxy,
/// or a page playing DNS tricks on a browser on the server itself, a request can look local):
/// whoever reaches a new install first cannot make it theirs. Read loosely (case, dashes).
#[actix_web::test]
async fn setup_asks_for_the_code_the_server_printed() {
    let app = spawn_app().await;
    assert!(app.get_text("/setup").await.contains("name=\"setup_code\""));
    let csrf = app.csrf_token("/setup").await;
    let code = admin_console::tokens::setup_code(&app.settings.session_key);
    let with_code = |typed: &str| {
        let mut form = setup_form(&app, &csrf);
        form.retain(|(key, _)| *key != "setup_code");
        form.push(("setup_code", typed.to_owned()));
        form
    };
    for (typed, said) in [
        ("", "Enter the setup code"),
        ("abcd-efgh-jkmn", "That is not the setup code"),
    ] {
        let refused = app.post_form("/setup", &with_code(typed)).await;
        assert_eq!(refused.status().as_u16(), 422, "{typed}");
        let page = refused.text().await.unwrap();
        assert!(
            page.contains(said) && page.contains("Acme Corporation"),
            "{page}"
        );
        assert_eq!(app.count("accounts"), 0);
    }
    let loose = code.to_uppercase().replace('-', " ");
    let done = app.post_form("/setup", &with_code(&loose)).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(app.count("accounts"), 1);
}

#[actix_web::test]
async fn setup_with_bad_input_shows_messages_beside_fields_and_writes_nothing() {
    let app = spawn_app().await;
    let csrf = app.csrf_token("/setup").await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("organization_name", "Acme <b>Corp</b>"),
        ("workspace_name", "   "),
        ("workspace_slug", "Not A Slug!"),
        ("email", "ada-at-example.com"),
        ("first_name", ""),
        ("last_name", "Lovelace"),
        ("password", "short"),
    ];
    let response = app.post_form("/setup", &form).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"workspace_name-error\""),
        "workspace name message"
    );
    assert!(html.contains("id=\"workspace_slug-error\""), "slug message");
    assert!(html.contains("Use only lower-case letters"));
    assert!(html.contains("id=\"email-error\""));
    assert!(html.contains("Enter a valid email address"));
    assert!(html.contains("id=\"first_name-error\""));
    assert!(html.contains("id=\"password-error\""));
    assert!(html.contains("Too short: that is"));
    assert!(
        !html.contains("id=\"last_name-error\""),
        "valid fields get no message"
    );
    // Kept as typed (escaped), except the password.
    assert!(
        html.contains("value=\"Acme &#60;b&#62;Corp&#60;/b&#62;\"")
            || html.contains("value=\"Acme &lt;b&gt;Corp&lt;/b&gt;\"")
    );
    assert!(html.contains("value=\"ada-at-example.com\""));
    assert!(html.contains("value=\"Not A Slug!\""));
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never echoed"
    );
    assert_eq!(app.count("accounts"), 0);
    assert_eq!(app.count("workspaces"), 0);
    assert_eq!(app.count("audit_events"), 0);
}

#[actix_web::test]
async fn setup_refuses_a_taken_slug_beside_the_field() {
    let app = spawn_app().await;
    // A workspace without accounts (as a seed or import could leave): its slug is taken.
    app.execute(
        "INSERT INTO workspaces (name, slug, plan, seat_limit, created_at, updated_at)
         VALUES ('Old', 'acme', 'free', 10, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    );
    let csrf = app.csrf_token("/setup").await;
    let response = app.post_form("/setup", &setup_form(&app, &csrf)).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("That URL name is taken"));
    assert!(html.contains("id=\"workspace_slug-error\""));
    assert_eq!(app.count("accounts"), 0);
    assert_eq!(app.count("workspaces"), 1);
    // Left empty, the name suggested from the workspace's is the one taken, and shown so.
    app.execute("UPDATE workspaces SET slug = 'acme-hq'");
    let mut form = setup_form(&app, &csrf);
    form.retain(|(key, _)| *key != "workspace_slug");
    form.push(("workspace_slug", String::new()));
    let response = app.post_form("/setup", &form).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("value=\"acme-hq\"") && html.contains("That URL name is taken"),
        "{html}"
    );
}

/// `seed-demo` before the setup makes people nobody can sign in as: the setup stays open.
#[actix_web::test]
async fn seeding_before_the_setup_leaves_it_open() {
    let app = spawn_app().await;
    let slug = admin_console::domain::Slug::parse("demo").unwrap();
    admin_console::services::seed::seed_demo(&mut app.conn(), &slug, 5, |_| {}).unwrap();
    assert!(app.count("accounts") >= 5);
    assert_eq!(location(&app.get("/").await), "/setup");
    // An address a seeded account has is said beside the field.
    let seeded = app.first_id("accounts");
    app.execute(&format!(
        "UPDATE accounts SET email = 'seeded@example.com' WHERE id = {seeded}"
    ));
    let seeded = "seeded@example.com".to_owned();
    let csrf = app.csrf_token("/setup").await;
    let mut form = setup_form(&app, &csrf);
    form.retain(|(key, _)| *key != "email");
    form.push(("email", seeded));
    let taken = app.post_form("/setup", &form).await;
    assert_eq!(taken.status().as_u16(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("This address has an account already")
    );
    app.set_up().await;
    assert_eq!(app.get("/setup").await.status().as_u16(), 404);
    assert_eq!(app.get("/w/acme/users").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let _ = app.csrf_token("/setup").await;
    let mut form = setup_form(&app, "");
    form.retain(|(k, _)| *k != "csrf_token");
    let missing = app.post_form("/setup", &form).await;
    assert_eq!(missing.status().as_u16(), 403);
    let wrong = app
        .post_form("/setup", &setup_form(&app, "forged-token"))
        .await;
    assert_eq!(wrong.status().as_u16(), 403);
    // A token from another session does not work either.
    let other = app.new_client();
    let foreign = other.csrf_token("/setup").await;
    assert_eq!(
        app.post_form("/setup", &setup_form(&app, &foreign))
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(app.count("accounts"), 0);

    // The header form (htmx) is accepted in place of the field.
    let csrf = app.csrf_token("/setup").await;
    let mut form = setup_form(&app, "");
    form.retain(|(k, _)| *k != "csrf_token");
    let body = serde_html_form::to_string(&form).unwrap();
    let response = app
        .client
        .post(app.url("/setup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-csrf-token", csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.count("accounts"), 1);
}

#[actix_web::test]
async fn an_oversized_body_gets_413() {
    let app = spawn_app().await;
    let csrf = app.csrf_token("/setup").await;
    let huge = "x".repeat(300 * 1024);
    let response = app
        .post_form(
            "/setup",
            &[
                ("csrf_token", csrf.as_str()),
                ("organization_name", huge.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 413);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<h1") && page.contains("Nothing was changed: this form sent more"),
        "a page that says why and what to do: {page}"
    );
    assert_eq!(app.count("accounts"), 0);
    // From htmx (the invite dialog's 12,000 pasted addresses): the words in the page's flash area.
    app.set_up().await;
    let big = (0..12_000)
        .map(|i| format!("person{i}@example.com"))
        .collect::<Vec<_>>()
        .join("\n");
    let response = app
        .client
        .post(app.url("/w/acme/invitations"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", app.csrf_token("/w/acme/users").await)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string([("emails", big.as_str()), ("role", "member")]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(response.headers()["hx-retarget"], "#flash");
    let words = response.text().await.unwrap();
    assert!(
        words.starts_with("<div class=\"alert alert-error\" role=\"alert\">Nothing was changed"),
        "{words}"
    );
    assert_eq!(app.count("invitations"), 0);
}

#[actix_web::test]
async fn sign_in_renews_the_session_and_follows_only_local_next_paths() {
    let app = spawn_app().await;
    app.set_up().await;
    app.sign_out().await;

    let visitor = app.new_client();
    let redirect = visitor.get("/w/acme/users?q=ada").await;
    assert_eq!(redirect.status().as_u16(), 303);
    assert_eq!(
        location(&redirect),
        "/login?next=%2Fw%2Facme%2Fusers%3Fq%3Dada"
    );

    let login_page = visitor
        .get("/login?next=%2Fw%2Facme%2Fusers%3Fq%3Dada")
        .await;
    let before = login_page
        .cookies()
        .find(|c| c.name() == "console_session")
        .expect("anonymous session cookie")
        .value()
        .to_owned();
    let csrf = csrf_in(&login_page.text().await.unwrap());
    let response = visitor
        .post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", "ADA@example.com"),
                ("password", OWNER_PASSWORD),
                ("next", "/w/acme/users?q=ada"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/w/acme/users?q=ada");
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    assert!(
        !set_cookie.contains("Secure"),
        "plain http base URL: no Secure flag"
    );
    // Session fixation: the pre-sign-in cookie must not become a signed-in session.
    let planted = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let with_old_cookie = planted
        .get(app.url("/w/acme/users"))
        .header("cookie", format!("console_session={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_old_cookie.status().as_u16(),
        303,
        "session id renewed at sign-in"
    );
    assert_eq!(
        visitor.get("/w/acme/users?q=ada").await.status().as_u16(),
        200
    );

    // A foreign `next` is ignored.
    let third = app.new_client();
    let csrf = third.csrf_token("/login").await;
    let response = third
        .post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/w/acme/users");
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_get_the_same_generic_message() {
    let app = spawn_app().await;
    app.set_up().await;
    let visitor = app.new_client();
    let csrf = visitor.csrf_token("/login").await;
    let wrong = visitor
        .post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", OWNER_EMAIL),
                ("password", "not the password"),
            ],
        )
        .await;
    let wrong_status = wrong.status().as_u16();
    let wrong_html = wrong.text().await.unwrap();
    let unknown = visitor
        .post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", "nobody@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    let unknown_status = unknown.status().as_u16();
    let unknown_html = unknown.text().await.unwrap();
    assert_eq!(wrong_status, 401);
    assert_eq!(unknown_status, wrong_status);
    let message = "The email or password is not correct.";
    assert!(wrong_html.contains(message) && unknown_html.contains(message));
    assert!(
        !wrong_html.contains("not the password"),
        "password never echoed"
    );
    assert_eq!(
        visitor.get("/w/acme/users").await.status().as_u16(),
        303,
        "still signed out"
    );
}

#[actix_web::test]
async fn sign_in_form_validates_the_email_beside_the_field() {
    let app = spawn_app().await;
    app.set_up().await;
    let visitor = app.new_client();
    let csrf = visitor.csrf_token("/login").await;
    let response = visitor
        .post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", "not an email"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"email-error\"") && html.contains("id=\"password-error\""));
    assert!(html.contains("value=\"not an email\""));
}

#[actix_web::test]
async fn sign_out_ends_the_session() {
    let app = spawn_app().await;
    app.set_up().await;
    let sessions_before = app.count("sessions");
    let response = app.sign_out().await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/login?signed_out=1");
    assert!(
        app.get_text("/login?signed_out=1")
            .await
            .contains("You have signed out.")
    );
    let after = app.get("/w/acme/users").await;
    assert_eq!(after.status().as_u16(), 303);
    assert!(location(&after).starts_with("/login?next="));
    assert!(
        app.count("sessions") <= sessions_before,
        "the signed-in session row is gone"
    );
}

#[actix_web::test]
async fn sessions_are_stored_server_side_by_hash_only() {
    let app = spawn_app().await;
    app.set_up().await;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key_hash: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        account_id: Option<i64>,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT key_hash, account_id FROM sessions")
        .load(&mut *app.conn())
        .unwrap();
    let signed_in: Vec<&Row> = rows.iter().filter(|r| r.account_id.is_some()).collect();
    assert_eq!(signed_in.len(), 1, "one signed-in session");
    assert_eq!(signed_in[0].key_hash.len(), 64, "SHA-256 hex, not the key");
}

#[actix_web::test]
async fn a_blocked_account_is_refused_on_its_very_next_request() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(app.get("/w/acme/users").await.status().as_u16(), 200);
    app.execute("UPDATE accounts SET status = 'blocked'");
    let response = app.get("/w/acme/users").await;
    assert_eq!(response.status().as_u16(), 303);
    assert!(location(&response).starts_with("/login"));
    // And cannot sign in again.
    let response = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.text().await.unwrap().contains("blocked"));
}

#[actix_web::test]
async fn a_suspended_member_is_refused_in_that_workspace_at_once() {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Active,
    )
    .await;
    let grace = app.new_client();
    assert_eq!(
        grace
            .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    app.execute("UPDATE memberships SET status = 'suspended' WHERE account_id = (SELECT id FROM accounts WHERE email = 'grace.hopper@example.com')");
    let response = grace.get("/w/acme/users").await;
    assert_eq!(response.status().as_u16(), 403);
    assert!(response.text().await.unwrap().contains("suspended"));
}

#[actix_web::test]
async fn members_are_sent_to_their_profile_and_auditors_read_the_list() {
    let app = spawn_with_member(
        "linus.member@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    )
    .await;
    app.add_member(
        "ken.auditor@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );

    let member = app.new_client();
    let response = member
        .sign_in("linus.member@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(location(&response), "/me");
    let redirect = member.get("/w/acme/users").await;
    assert_eq!(redirect.status().as_u16(), 303);
    assert_eq!(location(&redirect), "/me");
    let profile = member.get_text("/me").await;
    assert!(profile.contains("linus.member@example.com"));
    assert!(
        !profile.contains("href=\"/w/acme/users\""),
        "no console link for a Member"
    );

    let auditor = app.new_client();
    let response = auditor
        .sign_in("ken.auditor@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(location(&response), "/w/acme/users");
    let list = auditor.get_text("/w/acme/users").await;
    assert!(list.contains("Ada Lovelace"));
}

#[actix_web::test]
async fn strangers_and_unknown_workspaces_get_404() {
    let app = spawn_app().await;
    app.set_up().await;
    assert_eq!(app.get("/w/nope/users").await.status().as_u16(), 404);
    assert_eq!(app.get("/definitely/not/here").await.status().as_u16(), 404);
}

#[actix_web::test]
async fn concurrent_setups_create_exactly_one_owner() {
    let app = spawn_app().await;
    let mut attempts = Vec::new();
    for i in 0..6 {
        let client = app.new_client();
        let csrf = client.csrf_token("/setup").await;
        let mut form = setup_form(&app, &csrf);
        attempts.push(async move {
            for (k, v) in form.iter_mut() {
                if *k == "email" {
                    *v = format!("owner{i}@example.com");
                }
                if *k == "workspace_slug" {
                    *v = format!("ws-{i}");
                }
            }
            client.post_form("/setup", &form).await.status().as_u16()
        });
    }
    let statuses = crate::common::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 303 || *s == 404),
        "{statuses:?}"
    );
    assert_eq!(app.count("accounts"), 1);
    assert_eq!(app.count("workspaces"), 1);
}

#[actix_web::test]
async fn the_session_cookie_is_secure_when_people_use_https() {
    let app = spawn_app_with(|s| s.base_url = "https://console.example.com".to_owned()).await;
    let response = app.get("/setup").await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn reading_pages_does_not_write_the_session() {
    let app = spawn_app().await;
    app.set_up().await;
    // The first workspace page records the workspace in the session (a write, once).
    assert_eq!(app.get("/w/acme/users").await.status().as_u16(), 200);
    // Seen 10 seconds ago: within the minute, so no activity write is due either.
    let recent = (admin_console::clock::now() - chrono::Duration::seconds(10))
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string();
    app.execute(&format!(
        "UPDATE sessions SET last_seen_at = '{recent}' WHERE account_id IS NOT NULL"
    ));
    for path in [
        "/w/acme/users",
        "/w/acme/users?q=ada",
        "/me",
        "/w/acme/invitations/new",
    ] {
        assert_eq!(app.get(path).await.status().as_u16(), 200, "{path}");
    }
    assert_eq!(
        app.count(&format!(
            "sessions WHERE account_id IS NOT NULL AND last_seen_at = '{recent}'"
        )),
        1,
        "a page view must not rewrite the session row"
    );
}

#[actix_web::test]
async fn signed_out_visitors_write_no_session_rows_and_sign_in_makes_one() {
    let app = spawn_app().await;
    app.set_up().await;
    app.sign_out().await;
    let before = app.count("sessions");
    for _ in 0..5 {
        let visitor = app.new_client();
        assert!(visitor.get_text("/login").await.contains("csrf_token"));
    }
    assert_eq!(
        app.count("sessions"),
        before,
        "opening /login writes nothing"
    );

    // The token carried in the cookie protects the form like a stored one.
    let visitor = app.new_client();
    let csrf = visitor.csrf_token("/login").await;
    let forged = visitor
        .post_form(
            "/login",
            &[
                ("csrf_token", "not-the-token"),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status().as_u16(), 403);
    let response = visitor
        .post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(app.count("sessions"), before + 1, "one row, at sign-in");
    assert_eq!(visitor.get("/w/acme/users").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn setup_without_a_url_name_takes_it_from_the_workspace_name() {
    let app = spawn_app().await;
    let client = app.new_client();
    let csrf = client.csrf_token("/setup").await;
    assert!(
        client
            .get_text("/setup")
            .await
            .contains("left empty, it comes from the workspace name")
    );
    let mut form = setup_form(&app, &csrf);
    for (k, v) in form.iter_mut() {
        if *k == "workspace_slug" {
            v.clear();
        }
    }
    let done = client.post_form("/setup", &form).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/w/acme-hq/users");
}

/// A page's title names where it is: the workspace on a workspace's pages, else the organization.
#[actix_web::test]
async fn page_titles_name_the_workspace_or_the_organization() {
    let app = spawn_app().await;
    app.set_up().await;
    assert!(
        app.get_text("/w/acme/audit")
            .await
            .contains("<title>Audit log · Acme HQ</title>")
    );
    let me = app.get_text("/me").await;
    assert!(me.contains("<title>Your profile · Acme Corporation</title>"));
    // Outside a workspace the header still opens one.
    assert!(
        me.contains("<span class=\"switcher-label\">Workspace</span> Choose…")
            && me.contains("href=\"/w/acme/users\""),
        "{me}"
    );
}

/// A refused or missing page inside a workspace keeps the workspace's frame (side navigation,
/// switcher) and says what the role lacks in words, with whom to ask.
#[actix_web::test]
async fn errors_inside_a_workspace_keep_its_frame() {
    let app = spawn_with_member(
        "audrey@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    let audrey = app.new_client();
    audrey.sign_in("audrey@example.com", OWNER_PASSWORD).await;
    let refused = audrey.get("/w/acme/import").await;
    assert_eq!(refused.status().as_u16(), 403);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("<nav class=\"sidenav\" aria-label=\"Acme HQ\">")
            && page.contains(">Back to Acme HQ</a>"),
        "{page}"
    );
    assert!(
        page.contains("Ask an Owner of Acme HQ if you need it."),
        "{page}"
    );
    let missing = audrey.get("/w/acme/users/999999").await;
    assert_eq!(missing.status().as_u16(), 404);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("<nav class=\"sidenav\" aria-label=\"Acme HQ\">")
    );
}

/// A form whose session has ended (signed out in another tab): one anyone may send (sign-in) says
/// to reload, which mends it, keeping nothing typed silently lost; a signed-in one asks to sign in.
#[actix_web::test]
async fn a_form_outliving_its_session_says_what_mends_it() {
    let app = spawn_app().await;
    app.set_up().await;
    let tab = app.new_client();
    let stale = tab.csrf_token("/login").await;
    assert_eq!(tab.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await.status(), 303);
    let profile = tab.csrf_token("/me").await;
    assert_eq!(tab.sign_out().await.status(), 303);

    let login = tab
        .post_form(
            "/login",
            &[
                ("csrf_token", stale.as_str()),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status().as_u16(), 403);
    assert!(login.text().await.unwrap().contains("Form expired"));
    let saved = tab
        .post_form(
            "/me/profile",
            &[("csrf_token", profile.as_str()), ("first_name", "Ada")],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/login");
}
