//! A stand-in of the Slack Web API for tests: an actix-web server on a loopback port answering
//! `/api/{method}` in the shapes of Slack's documented responses (`oauth.v2.access`, `auth.test`,
//! `auth.revoke`, `users.list`, `conversations.open`, `chat.postMessage`), with a deterministic
//! 450-member roster, per-method throttling, and a record of what was asked and delivered.
//!
//! The server's workers run on threads of their own, so the product may call it from blocking
//! threads (or even block the test's runtime thread) and it still answers.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The valid bot token.
pub const TOKEN: &str = "xoxb-stand-in-token";
/// Another valid bot token, as of an earlier connection: revoking it ends it alone.
pub const OLD_TOKEN: &str = "xoxb-stand-in-old-token";
/// The one valid OAuth code.
pub const OAUTH_CODE: &str = "stand-in-code";
pub const TEAM_NAME: &str = "Stand-in Team";
pub const TEAM_ID: &str = "T0STANDIN";
pub const ALL_SCOPES: &str = "users:read,users:read.email,im:write,chat:write";
/// How many members of `roster()` a console should import: the ordinary people and the guest.
pub const ROSTER_IMPORTABLE: usize = 443;

const BOT_USER_ID: &str = "U0BOTUSER";
const MESSAGE_TS: &str = "1700000000.000100";
const UPDATED: u64 = 1_700_000_000;
const CURSOR_PREFIX: &str = "user:";

#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub real_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub is_bot: bool,
    pub deleted: bool,
    pub is_restricted: bool,
}

impl Person {
    fn human(id: &str, first: &str, last: &str, email: Option<&str>) -> Self {
        Person {
            id: id.to_owned(),
            name: email
                .and_then(|e| e.split('@').next())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{}.{}", first, last).to_lowercase()),
            real_name: format!("{first} {last}"),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: email.map(str::to_owned),
            is_bot: false,
            deleted: false,
            is_restricted: false,
        }
    }

    fn bot(id: &str, name: &str, real_name: &str) -> Self {
        Person {
            id: id.to_owned(),
            name: name.to_owned(),
            real_name: real_name.to_owned(),
            first_name: String::new(),
            last_name: String::new(),
            email: None,
            is_bot: true,
            deleted: false,
            is_restricted: false,
        }
    }

    /// The member object as `users.list` documents it (`profile.email` absent when there is none).
    fn to_json(&self) -> Value {
        let mut profile = json!({
            "real_name": self.real_name,
            "display_name": self.first_name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "image_48": "https://example.invalid/a.png",
        });
        if let Some(email) = &self.email {
            profile["email"] = json!(email);
        }
        json!({
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": "Europe/London",
            "is_admin": false,
            "is_owner": false,
            "is_bot": self.is_bot,
            "is_app_user": false,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": false,
            "updated": UPDATED,
            "profile": profile,
        })
    }
}

const FIRST_NAMES: [&str; 30] = [
    "Ada",
    "Alan",
    "Grace",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Dennis",
    "Frances",
    "Ken",
    "Radia",
    "Linus",
    "Hedy",
    "Tim",
    "Sophie",
    "John",
    "Annie",
    "Claude",
    "Karen",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Jean",
    "Vint",
    "Mary",
    "Bjarne",
    "Carol",
    "Guido",
    "Evelyn",
];

/// `Hopper` sits where the generator never pairs it with `Grace`: the only Grace Hopper is UGRACE001.
const LAST_NAMES: [&str; 30] = [
    "Lovelace",
    "Turing",
    "Hamilton",
    "Johnson",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Thompson",
    "Ritchie",
    "Allen",
    "Perlman",
    "Torvalds",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Backus",
    "Easley",
    "Shannon",
    "Wirth",
    "Goldwasser",
    "Lamport",
    "Sammet",
    "Cerf",
    "Hopper",
    "Keller",
    "Stroustrup",
    "Shaw",
    "Rossum",
    "Boyd",
    "Clarke",
];

/// A unique, deterministic `U` + 8 uppercase hex digits (an odd multiplier is a bijection on u32;
/// the fixed ids all hold a non-hex letter, so they never collide with these).
fn generated_id(n: u32) -> String {
    format!(
        "U{:08X}",
        n.wrapping_mul(0x9E37_79B1).wrapping_add(0x5A17_C0DE)
    )
}

