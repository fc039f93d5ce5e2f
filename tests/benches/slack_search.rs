//! Benchmark (issue 19): searching the people of a 20,000-person Slack workspace in the invite
//! dialog's "From Slack" tab. `cargo bench --bench slack_search` (release build, a fresh SQLite
//! database; `BENCH_PG_URL=postgres://…/postgres` for PostgreSQL). The people are stored as the
//! Slack worker stores them; each search term is asked 300 times over HTTP, as htmx asks while
//! someone types (the dialog fragment, signed in as the owner). Prints median and p99 per term and
//! over all of them.

use std::time::{Duration, Instant};

use admin_console::clock;
use admin_console::domain::slack::{Member, SlackPerson};
use admin_console::services::slack::{self, Checked, Via};
use admin_console::slack::client::TokenInfo;
use admin_console::store::audit::Actor;
use admin_console::store::{dialect, workspaces};
use diesel::connection::SimpleConnection;

#[path = "bench_app.rs"]
mod bench_app;

const PEOPLE: usize = 20_000;
const ROUNDS: usize = 300;
const FIRST: [&str; 20] = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Katherine",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Dennis",
    "Ken",
    "Hedy",
    "Tim",
    "Sophie",
    "Guido",
    "Anita",
];
const LAST: [&str; 20] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Ritchie",
    "Thompson",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "van Rossum",
    "Borg",
];

fn person(i: usize) -> SlackPerson {
    let (first, last) = (FIRST[i % 20], LAST[(i / 20) % 20]);
    let member: Member = serde_json::from_value(serde_json::json!({
        "id": format!("U{i:08}"),
        "name": format!("{}{i}", first.to_lowercase()),
        "profile": {
            "real_name": format!("{first} {last}"),
            "first_name": first,
            "last_name": last,
            "email": format!("{}.{}{i}@slackco.example", first.to_lowercase(), last.to_lowercase().replace(' ', "")),
        }
    }))
    .unwrap();
    SlackPerson::from_member(&member).unwrap()
}

#[actix_web::main]
async fn main() {
    let app = bench_app::start("slack").await;
    let mut conn = app.pool.get().unwrap();
    let now = clock::now();
    let workspace = workspaces::find_by_slug(&mut conn, "acme")
        .unwrap()
        .unwrap()
        .id;
    let info = TokenInfo {
        team_id: "T0BENCH".into(),
        team_name: "Bench Slack".into(),
        bot_user_id: None,
        scopes: "users:read,users:read.email,im:write,chat:write".into(),
    };
    let checked = Checked {
        token: "xoxb-bench",
        info: &info,
        via: Via::Token,
        replaced: None,
    };
    slack::connect(
        &mut conn,
        &Actor::scheduled(),
        workspace,
        &checked,
        &[7; 32],
        now,
    )
    .unwrap();
    // Read already (the worker has nothing to do): the people as the worker stores them.
    conn.batch_execute(&format!(
        "UPDATE slack_connections SET read_requested_at = NULL, people_read_at = '2100-01-01 00:00:00', \
         read_progress = {PEOPLE}"
    ))
    .unwrap();
    let people: Vec<SlackPerson> = (0..PEOPLE).map(person).collect();
    dialect::insert_slack_people(&mut conn, workspace, &people).unwrap();
    drop(conn);

    let mut all = Vec::new();
    for term in ["", "grace", "hopper", "ada.lovelace1", "van", "a", "zzz"] {
        let url = format!("{}/w/acme/invitations/slack?q={term}", app.base);
        let mut times = Vec::with_capacity(ROUNDS);
        let mut body_len = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let response = app
                .client
                .get(&url)
                .header("HX-Request", "true")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            body_len = response.text().await.unwrap().len();
            times.push(started.elapsed());
        }
        bench_app::summary(&format!("search {term:?} ({body_len} bytes)"), &mut times);
        all.extend(times);
    }
    let p99 = bench_app::summary(
        &format!("all searches over {PEOPLE} Slack people"),
        &mut all,
    );
    println!(
        "target p99 ≤ 20 ms: {}",
        if p99 <= Duration::from_millis(20) {
            "met"
        } else {
            "NOT met"
        }
    );
}
