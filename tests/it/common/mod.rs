//! `spawn_app()`: the console on port 0 with its own database — a temp SQLite file, or a fresh
//! PostgreSQL database made from `TEST_PG_URL` and dropped afterwards — chosen by `TEST_BACKEND`.
#![allow(dead_code)]

pub mod browser;
pub mod slack;
pub mod smtp;

use std::path::PathBuf;
use std::sync::Arc;

use admin_console::clock;
use admin_console::config::Settings;
use admin_console::db::{self, AnyConnection, PooledConnection};
use admin_console::domain::ids::{AccountId, WorkspaceId};
use admin_console::domain::membership::{MembershipStatus, OrgRole};
use admin_console::domain::names::sort_key;
use admin_console::domain::role::BuiltInRole;
use admin_console::domain::{Email, NewPassword};
use admin_console::services::passwords;
use admin_console::startup::Application;
use admin_console::store::{accounts, memberships, roles, workspaces};
use diesel::Connection;
use diesel::connection::SimpleConnection;

pub const OWNER_EMAIL: &str = "ada@example.com";
pub const OWNER_PASSWORD: &str = "correct horse battery staple";
pub const WORKSPACE: &str = "acme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A database of its own for one test, removed when the test ends.
pub struct TestDatabase {
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn create() -> Self {
        let name = format!(
            "console_test_{}",
            admin_console::tokens::new_token()
                .to_lowercase()
                .replace(['-', '_'], "")[..16]
                .to_owned()
        );
        let dir = std::env::temp_dir().join("admin-console-tests").join(&name);
        std::fs::create_dir_all(&dir).expect("create test dir");
        match backend() {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.join("console.db").display()),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin = std::env::var("TEST_PG_URL").expect("TEST_BACKEND=postgres needs TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
                let mut conn =
                    diesel::PgConnection::establish(&admin).expect("connect to TEST_PG_URL");
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = match admin.rfind('/') {
                    Some(i) if admin[..i].contains("://") && admin[..i].rfind('/') != Some(i) => {
                        format!("{}/{name}", &admin[..i])
                    }
                    _ => panic!("TEST_PG_URL must end with /<database>"),
                };
                Self {
                    url,
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub pool: db::Pool,
    pub settings: Settings,
    pub db: Arc<TestDatabase>,
    /// Where `/metrics` is served, when the settings asked for it.
    pub metrics_port: Option<u16>,
}

/// Starts the console with its own database; the server runs on this test's runtime.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A console set up by Ada (see [`TestApp::set_up`]) with one more member, `email` (a fixture).
pub async fn spawn_with_member(
    email: &str,
    role: BuiltInRole,
    status: MembershipStatus,
) -> TestApp {
    let app = spawn_app().await;
    app.set_up().await;
    app.add_member(email, role, status);
    app
}

/// Like `spawn_app`, with settings changed first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let db = Arc::new(TestDatabase::create());
    let mut settings = Settings::for_database(&db.url, &db.dir.join("data"));
    change(&mut settings);
    let app = Application::build(settings.clone()).expect("build the application");
    let (port, metrics_port) = (app.port(), app.metrics_port());
    actix_web::rt::spawn(app.into_server());
    let pool = db::build_pool(&db.url, 2).expect("test pool");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: client(),
        pool,
        settings,
        db,
        metrics_port,
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // Never reuse a connection the server may be closing: its keep-alive is 5 s, and on a
        // loaded machine a test can pause that long between two requests.
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("http client")
}

/// A `multipart/form-data` body with the CSRF token and one file: (content type, body).
pub fn multipart_file(csrf: &str, field: &str, filename: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----TestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An API key's secret, shown once on the answer to the create form.
pub fn api_secret_in(page: &str) -> String {
    let start = page.find("value=\"ack_").expect("a secret on the page") + "value=\"".len();
    page[start..].chars().take_while(|c| *c != '"').collect()
}

/// The value of the first hidden `csrf_token` field in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a csrf_token field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The setup form as Ada fills it in, with the setup code this console prints.
pub fn setup_form(app: &TestApp, csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf_token", csrf.to_owned()),
        (
            "setup_code",
            admin_console::tokens::setup_code(&app.settings.session_key),
        ),
        ("organization_name", "Acme Corporation".to_owned()),
        ("workspace_name", "Acme HQ".to_owned()),
        ("workspace_slug", WORKSPACE.to_owned()),
        ("email", OWNER_EMAIL.to_owned()),
        ("first_name", "Ada".to_owned()),
        ("last_name", "Lovelace".to_owned()),
        ("password", OWNER_PASSWORD.to_owned()),
    ]
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    pub async fn post_form<T: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        form: &T,
    ) -> reqwest::Response {
        let body = serde_html_form::to_string(form).expect("form encoding");
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// The CSRF token of this client's session, read from a page's form.
    pub async fn csrf_token(&self, page: &str) -> String {
        csrf_in(&self.get_text(page).await)
    }

    /// Completes first-run setup as Ada (org owner, Owner of /w/acme) and stays signed in.
    pub async fn set_up(&self) {
        let csrf = self.csrf_token("/setup").await;
        let response = self.post_form("/setup", &setup_form(self, &csrf)).await;
        assert_eq!(response.status().as_u16(), 303, "setup should succeed");
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let csrf = self.csrf_token("/login").await;
        self.post_form(
            "/login",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn sign_out(&self) -> reqwest::Response {
        let csrf = self.csrf_token("/me").await;
        self.post_form("/logout", &[("csrf_token", csrf)]).await
    }

    /// A second browser: its own cookies, same server.
    pub fn new_client(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            port: self.port,
            client: client(),
            pool: self.pool.clone(),
            settings: self.settings.clone(),
            db: self.db.clone(),
            metrics_port: self.metrics_port,
        }
    }

    pub fn conn(&self) -> PooledConnection {
        self.pool.get().expect("test connection")
    }

    pub fn count(&self, table: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        // Table names come from the tests themselves.
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut *conn)
            .expect("count")
            .n
    }

    pub fn workspace_id(&self, slug: &str) -> WorkspaceId {
        workspaces::find_by_slug(&mut self.conn(), slug)
            .expect("query")
            .expect("workspace exists")
            .id
    }

    /// A new custom role `name` holding `permissions`, and a member holding it: `email`, invited
    /// and joined as `first` `last`, signed in (their client).
    pub async fn member_with_new_role(
        &self,
        name: &str,
        permissions: &[&str],
        (email, first, last): (&str, &str, &str),
    ) -> TestApp {
        let mut fields = vec![("name", name), ("description", "")];
        fields.extend(permissions.iter().map(|p| ("permission", *p)));
        let made = self.post_fields("/w/acme/roles", &fields).await;
        assert_eq!(made.status().as_u16(), 303, "the role is made");
        let role = location(&made).rsplit('/').next().unwrap().to_owned();
        self.invite(email, &role).await;
        let (member, joined) = self
            .accept_as_new(&self.token_for(email), first, last)
            .await;
        assert_eq!(joined.status().as_u16(), 303, "{email} joins");
        member
    }

    /// An account blocked organization-wide with no membership here (a member of another
    /// workspace): an inviter of this one is not told it is blocked.
    pub fn add_blocked_elsewhere(&self, email: &str) {
        self.add_member(email, BuiltInRole::Member, MembershipStatus::Active);
        self.execute(&format!(
            "DELETE FROM memberships WHERE account_id = \
             (SELECT id FROM accounts WHERE email = '{email}')"
        ));
        self.execute(&format!(
            "UPDATE accounts SET status = 'blocked' WHERE email = '{email}'"
        ));
    }

    /// Adds a person with a password and a membership in `slug` (test fixtures, not a product path).
    pub fn add_member(
        &self,
        email: &str,
        role: BuiltInRole,
        status: MembershipStatus,
    ) -> AccountId {
        let mut conn = self.conn();
        let workspace = self.workspace_id(WORKSPACE);
        let hash = passwords::hash_password(&NewPassword::parse(OWNER_PASSWORD).unwrap()).unwrap();
        let email = Email::parse(email).unwrap();
        (*conn)
            .transaction::<_, diesel::result::Error, _>(|conn: &mut AnyConnection| {
                let (first, last) = email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap()
                    .split_once('.')
                    .unwrap_or(("Test", "Person"));
                let account = accounts::insert(
                    conn,
                    &accounts::NewAccount {
                        email: &email,
                        first_name: first,
                        last_name: last,
                        password_hash: Some(&hash),
                        org_role: OrgRole::Member,
                    },
                    clock::now(),
                )?;
                let role_id = roles::built_in_id(conn, role)?;
                memberships::insert(
                    conn,
                    &memberships::NewMembership {
                        workspace_id: workspace,
                        account_id: account,
                        role_id,
                        status,
                        sort_name: &sort_key(first, last, email.as_str()),
                        invited_by: None,
                        joined_at: Some(clock::now()),
                    },
                    clock::now(),
                )?;
                Ok(account)
            })
            .expect("add member")
    }

    /// Moves /w/acme to the Enterprise plan (no seat limit) and adds `n` demo members.
    pub fn seed_members(&self, n: i64) {
        self.execute(
            "UPDATE workspaces SET plan = 'enterprise', seat_limit = NULL WHERE slug = 'acme'",
        );
        let slug = admin_console::domain::Slug::parse(WORKSPACE).unwrap();
        admin_console::services::seed::seed_demo(&mut self.conn(), &slug, n, |_| {}).expect("seed");
    }

    /// Invites `emails` (one form field) as `role` with a plain form POST.
    pub async fn invite(&self, emails: &str, role: &str) -> reqwest::Response {
        let csrf = self.csrf_token("/w/acme/users").await;
        self.post_form(
            "/w/acme/invitations",
            &[
                ("csrf_token", csrf.as_str()),
                ("emails", emails),
                ("role", role),
            ],
        )
        .await
    }

    /// Makes the workspace `slug` (named after it) as the signed-in org owner and invites `email`
    /// there as a Member: a pending membership in a second workspace.
    pub async fn invite_to_new_workspace(&self, slug: &str, email: &str) {
        let made = self
            .post_fields("/org/workspaces", &[("name", slug), ("slug", slug)])
            .await;
        assert_eq!(made.status().as_u16(), 303);
        let csrf = self.csrf_token(&format!("/w/{slug}/users")).await;
        let invited = self
            .post_form(
                &format!("/w/{slug}/invitations"),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("emails", email),
                    ("role", "member"),
                ],
            )
            .await;
        assert_eq!(invited.status().as_u16(), 303);
    }

    /// The token of the newest invitation email written for `email` (read from the outbox).
    pub fn token_for(&self, email: &str) -> String {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Body {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text_body: String,
        }
        let mut conn = self.conn();
        let bodies: Vec<Body> = diesel::sql_query(format!(
            "SELECT text_body FROM outbox_emails WHERE to_address = '{}' ORDER BY id DESC",
            email.replace('\'', "")
        ))
        .load(&mut *conn)
        .expect("outbox");
        let body = &bodies
            .first()
            .expect("an invitation email in the outbox")
            .text_body;
        smtp::invite_token(body)
    }

    /// Through the pages, as Ada: makes the group "Night shift" and the app "Payroll", puts
    /// `member` (whose address is `email`) in the group and takes them out again, and gives them
    /// edit access to the app: events whose target is the group or the app, naming the member.
    /// Returns the group's and the app's ids.
    pub async fn group_and_app_events_naming(&self, member: i64, email: &str) -> (i64, i64) {
        let made = self
            .post_fields("/w/acme/groups", &[("name", "Night shift")])
            .await;
        assert_eq!(made.status().as_u16(), 303);
        let group = self.first_id("groups WHERE name = 'Night shift'");
        let fields = [("kind", "app"), ("name", "Payroll"), ("owner_email", "")];
        let made = self.post_fields("/w/acme/apps", &fields).await;
        assert_eq!(made.status().as_u16(), 303);
        let payroll = self.first_id("apps WHERE name = 'Payroll'");
        let member_id = member.to_string();
        let steps: [(String, Vec<(&str, &str)>); 3] = [
            (
                format!("/w/acme/groups/{group}/members"),
                vec![("membership_id", member_id.as_str())],
            ),
            (
                format!("/w/acme/groups/{group}/members/{member}/remove"),
                vec![],
            ),
            (
                format!("/w/acme/apps/{payroll}/grants"),
                vec![("email", email), ("level", "edit")],
            ),
        ];
        for (path, fields) in &steps {
            let sent = self.post_fields(path, fields).await;
            assert_eq!(sent.status().as_u16(), 303, "{path}");
        }
        (group, payroll)
    }

    /// Accepts an invitation as a new person, in a browser of their own (signed in afterwards).
    pub async fn accept_as_new(
        &self,
        token: &str,
        first: &str,
        last: &str,
    ) -> (TestApp, reqwest::Response) {
        let person = self.new_client();
        let page = person.get_text(&format!("/invite/{token}")).await;
        let csrf = csrf_in(&page);
        let response = person
            .post_form(
                &format!("/invite/{token}"),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("first_name", first),
                    ("last_name", last),
                    ("password", "a brand new passphrase"),
                ],
            )
            .await;
        (person, response)
    }