/// 450 members: USLACKBOT, 2 bots, 3 deleted people, 1 human without an email, 1 guest
/// (`is_restricted`) and 442 ordinary people with emails — 443 importable. Deterministic.
pub fn roster() -> Vec<Person> {
    let mut people = Vec::with_capacity(450);
    let mut n: u32 = 0;
    while people.len() < 441 {
        let i = n as usize;
        let first = FIRST_NAMES[i % 30];
        let last = LAST_NAMES[(i + i / 30) % 30];
        n += 1;
        if (first, last) == ("Grace", "Hopper") {
            continue;
        }
        let email = format!(
            "{}.{}{n}@slackco.example",
            first.to_lowercase(),
            last.to_lowercase()
        );
        people.push(Person::human(&generated_id(n), first, last, Some(&email)));
    }

    let slackbot = Person {
        id: "USLACKBOT".to_owned(),
        name: "slackbot".to_owned(),
        real_name: "Slackbot".to_owned(),
        first_name: "slackbot".to_owned(),
        last_name: String::new(),
        email: None,
        is_bot: false,
        deleted: false,
        is_restricted: false,
    };
    let deleted = |id: &str, first: &str, last: &str, email: &str| Person {
        deleted: true,
        ..Person::human(id, first, last, Some(email))
    };
    let guest = Person {
        is_restricted: true,
        ..Person::human(
            "UGUEST001",
            "Gus",
            "Guest",
            Some("gus.guest@slackco.example"),
        )
    };
    // Spread over the three pages of 200, at these final positions (ascending).
    let specials = [
        (0, slackbot),
        (
            7,
            Person::human(
                "UGRACE001",
                "Grace",
                "Hopper",
                Some("grace.hopper@slackco.example"),
            ),
        ),
        (120, Person::bot("UBOT00001", "deploybot", "Deploy Bot")),
        (
            150,
            deleted("UDELETED2", "Ex", "Employee", "ex.employee@slackco.example"),
        ),
        (
            210,
            deleted("UDELETED1", "Dee", "Leted", "dee.leted@slackco.example"),
        ),
        (260, Person::human("UNOMAIL01", "Nomail", "Person", None)),
        (330, Person::bot("UBOT00002", "standupbot", "Standup Bot")),
        (410, guest),
        (
            440,
            deleted(
                "UDELETED3",
                "Former",
                "Staff",
                "former.staff@slackco.example",
            ),
        ),
    ];
    for (at, person) in specials {
        people.insert(at, person);
    }
    debug_assert_eq!(people.len(), 450);
    people
}

#[derive(Default)]
struct State {
    people: Vec<Person>,
    scopes: String,
    /// method → (429s left, Retry-After seconds)
    throttles: HashMap<String, (usize, u64)>,
    calls: HashMap<String, usize>,
    messages: Vec<(String, String)>,
    open_channels: HashSet<String>,
    /// The token answers `token_revoked` (until a new OAuth exchange succeeds).
    token_dead: bool,
    /// auth.revoke succeeded at least once.
    revoked: bool,
    /// OLD_TOKEN was revoked.
    old_token_dead: bool,
    fail_auth: Option<String>,
    last_oauth: Option<HashMap<String, String>>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct SlackStandIn {
    /// `http://127.0.0.1:PORT/api` — the value for SLACK_API_URL.
    pub url: String,
    pub port: u16,
    state: Shared,
    handle: ServerHandle,
}

impl SlackStandIn {
    /// With `roster()`.
    pub async fn start() -> Self {
        Self::start_with(roster()).await
    }

    pub async fn start_with(people: Vec<Person>) -> Self {
        let state: Shared = Arc::new(Mutex::new(State {
            people,
            scopes: ALL_SCOPES.to_owned(),
            ..State::default()
        }));
        let data = web::Data::new(state.clone());
        // Set by the app factory, which runs as the worker starts: the workers and the acceptor
        // start on the server future's first poll, on threads of their own.
        let ready = Arc::new(AtomicBool::new(false));
        let started = ready.clone();
        let server = HttpServer::new(move || {
            started.store(true, Ordering::SeqCst);
            App::new()
                .app_data(data.clone())
                .route("/api/{method}", web::route().to(api))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))
        .expect("bind the Slack stand-in");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        // Wait for that first poll, so that callers that block this thread are still answered.
        let deadline = Instant::now() + Duration::from_secs(15);
        while !ready.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "the Slack stand-in did not start"
            );
            actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        }
        SlackStandIn {
            url: format!("http://127.0.0.1:{port}/api"),
            port,
            state,
            handle,
        }
    }

    /// The next `n` calls of `method` answer HTTP 429 with `Retry-After: {seconds}` and
    /// `{"ok":false,"error":"ratelimited"}`; counted per method.
    pub fn throttle(&self, method: &str, n: usize, retry_after_seconds: u64) {
        lock(&self.state)
            .throttles
            .insert(method.to_owned(), (n, retry_after_seconds));
    }

    /// Makes `auth.test` and every call with the token answer `{"ok":false,"error":<error>}`;
    /// `None` restores.
    pub fn fail_auth_with(&self, error: Option<&str>) {
        lock(&self.state).fail_auth = error.map(str::to_owned);
    }

    /// The scopes reported (`x-oauth-scopes` and oauth.v2.access's `scope`). Default ALL_SCOPES.
    pub fn set_scopes(&self, scopes: &str) {
        lock(&self.state).scopes = scopes.to_owned();
    }

    /// How many times `method` was called (429s included).
    pub fn calls(&self, method: &str) -> usize {
        lock(&self.state).calls.get(method).copied().unwrap_or(0)
    }

    /// Delivered direct messages: (Slack user id, text), in order.
    pub fn messages(&self) -> Vec<(String, String)> {
        lock(&self.state).messages.clone()
    }

    /// True once auth.revoke succeeded.
    pub fn revoked(&self) -> bool {
        lock(&self.state).revoked
    }

    /// True once OLD_TOKEN was revoked.
    pub fn old_token_revoked(&self) -> bool {
        lock(&self.state).old_token_dead
    }

    /// The last oauth.v2.access request's fields (client_id, client_secret, code, redirect_uri).
    pub fn last_oauth_request(&self) -> Option<HashMap<String, String>> {
        lock(&self.state).last_oauth.clone()
    }
}

