//! In headless Chromium (issue 19): an Owner connects Slack by pasting a bot token, watches the
//! people being read, opens the invite dialog's "From Slack" tab, searches as they type, ticks two
//! people and adds them; axe-core finds no violation on the settings page or in the tab.

use crate::common::browser::Browser;
use crate::common::slack::{self, SlackStandIn};
use crate::common::*;
use admin_console::config::SlackSettings;

#[actix_web::test]
async fn connect_slack_then_add_two_people_from_the_invite_dialog() {
    let standin = SlackStandIn::start().await;
    let url = standin.url.clone();
    let app = spawn_app_with(move |s| {
        s.slack = SlackSettings {
            api_url: url,
            app: None,
        }
    })
    .await;
    app.set_up().await;
    let browser = Browser::start().await;
    let b = &browser;
    b.sign_in_as_owner(&app).await;

    // Settings → Slack: paste the token; the people are read while the page watches.
    b.client.goto(&app.url("/w/acme/settings")).await.unwrap();
    b.click("a[href='/w/acme/settings/slack']").await;
    b.wait_for_text("h1", "Slack").await;
    b.fill("#token", slack::TOKEN).await;
    b.click("form[action='/w/acme/settings/slack'] button[type=submit]")
        .await;
    b.wait_for_text("#flash", "Connected to the Slack workspace Stand-in Team")
        .await;
    b.wait_for_text("#slack-people-status", "443 people read from Slack")
        .await;
    b.screenshot("60-slack-settings").await;
    let found = b.axe_violations().await;
    assert!(found.is_empty(), "{found:#?}");

    // The invite dialog's Slack tab.
    b.client.goto(&app.url("/w/acme/users")).await.unwrap();
    b.click("a[href='/w/acme/invitations/new']").await;
    b.wait_for_text("dialog[open] h2", "Invite people").await;
    b.click("dialog[open] .tabs a[href='/w/acme/invitations/slack']")
        .await;
    b.wait_for_text("dialog[open] h2", "Add people to").await;
    b.wait_for_text("dialog[open] .slack-people legend", "50 of 443 shown")
        .await;

    // Typing searches the stored list (no button press).
    b.fill("dialog[open] #slack-q", "hopper").await;
    b.wait_for_text("dialog[open] .slack-people legend", "matching “hopper”")
        .await;
    let list = b.text("dialog[open] .slack-list").await;
    assert!(list.contains("grace.hopper@slackco.example"), "{list}");
    b.click("dialog[open] input[value='UGRACE001']").await;
    b.click("dialog[open] .slack-list li:nth-child(2) input[name=slack_user_id]")
        .await;
    b.screenshot("61-slack-tab").await;
    let found = b.axe_violations().await;
    assert!(found.is_empty(), "{found:#?}");

    b.click("dialog[open] form.invite-form button[type=submit]")
        .await;
    b.wait_for_text("#flash", "2 people added from Slack").await;
    b.wait_for_text("#results", "grace.hopper@slackco.example")
        .await;
    b.screenshot("62-slack-added").await;
    assert_eq!(
        app.count("audit_events WHERE action = 'member.added_from_slack'"),
        2
    );
    browser.close().await;
}
