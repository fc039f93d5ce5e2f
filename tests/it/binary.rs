//! The real binary (`admin-console serve`), as an operator runs it (issue 20 §3–4): on SIGTERM it
//! stops taking connections at once, lets an export in flight complete, leaves no email claimed
//! but unsent, and exits 0 within 30 s; with `LOG_FORMAT=json` each request is one JSON line.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::smtp::SmtpSink;
use crate::common::*;

/// Waits for the binary to exit, at most 30 s after `signalled`; its status.
async fn exited(server: &mut Process, signalled: Instant) -> std::process::ExitStatus {
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(30),
            "still running 30 s after SIGTERM"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn terminate(server: &Process) {
    // SAFETY: sends SIGTERM to the child this test started (and still owns).
    assert_eq!(
        unsafe { libc::kill(server.0.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
}

/// The binary, killed on drop (a failing test included).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `admin-console serve` on `app`'s database with `env` added (its standard output into
/// `log`); returns it and a client for it, signed in as the owner.
async fn serve(
    app: &TestApp,
    smtp: &SmtpSink,
    env: &[(&str, &str)],
    log: Stdio,
) -> (Process, TestApp) {
    let port = free_port();
    let process = Process(
        Command::new(env!("CARGO_BIN_EXE_admin-console"))
            .arg("serve")
            .env("DATABASE_URL", &app.db.url)
            .env("DATA_DIR", app.db.dir.join("serve-data"))
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("SMTP_URL", smtp.url())
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start admin-console serve"),
    );
    let mut web = app.new_client();
    web.address = format!("http://127.0.0.1:{port}");
    web.port = port;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(response) = web.client.get(web.url("/healthz")).send().await
            && response.status().is_success()
        {
            let signed_in = web.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
            assert_eq!(signed_in.status().as_u16(), 303, "the owner signs in");
            return (process, web);
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not answer within 30 s");
}

#[actix_web::test]
async fn sigterm_finishes_what_is_in_flight_and_exits_zero() {
    // Both servers on the one database send through the one sink (either may claim an email).
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    app.set_up().await;
    app.seed_members(40_000);
    let (mut server, web) = serve(&app, &smtp, &[], Stdio::inherit()).await;
    assert_eq!(web.get("/readyz").await.status().as_u16(), 200);
    let invited: Vec<String> = (0..20).map(|i| format!("late{i}@example.com")).collect();
    assert_eq!(
        web.invite(&invited.join(", "), "member")
            .await
            .status()
            .as_u16(),
        303
    );

    // An export under way: its headers and first bytes read, the rest not yet.
    let mut export = web.get("/w/acme/users.csv").await;
    assert_eq!(export.status().as_u16(), 200);
    let mut received = export
        .chunk()
        .await
        .unwrap()
        .expect("a first chunk")
        .to_vec();

    terminate(&server);
    let signalled = Instant::now();

    // Not ready within a second (still answering during the drain, SHUTDOWN_DRAIN_SECONDS: 3 by
    // default), then no new connections once the drain is over.
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    loop {
        match probe.get(web.url("/readyz")).send().await {
            Err(_) => break,
            Ok(response) if response.status().as_u16() == 503 => break,
            Ok(_) => {}
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(1),
            "still taking requests as ready after SIGTERM"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    while probe.get(web.url("/readyz")).send().await.is_ok() {
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "still accepting connections after the drain"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }

    // The export in flight completes, every row of it.
    while let Some(chunk) = export.chunk().await.expect("the export goes on") {
        received.extend_from_slice(&chunk);
    }
    let received = String::from_utf8(received).unwrap();
    let whole_export = app.get_text("/w/acme/users.csv").await;
    // Every row, in order (by id: an activity time may have moved since).
    let ids = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|line| line.split(',').next().unwrap_or_default().to_owned())
            .collect()
    };
    assert!(
        received.ends_with('\n'),
        "the export ends with its last row"
    );
    assert_eq!(ids(&received), ids(&whole_export));

    // Exit 0 within 30 s.
    let status = exited(&mut server, signalled).await;
    assert!(status.success(), "exit status {status}");

    // No email is left claimed but unsent: each was sent, or is due again at once.
    assert_eq!(
        app.count(&format!(
            "outbox_emails WHERE state = 'queued' AND next_attempt_at > '{}'",
            (chrono::Utc::now().naive_utc() + chrono::Duration::seconds(60))
                .format("%Y-%m-%d %H:%M:%S")
        )),
        0
    );
    let sent = app.count("outbox_emails WHERE state = 'sent'");
    assert_eq!(
        smtp.messages().len() as i64,
        sent,
        "each sent email reached the sink once"
    );
}

#[actix_web::test]
async fn json_logs_carry_each_request_with_its_id_route_status_latency_and_actor() {
    let smtp = SmtpSink::start().await;
    let app = spawn_app().await;
    app.set_up().await;
    let log_path = app.db.dir.join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (mut server, web) = serve(
        &app,
        &smtp,
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")],
        Stdio::from(log),
    )
    .await;
    let page = web.get("/w/acme/users").await;
    assert_eq!(page.status().as_u16(), 200);
    let id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    let missing = web.get("/w/acme/users/999999").await;
    assert_eq!(missing.status().as_u16(), 404);
    let missing_id = missing.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(missing_id, id, "one id per request");

    let key = web.api_key("logs", &["users.view"]).await;
    assert!(
        web.get_with_key("/api/v1/users", &key)
            .await
            .contains("\"data\"")
    );

    terminate(&server);
    assert!(exited(&mut server, Instant::now()).await.success());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let line = lines
        .iter()
        .find(|l| l["request_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no line for {id} in {lines:#?}"));
    let account = app.first_id("accounts");
    assert_eq!(line["route"], "/w/{slug}/users");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["status"], 200);
    assert_eq!(line["actor"], format!("account:{account}"));
    assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    assert!(line["timestamp"].is_string() && line["level"] == "INFO");
    let missing = lines
        .iter()
        .find(|l| l["request_id"] == missing_id.as_str())
        .expect("the 404 is logged too");
    assert_eq!(missing["status"], 404);
    let by_key = lines
        .iter()
        .find(|l| l["route"] == "/api/v1/users")
        .expect("the API request is logged");
    assert!(by_key["actor"].as_str().unwrap().starts_with("api_key:"));
}