impl Drop for SlackStandIn {
    fn drop(&mut self) {
        // `stop` sends the command at once; the future it returns only waits for completion, so
        // it is not awaited (spawning it would panic when dropped outside the actix runtime).
        let stopping = self.handle.stop(false);
        drop(stopping);
    }
}

const AUTHENTICATED_METHODS: [&str; 5] = [
    "auth.test",
    "auth.revoke",
    "users.list",
    "conversations.open",
    "chat.postMessage",
];

async fn api(req: HttpRequest, body: web::Bytes, state: web::Data<Shared>) -> HttpResponse {
    let method = req
        .match_info()
        .get("method")
        .unwrap_or_default()
        .to_owned();
    let params = params(&req, &body);
    let mut st = lock(&state);
    *st.calls.entry(method.clone()).or_default() += 1;

    if let Some((left, seconds)) = st.throttles.get_mut(&method)
        && *left > 0
    {
        *left -= 1;
        return HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
            .insert_header((header::RETRY_AFTER, seconds.to_string()))
            .content_type("application/json; charset=utf-8")
            .body(json!({"ok": false, "error": "ratelimited"}).to_string());
    }

    if method == "oauth.v2.access" {
        return answer(oauth_access(&req, params, &mut st), None);
    }
    if !AUTHENTICATED_METHODS.contains(&method.as_str()) {
        return answer(error("unknown_method"), None);
    }
    let token = match authenticate(&req, &params, &st) {
        Ok(token) => token,
        Err(e) => return answer(error(&e), None),
    };
    let body = match method.as_str() {
        "auth.test" => json!({
            "ok": true,
            "url": "https://standin.slack.com/",
            "team": TEAM_NAME,
            "user": "console",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0STANDIN",
            "is_enterprise_install": false,
        }),
        "auth.revoke" => {
            if matches!(param(&params, "test"), Some("true" | "1")) {
                json!({"ok": true, "revoked": false})
            } else {
                if token == OLD_TOKEN {
                    st.old_token_dead = true;
                } else {
                    st.token_dead = true;
                }
                st.revoked = true;
                json!({"ok": true, "revoked": true})
            }
        }
        "users.list" => users_list(&params, &st),
        "conversations.open" => conversations_open(&params, &mut st),
        "chat.postMessage" => post_message(&params, &mut st),
        _ => unreachable!("listed in AUTHENTICATED_METHODS"),
    };
    answer(body, Some(&st.scopes))
}

fn answer(body: Value, scopes: Option<&str>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("application/json; charset=utf-8");
    if let Some(scopes) = scopes {
        response.insert_header(("x-oauth-scopes", scopes.to_owned()));
    }
    response.body(body.to_string())
}

fn error(code: &str) -> Value {
    json!({"ok": false, "error": code})
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Query-string parameters, overridden by the body's: form-urlencoded, or a JSON object.
fn params(req: &HttpRequest, body: &[u8]) -> HashMap<String, String> {
    let mut params: HashMap<String, String> =
        serde_html_form::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .collect();
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
            for (key, value) in object {
                let value = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                params.insert(key, value);
            }
        }
    } else if let Ok(pairs) = serde_html_form::from_bytes::<Vec<(String, String)>>(body) {
        params.extend(pairs);
    }
    params
}

