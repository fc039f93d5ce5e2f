//! What the benchmarks share: a release server on a temporary SQLite database, set up with an
//! owner signed in (a cookie-keeping client) and the workspace on the Enterprise plan.
// Each benchmark uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use admin_console::config::Settings;
use admin_console::db;
use admin_console::startup::Application;
use diesel::connection::SimpleConnection;

pub struct BenchApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The temporary folder (database, data).
    pub dir: PathBuf,
    pub pool: db::Pool,
    /// With `BENCH_PG_URL`: the admin URL and the bench's own database, dropped at the end.
    pg: Option<(String, String)>,
}

impl Drop for BenchApp {
    fn drop(&mut self) {
        use diesel::Connection;
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub async fn post(client: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_html_form::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

/// Prints the median, p99 and maximum of `times` (sorted in place) under `label`; returns the p99.
pub fn summary(label: &str, times: &mut [Duration]) -> Duration {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = times[times.len() * 99 / 100];
    println!(
        "{label}: median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} rounds)",
        ms(times[times.len() / 2]),
        ms(p99),
        ms(times[times.len() - 1]),
        times.len()
    );
    p99
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The database: a fresh SQLite file in `dir`, or with `BENCH_PG_URL` (a PostgreSQL URL ending in
/// `/postgres`) a fresh PostgreSQL database made there (its admin URL and name come back too).
fn database_url(name: &str, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    let Ok(admin) = std::env::var("BENCH_PG_URL") else {
        return (
            format!("sqlite://{}", dir.join("console.db").display()),
            None,
        );
    };
    use diesel::Connection;
    let database = format!("bench_{name}_{}", std::process::id());
    let mut conn = diesel::PgConnection::establish(&admin).expect("connect to BENCH_PG_URL");
    for statement in [
        format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
        format!("CREATE DATABASE {database}"),
    ] {
        conn.batch_execute(&statement)
            .expect("create the bench database");
    }
    let base = admin
        .rsplit_once('/')
        .expect("BENCH_PG_URL ends with /<database>")
        .0;
    (
        format!("{base}/{database}"),
        Some((admin.clone(), database)),
    )
}

/// Starts the server (loopback, two workers) and completes setup as the owner of `/w/acme`.
pub async fn start(name: &str) -> BenchApp {
    let dir =
        std::env::temp_dir().join(format!("admin-console-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg) = database_url(name, &dir);
    let mut settings = Settings::for_database(&url, &dir.join("data"));
    settings.workers = Some(2);
    let code = admin_console::tokens::setup_code(&settings.session_key);
    let app = Application::build(settings).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.into_server());
    let client = client();
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
        ("setup_code", code.as_str()),
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
    BenchApp {
        base,
        client,
        dir,
        pool,
        pg,
    }
}
