//! Benchmark (issue 3): one invite submit of 500 addresses, end to end over HTTP, on SQLite.
//! `cargo bench --bench invite` (release build). Prints each round and the median; the emails are
//! delivered afterwards by the worker (to files here), which is timed too.

use std::time::{Duration, Instant};

use admin_console::config::Settings;
use admin_console::db;
use admin_console::startup::Application;
use diesel::connection::SimpleConnection;

const ROUNDS: usize = 7;
const ADDRESSES: usize = 500;

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn post(client: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

#[actix_web::main]
async fn main() {
    let dir =
        std::env::temp_dir().join(format!("admin-console-bench-invite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("console.db").display());
    let mut settings = Settings::for_database(&url, &dir.join("data"));
    settings.workers = Some(2);
    let app = Application::build(settings).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.into_server());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let setup = client
        .get(format!("{base}/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&setup);
    let form = [
        ("csrf_token", csrf.as_str()),
        ("organization_name", "Bench"),
        ("workspace_name", "Acme"),
        ("workspace_slug", "acme"),
        ("email", "owner@example.com"),
        ("first_name", "Olive"),
        ("last_name", "Owner"),
        ("password", "correct horse battery staple"),
    ];
    assert_eq!(
        post(&client, &format!("{base}/setup"), &form)
            .await
            .status()
            .as_u16(),
        303
    );
    let pool = db::build_pool(&url, 1).unwrap();
    pool.get()
        .unwrap()
        .batch_execute("UPDATE workspaces SET plan = 'enterprise', seat_limit = NULL")
        .unwrap();

    let page = client
        .get(format!("{base}/w/acme/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let mut times = Vec::new();
    for round in 0..ROUNDS {
        let emails = (0..ADDRESSES)
            .map(|i| format!("Person {i} <r{round}.person{i}@example.com>"))
            .collect::<Vec<_>>()
            .join(",\n");
        let started = Instant::now();
        let response = post(
            &client,
            &format!("{base}/w/acme/invitations"),
            &[
                ("csrf_token", &csrf),
                ("emails", &emails),
                ("role", "member"),
            ],
        )
        .await;
        let took = started.elapsed();
        assert_eq!(response.status().as_u16(), 303, "round {round}");
        println!(
            "round {round}: {ADDRESSES} addresses invited in {:.1} ms",
            took.as_secs_f64() * 1000.0
        );
        times.push(took);
    }
    times.sort();
    println!(
        "invite submit of {ADDRESSES} addresses, SQLite: median {:.1} ms, min {:.1} ms, max {:.1} ms ({ROUNDS} rounds, {} members pending at the end)",
        times[ROUNDS / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[ROUNDS - 1].as_secs_f64() * 1000.0,
        ROUNDS * ADDRESSES
    );

    // The worker then writes every email (files: no SMTP_URL).
    let outbox = dir.join("data").join("outbox");
    let total = ROUNDS * ADDRESSES;
    let started = Instant::now();
    loop {
        let written = std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0);
        if written >= total {
            println!(
                "worker: all {total} emails delivered {:.1} s after the last submit",
                started.elapsed().as_secs_f64()
            );
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            println!("worker: {written} of {total} emails delivered after 120 s");
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