fn authorization(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    Some((scheme.to_ascii_lowercase(), credentials.trim().to_owned()))
}

/// The bearer token (or, as Slack also allows, a `token` form field) checked against TOKEN and
/// OLD_TOKEN; the token when it is live.
fn authenticate(
    req: &HttpRequest,
    params: &HashMap<String, String>,
    st: &State,
) -> Result<String, String> {
    let token = match authorization(req) {
        Some((scheme, token)) if scheme == "bearer" => Some(token),
        _ => param(params, "token").map(str::to_owned),
    };
    let dead = match token.as_deref() {
        None | Some("") => return Err("not_authed".to_owned()),
        Some(TOKEN) => st.token_dead,
        Some(OLD_TOKEN) => st.old_token_dead,
        Some(_) => return Err("invalid_auth".to_owned()),
    };
    match &st.fail_auth {
        Some(e) => Err(e.clone()),
        None if dead => Err("token_revoked".to_owned()),
        None => Ok(token.unwrap_or_default()),
    }
}

fn oauth_access(req: &HttpRequest, mut params: HashMap<String, String>, st: &mut State) -> Value {
    if let Some((scheme, credentials)) = authorization(req)
        && scheme == "basic"
        && let Ok(decoded) = STANDARD.decode(credentials)
        && let Ok(decoded) = String::from_utf8(decoded)
        && let Some((id, secret)) = decoded.split_once(':')
    {
        params
            .entry("client_id".to_owned())
            .or_insert_with(|| id.to_owned());
        params
            .entry("client_secret".to_owned())
            .or_insert_with(|| secret.to_owned());
    }
    let granted = param(&params, "code") == Some(OAUTH_CODE)
        && param(&params, "client_id").is_some()
        && param(&params, "client_secret").is_some();
    st.last_oauth = Some(params);
    if !granted {
        return error("invalid_code");
    }
    // A fresh install hands out a live token again.
    st.token_dead = false;
    json!({
        "ok": true,
        "access_token": TOKEN,
        "token_type": "bot",
        "scope": st.scopes,
        "bot_user_id": BOT_USER_ID,
        "app_id": "A0STANDIN",
        "team": {"name": TEAM_NAME, "id": TEAM_ID},
        "enterprise": null,
        "is_enterprise_install": false,
        "authed_user": {"id": "U0INSTALL"},
    })
}

fn encode_cursor(offset: usize) -> String {
    STANDARD.encode(format!("{CURSOR_PREFIX}{offset}"))
}

fn decode_cursor(cursor: &str, len: usize) -> Option<usize> {
    let decoded = String::from_utf8(STANDARD.decode(cursor).ok()?).ok()?;
    let offset: usize = decoded.strip_prefix(CURSOR_PREFIX)?.parse().ok()?;
    (offset > 0 && offset < len).then_some(offset)
}

fn users_list(params: &HashMap<String, String>, st: &State) -> Value {
    let limit = param(params, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|&l| l > 0)
        .unwrap_or(100)
        .min(200);
    let total = st.people.len();
    let offset = match param(params, "cursor") {
        None => 0,
        Some(cursor) => match decode_cursor(cursor, total) {
            Some(offset) => offset,
            None => return error("invalid_cursor"),
        },
    };
    let end = (offset + limit).min(total);
    let members: Vec<Value> = st.people[offset..end].iter().map(Person::to_json).collect();
    let next_cursor = if end < total {
        encode_cursor(end)
    } else {
        String::new()
    };
    let cache_ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(UPDATED);
    json!({
        "ok": true,
        "members": members,
        "cache_ts": cache_ts,
        "response_metadata": {"next_cursor": next_cursor},
    })
}

fn conversations_open(params: &HashMap<String, String>, st: &mut State) -> Value {
    let Some(user) = param(params, "users") else {
        return error("users_list_not_supplied");
    };
    if !st.people.iter().any(|p| p.id == user) {
        return error("user_not_found");
    }
    let channel = format!("D{user}");
    st.open_channels.insert(channel.clone());
    json!({"ok": true, "channel": {"id": channel}})
}

fn post_message(params: &HashMap<String, String>, st: &mut State) -> Value {
    let Some(channel) = param(params, "channel").filter(|c| st.open_channels.contains(*c)) else {
        return error("channel_not_found");
    };
    let Some(text) = params.get("text").filter(|t| !t.trim().is_empty()) else {
        return error("no_text");
    };
    let user = channel.strip_prefix('D').unwrap_or(channel).to_owned();
    st.messages.push((user, text.clone()));
    json!({
        "ok": true,
        "channel": channel,
        "ts": MESSAGE_TS,
        "message": {"text": text},
    })
}
