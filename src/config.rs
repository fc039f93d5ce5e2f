//! Typed settings from flags and environment, with defaults that run on SQLite with nothing set.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The flags (and their environment variables) every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct SettingsArgs {
    /// `postgres://user:pass@host/db` for PostgreSQL; otherwise a SQLite file (created if missing).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "BIND", global = true, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The address people open, used in links in emails; `https://…` makes cookies `Secure`.
    #[arg(long, env = "BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Folder for the default SQLite database, the generated session key and the email outbox.
    #[arg(long, env = "DATA_DIR", global = true, default_value = "data")]
    pub data_dir: PathBuf,
    /// 64+ random bytes, base64, for the session cookie; generated into DATA_DIR when unset.
    #[arg(long, env = "SESSION_KEY", global = true, hide_env_values = true)]
    pub session_key: Option<String>,
    /// 32+ random bytes, base64, encrypting stored secrets (two-factor keys); generated into
    /// DATA_DIR when unset. Give the same one to every instance sharing a database.
    #[arg(long, env = "ENCRYPTION_KEY", global = true, hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// `smtp://host:port` or `smtps://user:pass@host`; unset, emails are written under DATA_DIR/outbox.
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of the console's emails, e.g. `Acme Console <console@acme.example>`.
    #[arg(long, env = "MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// Days an invitation link stays valid.
    #[arg(long, env = "INVITE_TTL_DAYS", global = true, default_value_t = 7)]
    pub invite_ttl_days: i64,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` /
    /// `Forwarded` headers name the client; unset, the client is the TCP peer.
    #[arg(long, env = "TRUST_PROXY", global = true)]
    pub trust_proxy: Option<String>,
    /// Database connections kept open.
    #[arg(long, env = "DB_POOL_SIZE", global = true, default_value_t = 8)]
    pub db_pool_size: u32,
    /// Requests one API key may make a minute; more answer 429 with `Retry-After`.
    #[arg(long, env = "API_RATE_LIMIT", global = true, default_value_t = 600)]
    pub api_rate_limit: u32,
    /// Address of `/metrics` (Prometheus' text format), e.g. `127.0.0.1:9464`; unset, not served.
    #[arg(long, env = "METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,
    /// Seconds a stopping instance keeps taking requests while `/readyz` already answers 503, so
    /// that a load balancer stops sending before the listener closes (0 to close at once).
    #[arg(long, env = "SHUTDOWN_DRAIN_SECONDS", global = true, default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(0..=10))]
    pub shutdown_drain_seconds: u64,
    /// The wait before an email that could not be sent is tried again (doubled each time, at most
    /// an hour).
    #[arg(long, env = "OUTBOX_RETRY_SECONDS", global = true, default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub outbox_retry_seconds: u64,
    /// Slack's Web API (tests point it at a stand-in).
    #[arg(long, env = "SLACK_API_URL", global = true, default_value = DEFAULT_SLACK_API_URL)]
    pub slack_api_url: String,
    /// The Slack app's client id, for "Add to Slack" (OAuth); unset, a bot token is pasted instead.
    #[arg(long, env = "SLACK_CLIENT_ID", global = true)]
    pub slack_client_id: Option<String>,
    /// The Slack app's client secret (with SLACK_CLIENT_ID).
    #[arg(
        long,
        env = "SLACK_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub slack_client_secret: Option<String>,
}

pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";

/// How the console reaches Slack.
#[derive(Clone, Debug)]
pub struct SlackSettings {
    /// The Web API's base address, e.g. `https://slack.com/api`.
    pub api_url: String,
    /// The Slack app's client id and secret, when one is configured (OAuth installs).
    pub app: Option<(String, String)>,
}

impl SlackSettings {
    pub fn new(api_url: &str, client_id: Option<String>, secret: Option<String>) -> Self {
        let filled = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            app: filled(client_id).zip(filled(secret)),
        }
    }

    /// Where Slack asks a person to approve an installation: the Web API's host, at
    /// `/oauth/v2/authorize` (`https://slack.com/api` → `https://slack.com/oauth/v2/authorize`).
    pub fn authorize_url(&self) -> String {
        let base = self.api_url.strip_suffix("/api").unwrap_or(&self.api_url);
        format!("{base}/oauth/v2/authorize")
    }
}

