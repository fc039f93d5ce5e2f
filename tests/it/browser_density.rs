//! In headless Chromium (issue 21 §1): the users list is dense — at 1366×900 a dozen people and
//! more are on screen, the search and filters sit on one line from 1,280 px, addresses stay on one
//! line (cut with an ellipsis, whole in the title), and a page of 50 rows weighs at most 40 KB.

use crate::common::browser::Browser;
use crate::common::*;

async fn rows_on_screen(b: &Browser) -> i64 {
    b.client
        .execute(
            "return [...document.querySelectorAll('#results tbody tr')]\
             .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length",
            Vec::new(),
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn the_users_list_is_dense_and_light() {
    let app = spawn_app().await;
    app.set_up().await;
    app.execute("UPDATE workspaces SET plan = 'enterprise', seat_limit = NULL");
    app.seed_members(80);

    // A page of 50 rows, as the server sends it.
    let html = app.get_text("/w/acme/users").await;
    let rows = html.matches("<tr data-email=").count();
    assert_eq!(rows, 50);
    assert!(
        html.len() <= 40_000,
        "a page of 50 rows is {} bytes (at most 40,000)",
        html.len()
    );

    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    b.client.set_window_size(1366, 900).await.unwrap();
    b.client.goto(&app.url("/w/acme/users")).await.unwrap();
    let seen = rows_on_screen(b).await;
    b.screenshot("80-users-dense-1366").await;
    assert!(seen >= 12, "{seen} people on screen at 1366×900");

    // Search and filters on one line at 1,280 px.
    b.client.set_window_size(1280, 900).await.unwrap();
    let tops = b
        .client
        .execute(
            "return [...document.querySelectorAll('form.toolbar > input:not([type=hidden]), \
             form.toolbar select, form.toolbar > button[type=submit]')]\
             .map(e => Math.round(e.getBoundingClientRect().top))",
            Vec::new(),
        )
        .await
        .unwrap();
    let tops: Vec<i64> = serde_json::from_value(tops).unwrap();
    assert!(tops.len() >= 5, "{tops:?}");
    assert!(tops.iter().all(|t| *t == tops[0]), "one line: {tops:?}");

    // Addresses never wrap: one line each, cut with an ellipsis; the whole one shows on hover.
    let wrapped = b
        .client
        .execute(
            "return [...document.querySelectorAll('#results td:has(> a > .avs) + td')]\
             .filter(td => getComputedStyle(td).whiteSpace !== 'nowrap' \
               || getComputedStyle(td).textOverflow !== 'ellipsis').length",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(wrapped, serde_json::json!(0));
    let hovered = b
        .client
        .execute(
            "const td = document.querySelector('#results td:has(> a > .avs) + td:not(:empty)'); \
             td.dispatchEvent(new MouseEvent('mouseover', { bubbles: true })); \
             td.style.maxWidth = '2rem'; \
             td.dispatchEvent(new MouseEvent('mouseover', { bubbles: true })); \
             return [td.title, td.textContent.trim()]",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(hovered[0], hovered[1], "the whole address on hover");
    b.screenshot("81-users-dense-1280").await;
    browser.close().await;
}

#[actix_web::test]
async fn on_a_phone_the_filters_fold_behind_one_button() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = Browser::start_with(&["phone"]).await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;
    let shown = |css: &'static str| async move {
        b.client
            .execute(
                &format!("return document.querySelector('{css}').getClientRects().length > 0"),
                Vec::new(),
            )
            .await
            .unwrap()
    };
    // Every section of the side menu is in sight, none scrolled off the screen's edge.
    let off_screen = b
        .client
        .execute(
            "return [...document.querySelectorAll('nav.sidenav a')]\
             .filter(a => a.getBoundingClientRect().right > window.innerWidth)\
             .map(a => a.textContent.trim())",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(off_screen, serde_json::json!([]), "sections off the screen");
    assert_eq!(
        shown("nav.sidenav a[href=\"/w/acme/settings\"]").await,
        true
    );
    assert_eq!(shown("#filter-status").await, false, "folded");
    assert_eq!(shown(".filters-toggle").await, true);
    b.click(".filters-toggle").await;
    assert_eq!(shown("#filter-status").await, true, "unfolded");
    let expanded = b
        .client
        .execute(
            "return document.querySelector('.filters-toggle').getAttribute('aria-expanded')",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(expanded, "true");
    b.screenshot("82-users-phone-filters").await;

    // Ticking a row does not move it under the finger: the bulk bar rises from the foot.
    app.seed_members(5);
    b.client.refresh().await.unwrap();
    b.wait_for_text("#results", "Tick people").await;
    let top = "return Math.round(document.querySelector('#bulk input[name=member_id]')\
               .getBoundingClientRect().top)";
    let before = b.client.execute(top, Vec::new()).await.unwrap();
    b.click("#bulk input[name=member_id]").await;
    b.wait_for_text("#bulk-count", "1 selected").await;
    let after = b.client.execute(top, Vec::new()).await.unwrap();
    let moved = (before.as_i64().unwrap() - after.as_i64().unwrap()).abs();
    assert!(moved <= 24, "the ticked row moved {moved} px");
    assert_eq!(shown("#bulk-action").await, true, "the bar's actions show");
    b.screenshot("83-users-phone-ticked").await;
    browser.close().await;
}
