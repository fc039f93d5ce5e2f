//! `/metrics` (issue 20 §4): on its own address only, in Prometheus' text format, with what an
//! operator watches — and `promtool check metrics` (Debian's prometheus package, fetched by the
//! test command) finds nothing wrong with it.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::*;

fn promtool() -> String {
    std::env::var("PROMTOOL").unwrap_or_else(|_| {
        format!(
            "{}/target/promtool/usr/bin/promtool",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

/// The value of the first sample whose line starts with `series`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

#[actix_web::test]
async fn metrics_are_served_on_their_own_address_and_pass_promtool() {
    let app = spawn_app_with(|s| s.metrics_bind = Some("127.0.0.1:0".to_owned())).await;
    app.set_up().await;
    assert_eq!(app.get("/w/acme/users").await.status().as_u16(), 200);
    assert_eq!(
        app.invite("grace@example.com", "member")
            .await
            .status()
            .as_u16(),
        303
    );
    let stranger = app.new_client();
    assert_eq!(
        stranger
            .sign_in(OWNER_EMAIL, "not the password")
            .await
            .status()
            .as_u16(),
        401
    );

    // Not on the console's own address.
    assert_eq!(app.get("/metrics").await.status().as_u16(), 404);

    let port = app.metrics_port.expect("metrics served");
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let post = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();

    // Requests by route pattern (never the path itself) and status, with latencies.
    assert!(
        sample(
            &text,
            r#"console_http_requests_total{method="GET",route="/w/{slug}/users",status="200"}"#
        ) >= 1.0
    );
    assert!(!text.contains("route=\"/w/acme"), "paths are not labels");
    assert!(
        sample(
            &text,
            r#"console_http_request_duration_seconds_count{method="POST",route="/login"}"#
        ) >= 1.0
    );
    assert!(sample(&text, "console_sign_in_failures_total") >= 1.0);
    assert_eq!(sample(&text, "console_database_up"), 1.0);
    assert!(sample(&text, "console_sessions_active") >= 1.0);
    assert!(sample(&text, r#"console_db_pool_connections{state="idle"}"#) >= 0.0);
    assert!(sample(&text, "console_db_pool_wait_seconds_count") >= 1.0);
    for series in [
        "console_db_pool_waiting_requests",
        r#"console_outbox_emails{state="queued"}"#,
        r#"console_outbox_emails{state="failing"}"#,
        "console_outbox_oldest_email_age_seconds",
        "console_emails_sent_total",
        "console_emails_failed_total",
        "console_sign_in_pauses_total",
        "console_db_pool_timeouts_total",
    ] {
        sample(&text, series);
    }

    // A third party's verdict on the format and the naming.
    let mut check = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (tests/run.sh fetches it into target/promtool)");
    check
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let verdict = check.wait_with_output().unwrap();
    assert!(
        verdict.status.success() && verdict.stdout.is_empty() && verdict.stderr.is_empty(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&verdict.stdout),
        String::from_utf8_lossy(&verdict.stderr)
    );
}