/// Settings after defaults and checks.
#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub session_key: Vec<u8>,
    /// AES-256-GCM key of stored secrets (`crypto`).
    pub encryption_key: Vec<u8>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub invite_ttl_days: i64,
    pub db_pool_size: u32,
    /// HTTP worker threads; `None` lets actix pick one per core.
    pub workers: Option<usize>,
    pub outbox: OutboxSettings,
    pub trusted_proxies: crate::net::TrustedProxies,
    /// Requests one API key may make a minute.
    pub api_rate_limit: u32,
    /// Where `/metrics` is served (`None`: not at all).
    pub metrics_bind: Option<String>,
    /// How long a stopping instance keeps answering (not ready) before its listener closes.
    pub shutdown_drain: std::time::Duration,
    pub slack: SlackSettings,
    /// How often an open presence stream marks its viewer active and checks they may still
    /// watch (suspended, blocked or signed out everywhere: the stream ends).
    pub presence_heartbeat: std::time::Duration,
    /// The rules that wait read this clock (tests move it forward).
    pub clock: crate::clock::Clock,
}

/// [`Settings::presence_heartbeat`] unless a test shortens it.
const PRESENCE_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);

/// How the email worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct OutboxSettings {
    /// How often it looks for due emails (it is also woken when one is queued).
    pub poll_interval: std::time::Duration,
    /// The wait after a first failed attempt; doubled after each further one, up to an hour.
    pub retry_base: std::time::Duration,
    /// Attempts before an email is marked failed for good.
    pub max_attempts: i64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            poll_interval: std::time::Duration::from_secs(5),
            retry_base: std::time::Duration::from_secs(30),
            max_attempts: 8,
        }
    }
}

/// `Admin console <no-reply@host>` for the host people reach the console at.
fn default_mail_from(base_url: &str) -> String {
    let host = base_url
        .split("://")
        .nth(1)
        .unwrap_or("localhost")
        .split(['/', ':'])
        .next()
        .unwrap_or("localhost");
    // An address is no mail domain: `127.0.0.1`, or an IPv6 one (`[::1]:8080` splits at `[`).
    let host =
        if host.is_empty() || host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
            "localhost"
        } else {
            host
        };
    format!("Admin console <no-reply@{host}>")
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .finish_non_exhaustive()
    }
}

/// The longest an invitation link may stay valid (a year).
pub const MAX_INVITE_TTL_DAYS: i64 = 365;

/// A URL with its passwords replaced, for logs: the one after the user name, and a `password`
/// query parameter (`?password=…`, which PostgreSQL's URLs take too).
pub fn redact_url(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let address = match (address.find("://"), address.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match address[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &address[..scheme + 3], &address[at..]),
            None => address.to_owned(),
        },
        _ => address.to_owned(),
    };
    let Some(query) = query else {
        return address;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{address}?{}", query.join("&"))
}

/// Refuses a `DATABASE_URL` that is neither PostgreSQL's (`postgres://`, `postgresql://`) nor a
/// SQLite file (`sqlite://path`, `sqlite:path` or a bare path): a typo (`postgress://`), another
/// database (`mysql://`) or a libpq keyword string (`host=… password=…`) would otherwise become a
/// stray SQLite file named after it.
fn check_database_url(url: &str) -> anyhow::Result<()> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    let keywords = url.split_once('=').is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    match scheme {
        _ if in_memory(url) => anyhow::bail!(
            "DATABASE_URL names an in-memory SQLite database, which each connection would open \
             empty and nothing would keep: give a file path (or leave it unset for DATA_DIR)"
        ),
        Some("postgres" | "postgresql" | "sqlite") => Ok(()),
        Some(other) => anyhow::bail!(
            "DATABASE_URL: unknown scheme {other}:// (use postgres://user:password@host:port/database \
             for PostgreSQL, or sqlite://path or a file path for SQLite)"
        ),
        None if keywords => anyhow::bail!(
            "DATABASE_URL looks like a key=value connection string: give a URL instead, \
             postgres://user:password@host:port/database"
        ),
        None => Ok(()),
    }
}

