//! Presence in real time (issue 21 §3) over HTTP on each backend: the stream is
//! `text/event-stream`; someone who becomes active, goes quiet for over two minutes, or opens a
//! tab (a stream of their own) is announced to the streams of the workspace within five seconds.

use std::time::{Duration, Instant};

use admin_console::domain::membership::MembershipStatus;
use admin_console::domain::role::BuiltInRole;

use crate::common::*;

/// An open presence stream, read as events arrive.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp) -> Self {
        let response = app.get("/w/acme/presence").await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// Waits (at most 5 s) for a `presence` event about membership `id` saying `online`.
    async fn expect(&mut self, id: i64, online: bool) -> Duration {
        let started = Instant::now();
        let wanted = format!("\"id\":{id},\"online\":{online}");
        loop {
            if let Some(at) = self.buffer.find(&wanted) {
                self.buffer.drain(..at + wanted.len());
                return started.elapsed();
            }
            let left = Duration::from_secs(5).saturating_sub(started.elapsed());
            assert!(
                !left.is_zero(),
                "no event {wanted} within 5 s; got: {}",
                self.buffer
            );
            if let Ok(chunk) = actix_web::rt::time::timeout(left, self.response.chunk()).await {
                let chunk = chunk.expect("stream readable").expect("stream open");
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
    }
}

/// A workspace with Grace, an active Auditor; her membership's id.
async fn with_grace() -> (TestApp, i64) {
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    let grace_id = app.membership_of("grace.hopper@example.com");
    (app, grace_id)
}

#[actix_web::test]
async fn the_stream_says_who_comes_online_and_who_goes_offline_within_five_seconds() {
    let (app, grace_id) = with_grace().await;
    let mut events = Events::open(&app).await;

    // Grace signs in and opens the list: she is online.
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    events.expect(grace_id, true).await;

    // Quiet for over two minutes (her activity moved back): offline.
    app.execute(&format!(
        "UPDATE memberships SET last_active_at = '2020-01-01 00:00:00' WHERE id = {grace_id}"
    ));
    events.expect(grace_id, false).await;

    // A tab of hers open (her own stream) makes her online again, with no other request.
    let _tab = Events::open(&grace).await;
    events.expect(grace_id, true).await;
}

impl Events {
    /// True when the server ends the stream within `within`.
    async fn ends(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match actix_web::rt::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(_) => return true,
                Err(_) => return false,
            }
        }
        false
    }
}

