//! Accessibility checked by a third party (issue 21 §6): axe-core, the npm package the test command
//! fetches, runs in headless Chromium on every page a person opens — signed out, and as an Owner
//! on the workspace and organization pages, their confirmation pages, a member's console tabs, and
//! the in-page dialogs (invite, with and without its error messages; suspend, remove, block) — in
//! light and in dark mode, and finds no violation at WCAG 2.2 A/AA or of its best practices.

use crate::common::browser::Browser;
use crate::common::*;
use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

/// Opens each page and collects axe's findings, each line prefixed with the page; a screenshot
/// of each goes to target/screenshots/ (`a11y-<mode>-<page>`), to look at.
async fn violations_on(b: &Browser, app: &TestApp, mode: &str, pages: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for page in pages {
        b.client.goto(&app.url(page)).await.unwrap();
        // The page itself, not a redirect or an error page in its place.
        let url = b.client.current_url().await.unwrap();
        assert_eq!(url.path(), page.split('?').next().unwrap(), "opened {page}");
        let title = b.client.title().await.unwrap();
        assert!(!title.contains("not found"), "{page}: {title}");
        for violation in b.axe_violations().await {
            found.push(format!("{page}: {violation}"));
        }
        let name: String = page
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        b.screenshot(&format!("a11y-{mode}{name}")).await;
        if let Some(wider) = wider_than_window(b).await {
            found.push(format!("{page}: {wider}"));
        }
        if mode == "phone"
            && fits_a_phone(page)
            && let Some(wider) = table_wider_than_its_box(b).await
        {
            found.push(format!("{page}: {wider}"));
        }
    }
    found
}

/// Pages whose tables fit a phone without scrolling sideways: the users list leaves out what the
/// console shows, the others stack each row (README, "On a phone").
fn fits_a_phone(page: &str) -> bool {
    let parts: Vec<&str> = page.split('/').skip(3).collect();
    page == "/org/accounts"
        || matches!(
            parts.as_slice(),
            ["users"] | ["groups" | "apps", _] | ["settings", "api-keys"]
        )
}

/// Whether a table on the page is wider than its box (its actions out of sight), in words.
async fn table_wider_than_its_box(b: &Browser) -> Option<String> {
    let widths = b
        .client
        .execute(
            r#"for (const box of document.querySelectorAll('.table-scroll')) {
              if (box.scrollWidth > box.clientWidth + 1) return [box.scrollWidth, box.clientWidth];
            }
            return null;"#,
            Vec::new(),
        )
        .await
        .unwrap();
    let widths = widths.as_array()?;
    Some(format!(
        "a table is {} px wide in its {} px box",
        widths[0], widths[1]
    ))
}

/// Whether the page scrolls sideways: its width against the window's, in words.
async fn wider_than_window(b: &Browser) -> Option<String> {
    let widths = b
        .client
        .execute(
            r#"const w = document.documentElement.clientWidth;
            let worst = null;
            for (const el of document.body.querySelectorAll('*')) {
              const right = el.getBoundingClientRect().right;
              // What a scrolling box clips does not widen the page.
              let clipped = false;
              for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
                if (getComputedStyle(a).overflowX !== 'visible') { clipped = true; break; }
              }
              if (!clipped && right > w + 1 && (!worst || right > worst.right + 1)) {
                const classes = typeof el.className === 'string' && el.className.trim()
                  ? '.' + el.className.trim().split(/\s+/).join('.') : '';
                worst = { right, what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes };
              }
            }
            return [document.documentElement.scrollWidth, w, worst ? worst.what : ''];"#,
            Vec::new(),
        )
        .await
        .unwrap();
    let (page, window) = (widths[0].as_i64()?, widths[1].as_i64()?);
    let widest = widths[2].as_str().unwrap_or_default();
    (page > window)
        .then(|| format!("the page is {page} px wide in a {window} px window (widest: {widest})"))
}

/// Opens `page`, clicks `opener` (an htmx link that fills `#dialog`), waits for the open dialog
/// and collects axe's findings on the page with it; then the same after sending the dialog's form
/// empty when `submit_empty` (its messages beside the fields).
async fn violations_in_dialog(
    b: &Browser,
    app: &TestApp,
    page: &str,
    opener: &str,
    submit_empty: bool,
) -> Vec<String> {
    b.client.goto(&app.url(page)).await.unwrap();
    // Openers in a "More actions" disclosure: opened first, as a person would.
    b.client
        .execute(
            "document.querySelectorAll('details.more-actions').forEach(d => d.open = true)",
            Vec::new(),
        )
        .await
        .unwrap();
    b.click(opener).await;
    wait_for_dialog(b).await;
    let mut found: Vec<String> = b
        .axe_violations()
        .await
        .into_iter()
        .map(|v| format!("{page} dialog {opener}: {v}"))
        .collect();
    found.extend(
        wider_than_window(b)
            .await
            .map(|w| format!("{page} dialog {opener}: {w}")),
    );
    if submit_empty {
        b.click("#dialog button[type=submit]").await;
        b.wait_for_text("#dialog", "Enter").await;
        wait_for_dialog(b).await;
        found.extend(
            b.axe_violations()
                .await
                .into_iter()
                .map(|v| format!("{page} dialog {opener} with errors: {v}")),
        );
    }
    found
}