/// `:memory:`, `sqlite://:memory:`, `sqlite::memory:`, `file::memory:`, `file:x?mode=memory`
/// and the like.
fn in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Where the console is reached (`BASE_URL`, else `http://` + `BIND`), checked with `BIND`: links
/// are made by appending a path to it.
fn base_url_of(bind: &str, given: Option<String>) -> anyhow::Result<String> {
    let bind_ok = bind
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.trim().is_empty() && port.parse::<u16>().is_ok());
    if !bind_ok {
        anyhow::bail!(
            "BIND must be a host and a port, as in 127.0.0.1:8080 or 0.0.0.0:8080 (got {bind:?})"
        );
    }
    let base_url_unset = given.as_deref().is_none_or(|u| u.trim().is_empty());
    if base_url_unset && bind.ends_with(":0") {
        anyhow::bail!(
            "BIND {bind:?} lets the system pick the port, so the console's own links (the setup \
             address, emails) could not name it: choose a port, or set BASE_URL"
        );
    }
    let base_url = given
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| format!("http://{bind}"))
        .trim_end_matches('/')
        .to_owned();
    // `https://` alone was trimmed to `https:` above: no host.
    let host = match base_url.as_str() {
        "https:" | "http:" => Some(""),
        url => url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://")),
    };
    match host {
        None => anyhow::bail!("BASE_URL must start with http:// or https:// (got {base_url})"),
        Some(host) if host.is_empty() || host.contains(char::is_whitespace) => anyhow::bail!(
            "BASE_URL must name a host without spaces, as in https://console.example.com \
             (got {base_url:?})"
        ),
        Some(_) => {}
    }
    // Links are made by appending a path: what would come after it (a query, a fragment)
    // has no place here, nor a user name, and the port must be one.
    match url::Url::parse(&base_url) {
        Ok(url)
            if url.username().is_empty()
                && url.password().is_none()
                && url.query().is_none()
                && url.fragment().is_none() => {}
        _ => anyhow::bail!(
            "BASE_URL must be a scheme, a host, an optional port and path, and nothing else \
             (no user name, `?` or `#`), as in https://console.example.com (got {base_url:?})"
        ),
    }
    Ok(base_url)
}