    /// The membership id of the account with this email (in the only workspace tests use).
    pub fn membership_of(&self, email: &str) -> i64 {
        self.first_id(&format!(
            "memberships WHERE account_id = (SELECT id FROM accounts WHERE email = '{email}')"
        ))
    }

    /// This session's person (an Owner) makes a custom role `role` holding `permissions` and gives
    /// it, through the console, to a new Member `email`; returns that person's signed-in browser.
    pub async fn with_custom_role(&self, email: &str, role: &str, permissions: &[&str]) -> TestApp {
        let mut fields = vec![("name", role)];
        fields.extend(permissions.iter().map(|p| ("permission", *p)));
        let made = self.post_fields("/w/acme/roles", &fields).await;
        assert_eq!(made.status().as_u16(), 303);
        let role = self.first_id(&format!("roles WHERE name = '{role}'"));
        self.add_member(
            email,
            admin_console::domain::role::BuiltInRole::Member,
            admin_console::domain::membership::MembershipStatus::Active,
        );
        let given = self
            .post_fields(
                &format!("/w/acme/users/{}/role", self.membership_of(email)),
                &[("role", &role.to_string())],
            )
            .await;
        assert_eq!(given.status().as_u16(), 303);
        let person = self.new_client();
        assert_eq!(person.sign_in(email, OWNER_PASSWORD).await.status(), 303);
        person
    }