/// A workspace whose heartbeat is quick, with Grace, an active Auditor; her membership's id.
async fn quick_heartbeat_with_grace() -> (TestApp, i64) {
    let app = spawn_app_with(|s| s.presence_heartbeat = Duration::from_millis(300)).await;
    app.set_up().await;
    app.add_member(
        "grace.hopper@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let grace_id = app.membership_of("grace.hopper@example.com");
    (app, grace_id)
}

#[actix_web::test]
async fn a_stream_ends_once_its_viewer_is_suspended() {
    let (app, grace_id) = quick_heartbeat_with_grace().await;
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let mut hers = Events::open(&grace).await;
    let mut adas = Events::open(&app).await;
    assert!(
        !hers.ends(Duration::from_secs(1)).await,
        "open while she may watch"
    );
    let done = app
        .post_fields(&format!("/w/acme/users/{grace_id}/suspend"), &[])
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert!(
        hers.ends(Duration::from_secs(5)).await,
        "a suspended member no longer hears who is online"
    );
    assert!(
        !adas.ends(Duration::from_secs(1)).await,
        "others' stay open"
    );
}

/// With the usual heartbeat (30 s), a viewer suspended is not told of a change after it: the
/// stream is judged again before a change goes out when its last judgement is over 5 s old.
#[actix_web::test]
async fn a_suspended_viewer_hears_no_change_before_the_heartbeat() {
    let (app, grace_id) = with_grace().await;
    app.add_member(
        "alan.turing@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    );
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let mut hers = Events::open(&grace).await;
    actix_web::rt::time::sleep(Duration::from_secs(6)).await;
    let done = app
        .post_fields(&format!("/w/acme/users/{grace_id}/suspend"), &[])
        .await;
    assert_eq!(done.status().as_u16(), 303);
    // Alan comes online: a change every stream of the workspace would be told.
    let alan = app.new_client();
    alan.sign_in("alan.turing@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(alan.get("/w/acme/users").await.status().as_u16(), 200);
    let alan_id = app.membership_of("alan.turing@example.com");
    assert!(
        hers.ends(Duration::from_secs(5)).await,
        "her stream ends at the change"
    );
    assert!(
        !hers.buffer.contains(&format!("\"id\":{alan_id}")),
        "and tells her nothing: {}",
        hers.buffer
    );
}

#[actix_web::test]
async fn a_stream_ends_with_its_session() {
    let (app, grace_id) = quick_heartbeat_with_grace().await;
    let signed_in = || async {
        let grace = app.new_client();
        grace
            .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
            .await;
        let events = Events::open(&grace).await;
        (grace, events)
    };

    // She signs out in another tab of the same browser.
    let (grace, mut hers) = signed_in().await;
    assert!(
        !hers.ends(Duration::from_secs(1)).await,
        "open while signed in"
    );
    assert_eq!(grace.sign_out().await.status().as_u16(), 303);
    // Signing in again at once makes a new session (on SQLite, in the row just freed): the
    // signed-out stream is still over.
    let _again = signed_in().await;
    assert!(
        hers.ends(Duration::from_secs(5)).await,
        "a signed-out session hears nothing more"
    );

    // An admin signs her out everywhere.
    let (_grace, mut hers) = signed_in().await;
    let ended = app
        .post_fields(&format!("/w/acme/users/{grace_id}/sessions/end-all"), &[])
        .await;
    assert_eq!(ended.status().as_u16(), 303);
    assert!(
        hers.ends(Duration::from_secs(5)).await,
        "a session ended by an admin hears nothing more"
    );
}

#[actix_web::test]
async fn the_list_no_longer_reloads_itself_and_only_the_summary_is_a_live_region() {
    let app = spawn_app().await;
    app.set_up().await;
    let page = app.get_text("/w/acme/users").await;
    assert!(page.contains("data-presence=\"/w/acme/presence\""));
    assert!(!page.contains("every 30s"), "no timed table refresh");
    assert!(
        !page.contains("id=\"results\" class=\"results\" aria-live"),
        "the table is not a live region"
    );
    assert!(page.contains("id=\"member-summary\" role=\"status\""));
    assert!(page.contains("data-presence=\"/w/acme/presence\""));
}

#[actix_web::test]
async fn activity_through_one_instance_reaches_the_streams_of_another() {
    // A second instance on the same database (as behind a load balancer; sessions live in the
    // database, so a cookie works on both).
    let app = spawn_with_member(
        "grace.hopper@example.com",
        BuiltInRole::Auditor,
        MembershipStatus::Active,
    )
    .await;
    let grace_id = app.membership_of("grace.hopper@example.com");
    let other = admin_console::startup::Application::build(app.settings.clone())
        .expect("a second instance");
    let other_port = other.port();
    actix_web::rt::spawn(other.into_server());

    // Ada follows presence through the first instance; Grace is active through the second.
    let mut events = Events::open(&app).await;
    let mut grace = app.new_client();
    grace.address = format!("http://127.0.0.1:{other_port}");
    grace.port = other_port;
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    assert_eq!(grace.get("/w/acme/users").await.status().as_u16(), 200);
    events.expect(grace_id, true).await;
}

/// One person holds at most 16 streams open on an instance (a script opening thousands would take
/// the database's connections with their heartbeats): the next is 429; a closed one frees its place.
#[actix_web::test]
async fn one_person_holds_a_bounded_number_of_streams() {
    let (app, _) = quick_heartbeat_with_grace().await;
    let mut open = Vec::new();
    for _ in 0..admin_console::web::presence::MOST_STREAMS_PER_ACCOUNT {
        open.push(Events::open(&app).await);
    }
    let refused = app.get("/w/acme/presence").await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    // Someone else is not refused for it.
    let grace = app.new_client();
    grace
        .sign_in("grace.hopper@example.com", OWNER_PASSWORD)
        .await;
    let _hers = Events::open(&grace).await;

    drop(open.pop());
    let started = Instant::now();
    loop {
        let response = app.get("/w/acme/presence").await;
        if response.status().as_u16() == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a closed stream frees its place"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The stream is a request the browser makes by itself: opening it does not slide the session's
/// idle timeout (a tab left open does not keep its session alive for ever); a page does.
#[actix_web::test]
async fn opening_the_stream_does_not_keep_the_session_alive() {
    let (app, _) = with_grace().await;
    // The session has opened no page of this workspace yet (as when a tab of another workspace
    // opened one last): the stream does not make it the session's workspace, which would be a
    // change of the session, sliding its expiry.
    let rewind = "UPDATE sessions SET last_seen_at = '2000-01-01 00:00:00', \
                  expires_at = '2999-01-01 00:00:00' WHERE account_id IS NOT NULL";
    app.execute(rewind);
    assert_eq!(
        app.count("sessions WHERE account_id IS NOT NULL AND expires_at = '2999-01-01 00:00:00'"),
        1,
        "rewound"
    );
    let _stream = Events::open(&app).await;
    assert_eq!(
        app.count("sessions WHERE account_id IS NOT NULL AND expires_at = '2999-01-01 00:00:00'"),
        1,
        "the stream left the expiry as it was"
    );
    app.get_text("/w/acme/users").await;
    assert_eq!(
        app.count("sessions WHERE account_id IS NOT NULL AND expires_at = '2999-01-01 00:00:00'"),
        0,
        "a page slides it"
    );
}