impl Settings {
    pub fn from_args(args: SettingsArgs) -> anyhow::Result<Self> {
        let database_url = args
            .database_url
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("console.db").display()));
        check_database_url(&database_url)?;
        let unset = |key: &Option<String>| key.as_deref().is_none_or(|k| k.trim().is_empty());
        if crate::db::Backend::of_url(&database_url) == crate::db::Backend::Postgres
            && (unset(&args.session_key) || unset(&args.encryption_key))
        {
            tracing::warn!(
                data_dir = %args.data_dir.display(),
                "SESSION_KEY or ENCRYPTION_KEY is not set: this instance uses the key files of its \
                 DATA_DIR; every instance sharing the database needs the same two keys, or \
                 sessions and two-factor sign-in fail between them"
            );
        }
        let base_url = base_url_of(&args.bind, args.base_url)?;
        if !(1..=MAX_INVITE_TTL_DAYS).contains(&args.invite_ttl_days) {
            anyhow::bail!(
                "INVITE_TTL_DAYS must be from 1 to {MAX_INVITE_TTL_DAYS} (got {})",
                args.invite_ttl_days
            );
        }
        // Generated (when not given) only once the other settings are known to be right.
        let session_key = key(&SESSION_KEY, args.session_key, &args.data_dir)?;
        let encryption_key = key(&ENCRYPTION_KEY, args.encryption_key, &args.data_dir)?;
        let mail_from = args
            .mail_from
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| default_mail_from(&base_url));
        Ok(Self {
            database_url,
            bind: args.bind,
            mail_from,
            base_url,
            data_dir: args.data_dir,
            session_key,
            encryption_key,
            smtp_url: args.smtp_url.filter(|u| !u.trim().is_empty()),
            invite_ttl_days: args.invite_ttl_days,
            db_pool_size: args.db_pool_size.max(1),
            workers: None,
            outbox: OutboxSettings {
                retry_base: std::time::Duration::from_secs(args.outbox_retry_seconds),
                ..OutboxSettings::default()
            },
            trusted_proxies: crate::net::TrustedProxies::parse(
                args.trust_proxy.as_deref().unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!(e))?,
            api_rate_limit: args.api_rate_limit.max(1),
            metrics_bind: args.metrics_bind.filter(|b| !b.trim().is_empty()),
            shutdown_drain: std::time::Duration::from_secs(args.shutdown_drain_seconds),
            slack: SlackSettings::new(
                &args.slack_api_url,
                args.slack_client_id,
                args.slack_client_secret,
            ),
            presence_heartbeat: PRESENCE_HEARTBEAT,
            clock: Default::default(),
        })
    }

    /// Settings for a test or tool: the given database, a fresh key, everything else default.
    pub fn for_database(database_url: &str, data_dir: &Path) -> Self {
        Self {
            database_url: database_url.to_owned(),
            bind: "127.0.0.1:0".to_owned(),
            base_url: "http://127.0.0.1".to_owned(),
            data_dir: data_dir.to_owned(),
            session_key: crate::tokens::random_bytes(64),
            encryption_key: crate::tokens::random_bytes(32),
            smtp_url: None,
            mail_from: "Admin console <no-reply@localhost>".to_owned(),
            invite_ttl_days: 7,
            db_pool_size: 4,
            workers: Some(2),
            outbox: OutboxSettings {
                poll_interval: std::time::Duration::from_millis(200),
                retry_base: std::time::Duration::from_millis(500),
                max_attempts: 8,
            },
            trusted_proxies: Default::default(),
            api_rate_limit: 600,
            metrics_bind: None,
            shutdown_drain: std::time::Duration::ZERO,
            slack: SlackSettings::new(DEFAULT_SLACK_API_URL, None, None),
            presence_heartbeat: PRESENCE_HEARTBEAT,
            clock: Default::default(),
        }
    }

    /// Cookies get `Secure` when people reach the console over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// A secret key: 64 bytes for the session cookie (SESSION_KEY, `session.key`), 32 for the
/// encryption of stored secrets (ENCRYPTION_KEY, `encryption.key`).
struct KeyKind {
    variable: &'static str,
    file: &'static str,
    len: usize,
}

const SESSION_KEY: KeyKind = KeyKind {
    variable: "SESSION_KEY",
    file: "session.key",
    len: 64,
};

const ENCRYPTION_KEY: KeyKind = KeyKind {
    variable: "ENCRYPTION_KEY",
    file: "encryption.key",
    len: 32,
};

/// The key in `text`, read from `from` (the variable, or the file's path). White space anywhere
/// is left out: `openssl rand -base64 64` wraps its 88 characters onto two lines.
fn decode_key(kind: &KeyKind, text: &str, from: &str) -> anyhow::Result<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let key = STANDARD.decode(compact).map_err(|_| {
        anyhow::anyhow!(
            "{from} must be base64 (e.g. `openssl rand -base64 {}`)",
            kind.len
        )
    })?;
    if key.len() < kind.len {
        anyhow::bail!(
            "{from} must hold at least {} bytes (it holds {})",
            kind.len,
            key.len()
        );
    }
    Ok(key)
}