    /// This session's person (an Owner, in the tests) makes an API key of /w/acme with `scopes`;
    /// returns its secret.
    pub async fn api_key(&self, name: &str, scopes: &[&str]) -> String {
        let mut fields = vec![("name", name)];
        fields.extend(scopes.iter().map(|s| ("scope", *s)));
        let response = self.post_fields("/w/acme/settings/api-keys", &fields).await;
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "a page with a secret is never cached"
        );
        api_secret_in(&response.text().await.unwrap())
    }

    /// The body of a `GET` with an API key (no session).
    pub async fn get_with_key(&self, path: &str, key: &str) -> String {
        reqwest::Client::new()
            .get(self.url(path))
            .header("authorization", format!("Bearer {key}"))
            .send()
            .await
            .expect("GET with a key")
            .text()
            .await
            .unwrap()
    }

    /// A plain form POST of `fields` with this session's CSRF token (read from `/me`, which every
    /// signed-in person may open).
    pub async fn post_fields(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf_token("/me").await;
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_form(path, &form).await
    }

    /// The smallest id in `from` (a table, optionally with a WHERE clause).
    pub fn first_id(&self, from: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        diesel::sql_query(format!("SELECT id FROM {from} ORDER BY id LIMIT 1"))
            .get_result::<Id>(&mut *self.conn())
            .expect("a row")
            .id
    }

    /// The text body of the newest email to `to` with this subject (read from the outbox).
    pub fn last_email(&self, to: &str, subject: &str) -> String {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Body {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text_body: String,
        }
        diesel::sql_query(format!(
            "SELECT text_body FROM outbox_emails WHERE to_address = '{to}' AND subject = '{subject}' \
             ORDER BY id DESC LIMIT 1"
        ))
        .get_result::<Body>(&mut *self.conn())
        .expect("an email")
        .text_body
    }

    /// Runs SQL directly (fixtures that the product does not offer yet, e.g. blocking).
    pub fn execute(&self, sql: &str) {
        self.conn().batch_execute(sql).expect("fixture SQL");
    }
}

/// Runs the requests at once (each a task on this test's runtime); their statuses in order.
pub async fn join_all<F: std::future::Future<Output = u16> + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.into_iter().map(actix_web::rt::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
