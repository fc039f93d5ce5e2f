//! Benchmark (issue 3): one invite submit of 500 addresses, end to end over HTTP, on SQLite.
//! `cargo bench --bench invite` (release build). Prints each round and the median; the emails are
//! delivered afterwards by the worker (to files here), which is timed too.

use std::time::{Duration, Instant};

const ROUNDS: usize = 7;
const ADDRESSES: usize = 500;

#[path = "bench_app.rs"]
mod bench_app;

use bench_app::{csrf_in, post};

#[actix_web::main]
async fn main() {
    let app = bench_app::start("invite").await;
    let (base, client, dir) = (&app.base, &app.client, &app.dir);

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
            client,
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
}