/// The key given in its variable, else the one in DATA_DIR (generated there the first time).
fn key(kind: &KeyKind, given: Option<String>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(text) = given.filter(|k| !k.trim().is_empty()) {
        return decode_key(kind, &text, kind.variable);
    }
    let path = data_dir.join(kind.file);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let from = format!(
            "{} (the key file used while {} is unset)",
            path.display(),
            kind.variable
        );
        return decode_key(kind, &text, &from);
    }
    crate::files::private_dir(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data_dir.display()))?;
    let key = crate::tokens::random_bytes(kind.len);
    crate::files::write_private(&path, STANDARD.encode(&key).as_bytes(), false)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new {}", kind.file);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_is_postgres_or_a_sqlite_file() {
        for fine in [
            "postgres://app:pw@db/console",
            "postgresql://db/console",
            "sqlite://data/console.db",
            "sqlite:console.db",
            "data/console.db",
            "/var/lib/console/console.db",
        ] {
            assert!(check_database_url(fine).is_ok(), "{fine}");
        }
        for wrong in [
            "mysql://app:pw@db/console",
            "postgress://db/console",
            "host=127.0.0.1 port=5432 user=app password=pw dbname=console",
            "dbname=console",
        ] {
            let said = check_database_url(wrong).unwrap_err().to_string();
            assert!(!said.contains("pw"), "{said}");
        }
    }

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/console"),
            "postgres://app:***@db:5432/console"
        );
        assert_eq!(
            redact_url("smtps://mailer:pw@mail.example.com"),
            "smtps://mailer:***@mail.example.com"
        );
        assert_eq!(
            redact_url("sqlite://data/console.db"),
            "sqlite://data/console.db"
        );
        assert_eq!(
            redact_url("postgres://app@db/console?password=s3cret&sslmode=require"),
            "postgres://app@db/console?password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://app:s3cret@db/console?PASSWORD=x"),
            "postgres://app:***@db/console?PASSWORD=***"
        );
    }

    #[test]
    fn mail_comes_from_the_console_host() {
        assert_eq!(
            default_mail_from("https://console.acme.example/"),
            "Admin console <no-reply@console.acme.example>"
        );
        assert_eq!(
            default_mail_from("http://127.0.0.1:8080"),
            "Admin console <no-reply@localhost>"
        );
        assert_eq!(
            default_mail_from("http://[::]:8080"),
            "Admin console <no-reply@localhost>",
            "an IPv6 bind (`--bind [::]:8080`) starts"
        );
    }

    #[test]
    fn keys_must_be_long_base64() {
        let decode = |kind: &KeyKind, text: &str| decode_key(kind, text, kind.variable);
        assert!(decode(&SESSION_KEY, "not base64!").is_err());
        assert!(decode(&SESSION_KEY, &STANDARD.encode([1u8; 32])).is_err());
        assert_eq!(
            decode(&SESSION_KEY, &STANDARD.encode([1u8; 64]))
                .unwrap()
                .len(),
            64
        );
        assert!(decode(&ENCRYPTION_KEY, &STANDARD.encode([1u8; 16])).is_err());
        assert!(decode(&ENCRYPTION_KEY, &STANDARD.encode([1u8; 32])).is_ok());
        // As `openssl rand -base64 64` prints it: 88 characters over two lines.
        let wrapped = STANDARD.encode([2u8; 64]);
        let wrapped = format!("{}\n{}\n", &wrapped[..64], &wrapped[64..]);
        assert_eq!(decode(&SESSION_KEY, &wrapped).unwrap(), vec![2u8; 64]);
    }

    #[test]
    fn a_broken_key_file_is_named() {
        let dir = std::env::temp_dir().join(format!("console-keys-{}", crate::tokens::new_token()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(SESSION_KEY.file), "").unwrap();
        let said = key(&SESSION_KEY, None, &dir).unwrap_err().to_string();
        assert!(
            said.contains("session.key (the key file used while SESSION_KEY is unset)"),
            "{said}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_in_memory_sqlite_database_is_refused() {
        for url in [
            ":memory:",
            "sqlite://:memory:",
            "sqlite::memory:",
            "file::memory:",
            "sqlite://file::memory:?cache=shared",
            "file:x.db?mode=memory&cache=shared",
        ] {
            assert!(check_database_url(url).is_err(), "{url}");
        }
        assert!(check_database_url("data/console.db").is_ok());
    }

    #[test]
    fn a_missing_key_is_made_once_in_the_data_dir() {
        let dir = std::env::temp_dir().join(format!("console-keys-{}", crate::tokens::new_token()));
        let made = key(&ENCRYPTION_KEY, None, &dir).unwrap();
        assert_eq!(made.len(), 32);
        assert_eq!(key(&ENCRYPTION_KEY, None, &dir).unwrap(), made);
        let given = STANDARD.encode([7u8; 32]);
        assert_eq!(
            key(&ENCRYPTION_KEY, Some(given), &dir).unwrap(),
            vec![7u8; 32]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
