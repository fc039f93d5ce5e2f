//! The Slack Web API stand-in (`common::slack`) on its own, before the product relies on it: paging,
//! tokens and scopes, throttling, direct messages, the OAuth exchange and revocation.

use std::collections::HashSet;
use std::io::{Read, Write};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::common::slack::*;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// POSTs `params` form-urlencoded to `{url}/{method}`, with `token` as the bearer if given.
async fn call(
    slack: &SlackStandIn,
    method: &str,
    token: Option<&str>,
    params: &[(&str, &str)],
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("{}/{method}", slack.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(params).expect("encode the form"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the stand-in answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

fn ok(answer: &Answer) -> bool {
    answer.status == StatusCode::OK && answer.body["ok"] == Value::Bool(true)
}

fn error(answer: &Answer) -> &str {
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["ok"], Value::Bool(false), "{}", answer.body);
    answer.body["error"].as_str().expect("an error code")
}

#[test]
fn the_roster_has_the_documented_mix() {
    let people = roster();
    assert_eq!(people.len(), 450);
    let ids: HashSet<&str> = people.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), 450, "ids are unique");
    assert!(people.iter().all(|p| {
        p.id.len() == 9
            && p.id.starts_with('U')
            && p.id[1..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }));
    let emails: Vec<&str> = people.iter().filter_map(|p| p.email.as_deref()).collect();
    assert_eq!(
        emails.iter().collect::<HashSet<_>>().len(),
        emails.len(),
        "emails are unique"
    );
    assert!(emails.iter().all(|e| *e == e.to_lowercase()));

    let importable = people
        .iter()
        .filter(|p| p.id != "USLACKBOT" && !p.is_bot && !p.deleted && p.email.is_some())
        .count();
    assert_eq!(importable, ROSTER_IMPORTABLE);
    assert_eq!(people.iter().filter(|p| p.is_bot).count(), 2);
    assert_eq!(people.iter().filter(|p| p.deleted).count(), 3);
    assert_eq!(people.iter().filter(|p| p.is_restricted).count(), 1);
    assert_eq!(
        people
            .iter()
            .filter(|p| p.email.is_none() && !p.is_bot)
            .count(),
        2,
        "Slackbot and Nomail Person"
    );

    let find = |id: &str| people.iter().find(|p| p.id == id).unwrap().clone();
    let grace = find("UGRACE001");
    assert_eq!(grace.real_name, "Grace Hopper");
    assert_eq!(grace.email.as_deref(), Some("grace.hopper@slackco.example"));
    assert_eq!(
        people
            .iter()
            .filter(|p| p.real_name == "Grace Hopper")
            .count(),
        1
    );
    assert!(find("UGUEST001").is_restricted);
    assert!(find("UDELETED1").deleted);
    assert_eq!(
        find("UDELETED1").email.as_deref(),
        Some("dee.leted@slackco.example")
    );
    assert!(find("UBOT00001").is_bot);
    assert_eq!(find("UBOT00001").name, "deploybot");
    assert_eq!(find("UNOMAIL01").email, None);
    let slackbot = find("USLACKBOT");
    assert!(!slackbot.is_bot && slackbot.email.is_none());
    for name in ["Ada Lovelace", "Alan Turing"] {
        assert!(people.iter().any(|p| p.real_name == name), "{name}");
    }
    let names: HashSet<&str> = people.iter().map(|p| p.real_name.as_str()).collect();
    assert!(names.len() > 300, "names are varied: {}", names.len());
}

#[actix_web::test]
async fn users_list_pages_the_roster_in_three_pages_of_200() {
    let slack = SlackStandIn::start().await;
    let mut sizes = Vec::new();
    let mut members = Vec::new();
    let mut cursor = String::new();
    loop {
        let answer = call(
            &slack,
            "users.list",
            Some(TOKEN),
            &[("limit", "200"), ("cursor", &cursor)],
        )
        .await;
        assert!(ok(&answer), "{}", answer.body);
        assert!(answer.body["cache_ts"].is_u64());
        let page = answer.body["members"].as_array().unwrap().clone();
        sizes.push(page.len());
        members.extend(page);
        cursor = answer.body["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(sizes, [200, 200, 50]);
    assert_eq!(members.len(), 450);
    assert_eq!(slack.calls("users.list"), 3);

    let member = |id: &str| members.iter().find(|m| m["id"] == id).unwrap();
    let grace = member("UGRACE001");
    assert_eq!(grace["team_id"], TEAM_ID);
    assert_eq!(grace["deleted"], false);
    assert_eq!(grace["is_bot"], false);
    assert_eq!(grace["tz"], "Europe/London");
    assert_eq!(grace["profile"]["email"], "grace.hopper@slackco.example");
    assert_eq!(grace["profile"]["first_name"], "Grace");
    assert_eq!(grace["profile"]["last_name"], "Hopper");
    assert_eq!(grace["profile"]["real_name"], "Grace Hopper");
    assert!(
        member("UNOMAIL01")["profile"]
            .as_object()
            .unwrap()
            .get("email")
            .is_none()
    );
    assert_eq!(member("UDELETED1")["deleted"], true);
    assert_eq!(member("UBOT00001")["is_bot"], true);
    assert_eq!(member("UGUEST001")["is_restricted"], true);

    // The default limit is 100, and more than 200 is clamped to 200.
    let first = call(&slack, "users.list", Some(TOKEN), &[]).await;
    assert_eq!(first.body["members"].as_array().unwrap().len(), 100);
    let clamped = call(&slack, "users.list", Some(TOKEN), &[("limit", "1000")]).await;
    assert_eq!(clamped.body["members"].as_array().unwrap().len(), 200);
    let bogus = call(
        &slack,
        "users.list",
        Some(TOKEN),
        &[("cursor", "not-a-cursor")],
    )
    .await;
    assert_eq!(error(&bogus), "invalid_cursor");

    // A roster of one's own.
    let small = SlackStandIn::start_with(roster().into_iter().take(3).collect()).await;
    let answer = call(&small, "users.list", Some(TOKEN), &[]).await;
    assert_eq!(answer.body["members"].as_array().unwrap().len(), 3);
    assert_eq!(answer.body["response_metadata"]["next_cursor"], "");
}

#[actix_web::test]
async fn auth_test_needs_the_token_and_reports_the_scopes() {
    let slack = SlackStandIn::start().await;
    let answer = call(&slack, "auth.test", Some(TOKEN), &[]).await;
    assert!(ok(&answer), "{}", answer.body);
    assert_eq!(answer.body["team"], TEAM_NAME);
    assert_eq!(answer.body["team_id"], TEAM_ID);
    assert_eq!(answer.body["user_id"], "U0BOTUSER");
    assert_eq!(answer.headers["x-oauth-scopes"], ALL_SCOPES);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let missing = call(&slack, "auth.test", None, &[]).await;
    assert_eq!(error(&missing), "not_authed");
    assert!(missing.headers.get("x-oauth-scopes").is_none());
    let wrong = call(&slack, "auth.test", Some("xoxb-someone-else"), &[]).await;
    assert_eq!(error(&wrong), "invalid_auth");
    assert_eq!(
        error(&call(&slack, "users.list", Some("xoxb-someone-else"), &[]).await),
        "invalid_auth"
    );

    slack.set_scopes("users:read,chat:write");
    let answer = call(&slack, "users.list", Some(TOKEN), &[("limit", "1")]).await;
    assert_eq!(answer.headers["x-oauth-scopes"], "users:read,chat:write");

    slack.fail_auth_with(Some("account_inactive"));
    assert_eq!(
        error(&call(&slack, "auth.test", Some(TOKEN), &[]).await),
        "account_inactive"
    );
    assert_eq!(
        error(&call(&slack, "users.list", Some(TOKEN), &[]).await),
        "account_inactive"
    );
    slack.fail_auth_with(None);
    assert!(ok(&call(&slack, "auth.test", Some(TOKEN), &[]).await));
    assert_eq!(slack.calls("auth.test"), 5);

    assert_eq!(
        error(&call(&slack, "admin.users.list", Some(TOKEN), &[]).await),
        "unknown_method"
    );

    // GET with a query string works too.
    let text = reqwest::Client::new()
        .get(format!("{}/auth.test?token={TOKEN}", slack.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["ok"], true, "{body}");
}

#[actix_web::test]
async fn throttle_answers_exactly_n_429s_with_retry_after() {
    let slack = SlackStandIn::start().await;
    slack.throttle("chat.postMessage", 2, 3);
    slack.throttle("users.list", 1, 7);

    let throttled = call(&slack, "users.list", Some(TOKEN), &[]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.headers["retry-after"], "7");
    assert_eq!(throttled.body["ok"], false);
    assert_eq!(throttled.body["error"], "ratelimited");
    assert!(ok(&call(&slack, "users.list", Some(TOKEN), &[]).await));
    assert_eq!(slack.calls("users.list"), 2);

    let opened = call(
        &slack,
        "conversations.open",
        Some(TOKEN),
        &[("users", "UGRACE001")],
    )
    .await;
    let channel = opened.body["channel"]["id"].as_str().unwrap().to_owned();
    let message = [("channel", channel.as_str()), ("text", "hi")];
    let send = || call(&slack, "chat.postMessage", Some(TOKEN), &message);
    for _ in 0..2 {
        let answer = send().await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.headers["retry-after"], "3");
    }
    assert!(ok(&send().await));
    assert_eq!(slack.calls("chat.postMessage"), 3);
    assert_eq!(slack.messages().len(), 1, "only the delivered one");

    // Throttling comes before authentication, and counts as a call.
    slack.throttle("auth.test", 1, 1);
    let unauthenticated = call(&slack, "auth.test", None, &[]).await;
    assert_eq!(unauthenticated.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(slack.calls("auth.test"), 1);
}

#[actix_web::test]
async fn a_direct_message_is_opened_then_posted_and_recorded() {
    let slack = SlackStandIn::start().await;
    assert_eq!(
        error(
            &call(
                &slack,
                "chat.postMessage",
                Some(TOKEN),
                &[("channel", "DUGRACE001"), ("text", "too early")],
            )
            .await
        ),
        "channel_not_found"
    );
    assert_eq!(
        error(
            &call(
                &slack,
                "conversations.open",
                Some(TOKEN),
                &[("users", "UNOBODY99")],
            )
            .await
        ),
        "user_not_found"
    );

    let opened = call(
        &slack,
        "conversations.open",
        Some(TOKEN),
        &[("users", "UGRACE001")],
    )
    .await;
    assert!(ok(&opened), "{}", opened.body);
    assert_eq!(opened.body["channel"]["id"], "DUGRACE001");
    assert_eq!(opened.headers["x-oauth-scopes"], ALL_SCOPES);

    let text = "Welcome to Acme — sign in at https://console.example/?a=1&b=2";
    let posted = call(
        &slack,
        "chat.postMessage",
        Some(TOKEN),
        &[("channel", "DUGRACE001"), ("text", text)],
    )
    .await;
    assert!(ok(&posted), "{}", posted.body);
    assert_eq!(posted.body["channel"], "DUGRACE001");
    assert_eq!(posted.body["ts"], "1700000000.000100");
    assert_eq!(posted.body["message"]["text"], text);
    assert_eq!(
        slack.messages(),
        [("UGRACE001".to_owned(), text.to_owned())]
    );
}

#[actix_web::test]
async fn oauth_exchange_takes_the_right_code_only() {
    let slack = SlackStandIn::start().await;
    assert_eq!(slack.last_oauth_request(), None);
    let form = |code| {
        [
            ("client_id", "123.456"),
            ("client_secret", "s3cret"),
            ("code", code),
            ("redirect_uri", "http://localhost/slack/callback"),
        ]
    };
    let wrong = call(&slack, "oauth.v2.access", None, &form("wrong-code")).await;
    assert_eq!(error(&wrong), "invalid_code");
    assert_eq!(slack.last_oauth_request().unwrap()["code"], "wrong-code");

    slack.set_scopes("users:read,chat:write");
    let granted = call(&slack, "oauth.v2.access", None, &form(OAUTH_CODE)).await;
    assert!(ok(&granted), "{}", granted.body);
    assert_eq!(granted.body["access_token"], TOKEN);
    assert_eq!(granted.body["token_type"], "bot");
    assert_eq!(granted.body["scope"], "users:read,chat:write");
    assert_eq!(granted.body["team"]["name"], TEAM_NAME);
    assert_eq!(granted.body["team"]["id"], TEAM_ID);
    assert_eq!(granted.body["enterprise"], Value::Null);
    let recorded = slack.last_oauth_request().unwrap();
    assert_eq!(recorded["client_id"], "123.456");
    assert_eq!(recorded["client_secret"], "s3cret");
    assert_eq!(recorded["code"], OAUTH_CODE);
    assert_eq!(recorded["redirect_uri"], "http://localhost/slack/callback");

    // Client credentials by HTTP Basic auth.
    let text = reqwest::Client::new()
        .post(format!("{}/oauth.v2.access", slack.url))
        .basic_auth("123.456", Some("s3cret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("code={OAUTH_CODE}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(
        slack.last_oauth_request().unwrap()["client_secret"],
        "s3cret"
    );

    // No client credentials at all.
    let anonymous = call(&slack, "oauth.v2.access", None, &[("code", OAUTH_CODE)]).await;
    assert_eq!(error(&anonymous), "invalid_code");
    assert_eq!(slack.calls("oauth.v2.access"), 4);
}

#[actix_web::test]
async fn revoke_kills_the_token() {
    let slack = SlackStandIn::start().await;
    assert!(!slack.revoked());
    let test_only = call(&slack, "auth.revoke", Some(TOKEN), &[("test", "true")]).await;
    assert_eq!(test_only.body["revoked"], false);
    assert!(!slack.revoked());

    let revoked = call(&slack, "auth.revoke", Some(TOKEN), &[]).await;
    assert!(ok(&revoked), "{}", revoked.body);
    assert_eq!(revoked.body["revoked"], true);
    assert!(slack.revoked());
    for method in ["auth.test", "users.list", "auth.revoke"] {
        assert_eq!(
            error(&call(&slack, method, Some(TOKEN), &[]).await),
            "token_revoked",
            "{method}"
        );
    }

    // Installing again hands out a live token; `revoked()` stays true.
    let granted = call(
        &slack,
        "oauth.v2.access",
        None,
        &[
            ("client_id", "1"),
            ("client_secret", "2"),
            ("code", OAUTH_CODE),
        ],
    )
    .await;
    assert!(ok(&granted));
    assert!(ok(&call(&slack, "auth.test", Some(TOKEN), &[]).await));
    assert!(slack.revoked());
}

/// The product calls from blocking threads; the stand-in answers even while the test's own
/// runtime thread is blocked in a plain socket read.
#[actix_web::test]
async fn answers_a_blocking_caller_on_the_test_thread() {
    let slack = SlackStandIn::start().await;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", slack.port)).unwrap();
    let body = "limit=2";
    write!(
        stream,
        "POST /api/users.list HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let json = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let body: Value = serde_json::from_str(json).unwrap();
    assert_eq!(body["members"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn dropping_it_closes_the_port() {
    let slack = SlackStandIn::start().await;
    let port = slack.port;
    assert!(ok(&call(&slack, "auth.test", Some(TOKEN), &[]).await));
    drop(slack);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(std::time::Instant::now() < deadline, "still listening");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