async fn wait_for_dialog(b: &Browser) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while b
        .client
        .execute(
            // Open, and its opening animation over (axe would see colours mid-fade).
            "return !!document.querySelector('#dialog dialog[open]') \
                && document.getAnimations().every(a => a.playState !== 'running')",
            Vec::new(),
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        != Some(true)
    {
        assert!(std::time::Instant::now() < deadline, "no dialog opened");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn axe_finds_no_violation_on_any_page() {
    survey(&[]).await;
}

#[actix_web::test]
async fn axe_finds_no_violation_on_any_page_in_dark_mode() {
    survey(&["--blink-settings=preferredColorScheme=0"]).await;
}

#[actix_web::test]
async fn no_page_is_wider_than_a_phone() {
    survey(&["phone"]).await;
}

/// Opens every page in a browser started with `flags` and asserts axe finds nothing (and, in a
/// phone-sized window, that no page is wider than the screen).
async fn survey(flags: &[&str]) {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("UPDATE workspaces SET plan = 'team', seat_limit = 50");
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Member,
        MembershipStatus::Active,
    );
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Admin,
        MembershipStatus::Suspended,
    );
    assert_eq!(
        app.invite("new.person@example.com", "member")
            .await
            .status()
            .as_u16(),
        303
    );
    let group = app
        .post_fields("/w/acme/groups", &[("name", "Finance")])
        .await;
    assert_eq!(group.status().as_u16(), 303);
    let tool = app
        .post_fields(
            "/w/acme/apps",
            &[
                ("kind", "app"),
                ("name", "Ledger"),
                ("owner_email", OWNER_EMAIL),
            ],
        )
        .await;
    assert_eq!(
        tool.status().as_u16(),
        303,
        "{}",
        tool.text().await.unwrap()
    );
    let role = app
        .post_fields(
            "/w/acme/roles",
            &[
                ("name", "Support"),
                ("description", "Helps people"),
                ("permission", "users.view"),
            ],
        )
        .await;
    assert_eq!(role.status().as_u16(), 303);
    app.api_key("Provisioning", &["users.view"]).await;
    let (group, tool, role) = (
        app.first_id("groups"),
        app.first_id("apps"),
        app.first_id("roles WHERE built_in = false"),
    );
    let key = app.first_id("api_keys");
    let invitation = app.first_id("invitations");
    let grace = app.membership_of("grace.hopper@example.com");

    let mode = match flags {
        [] => "light",
        ["phone"] => "phone",
        _ => "dark",
    };
    let browser = Browser::start_with(flags).await;
    let dark: bool = browser
        .client
        .execute(
            "return window.matchMedia('(prefers-color-scheme: dark)').matches",
            Vec::new(),
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    assert_eq!(
        dark,
        flags.iter().any(|f| f.contains("preferredColorScheme=0")),
        "the colour scheme asked for"
    );
    let b = &browser;
    let signed_out = [
        "/login".to_owned(),
        "/password/forgot".to_owned(),
        format!("/invite/{}", app.token_for("new.person@example.com")),
    ];
    let mut found = violations_on(b, &app, mode, &signed_out).await;
    if flags.contains(&"phone") {
        let width = b
            .client
            .execute("return document.documentElement.clientWidth", Vec::new())
            .await
            .unwrap();
        assert!(
            width.as_i64().is_some_and(|w| w <= 390),
            "a phone's width (the last page): {width}"
        );
    }

    b.sign_in_as_owner(&app).await;
    let w = "/w/acme";
    let pages: Vec<String> = [
        format!("{w}/users"),
        format!("{w}/users?status=suspended"),
        format!("{w}/users/{grace}"),
        format!("{w}/users/{grace}/access"),
        format!("{w}/users/{grace}/activity"),
        format!("{w}/users/{grace}/sessions"),
        format!("{w}/users/{grace}/suspend"),
        format!("{w}/users/{grace}/remove"),
        format!("{w}/users/{grace}/block"),
        format!("{w}/invitations/new"),
        format!("{w}/invitations/{invitation}/revoke"),
        format!("{w}/import"),
        format!("{w}/groups"),
        format!("{w}/groups/{group}"),
        format!("{w}/groups/{group}/add"),
        format!("{w}/groups/{group}/delete"),
        format!("{w}/apps"),
        format!("{w}/apps/{tool}"),
        format!("{w}/apps/{tool}/permissions"),
        format!("{w}/apps/{tool}/delete"),
        format!("{w}/roles"),
        format!("{w}/roles/{role}"),
        format!("{w}/roles/{role}/delete"),
        format!("{w}/audit"),
        format!("{w}/settings"),
        format!("{w}/settings/api-keys"),
        format!("{w}/settings/api-keys/{key}/revoke"),
        format!("{w}/settings/slack"),
        format!("{w}/settings/slack/disconnect"),
        format!("{w}/invitations/slack"),
        "/me".to_owned(),
        "/me/two-factor".to_owned(),
        "/org/accounts".to_owned(),
        "/org/workspaces".to_owned(),
        "/org/audit".to_owned(),
    ]
    .into();
    found.extend(violations_on(b, &app, mode, &pages).await);
    let users = format!("{w}/users");
    let console = format!("{w}/users/{grace}");
    found
        .extend(violations_in_dialog(b, &app, &users, "a[hx-get$='/invitations/new']", true).await);
    for opener in [
        "a[hx-get$='/suspend']",
        "a[hx-get$='/remove']",
        "a[hx-get$='/block']",
    ] {
        found.extend(violations_in_dialog(b, &app, &console, opener, false).await);
    }
    browser.close().await;
    assert!(
        found.is_empty(),
        "axe-core found {} violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
}
