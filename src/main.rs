//! The `admin-console` command: serve (default), migrate, create-owner, seed-demo.

use std::io::{BufRead, IsTerminal};
use std::time::Instant;

use admin_console::config::{Settings, SettingsArgs, redact_url};
use admin_console::domain::{Email, NewPassword, Slug};
use admin_console::services::invitations::InviteSettings;
use admin_console::services::{owners, passwords, seed};
use admin_console::startup::{Application, prepare_database};
use admin_console::{clock, db};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "admin-console",
    version,
    about = "Workspace user administration console"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: SettingsArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web console (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create (or promote) an owner of a workspace; asks for the password, or reads it from stdin.
    CreateOwner {
        #[arg(long)]
        email: String,
        /// The workspace's URL name; created if it does not exist.
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// The organization's name, when this sets it up (rename it later on the organization's
        /// Workspaces page); left out, the workspace's URL name.
        #[arg(long)]
        organization: Option<String>,
        /// Turn the account's two-factor sign-in off (its authenticator is lost); it sets it up
        /// again from its profile.
        #[arg(long)]
        reset_two_factor: bool,
    },
    /// Delete for good the memberships removed more than 14 days ago (the server does it daily).
    Purge,
    /// Workspace API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Fill a workspace with realistic demo members, groups, apps and assets.
    SeedDemo {
        /// How many members to add (1 or more: a workspace it makes needs an Owner among them).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..))]
        users: i64,
        /// The workspace's URL name; created on the Enterprise plan if missing.
        #[arg(long, default_value = "demo")]
        workspace: String,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print its secret (shown this once); the audit log names the command line.
    Create {
        /// The workspace's URL name.
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        /// Permission keys separated by commas (users.view,users.invite).
        #[arg(long)]
        scopes: String,
        /// Days until it stops working; never when omitted.
        #[arg(long, default_value = "")]
        expires_in_days: String,
    },
}

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,admin_console=info".into());
    // LOG_FORMAT=json: one JSON object a line (a request's line carries its id, route, status,
    // latency and actor as top-level fields), for log collectors.
    // On stderr, so that a command's output (`KEY=$(admin-console api-key create …)`) is only its
    // output; in colour only on a terminal.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json_logs() {
        logs.json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init();
    } else {
        logs.with_target(false).init();
    }
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// `LOG_FORMAT=json`: every line on standard output is a JSON object.
fn json_logs() -> bool {
    std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_args(cli.settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Purge => purge(&settings),
        Command::ApiKey(ApiKeyCommand::Create {
            workspace,
            name,
            scopes,
            expires_in_days,
        }) => create_api_key(&settings, &workspace, &name, &scopes, &expires_in_days),
        Command::CreateOwner {
            email,
            workspace,
            first_name,
            last_name,
            organization,
            reset_two_factor,
        } => create_owner(
            &settings,
            &email,
            &workspace,
            (&first_name, &last_name),
            (organization.as_deref(), reset_two_factor),
        ),
        Command::SeedDemo { users, workspace } => seed_demo(&settings, users, &workspace),
    }
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database_url, 1)?;
    let mut conn = pool.get()?;
    let applied = db::run_migrations(&mut conn)?;
    admin_console::store::roles::sync_built_in(&mut conn, clock::now())?;
    let database = redact_url(&settings.database_url);
    match applied.len() {
        0 => println!("{database} is up to date: 0 migration(s) applied"),
        n => println!("{n} migration(s) applied to {database}"),
    }
    Ok(())
}

fn purge(settings: &Settings) -> anyhow::Result<()> {
    let pool = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let purged = admin_console::services::purge::purge_removed(
        &mut conn,
        &admin_console::store::audit::Actor::command_line(),
        clock::now(),
    )?;
    println!("{purged} removed membership(s) purged");
    Ok(())
}

fn create_api_key(
    settings: &Settings,
    workspace: &str,
    name: &str,
    scopes: &str,
    expires_in_days: &str,
) -> anyhow::Result<()> {
    use admin_console::domain::{Name, api_key, role::PermissionSet};
    let now = clock::now();
    let scopes: Vec<String> = scopes.split(',').map(str::to_owned).collect();
    let input = admin_console::services::api_keys::NewKeyInput {
        name: Name::parse(name).map_err(|e| anyhow::anyhow!("--name: {e}"))?,
        scopes: api_key::scopes(&scopes, PermissionSet::all())
            .map_err(|e| anyhow::anyhow!("--scopes: {e}"))?,
        expires_at: api_key::expiry(expires_in_days, now)
            .map_err(|e| anyhow::anyhow!("--expires-in-days: {e}"))?,
        form_mark: None,
    };
    let pool = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let Some(found) = admin_console::store::workspaces::find_by_slug(&mut conn, workspace)? else {
        // An old URL name: said with the new one, as create-owner and seed-demo do.
        return Err(
            match admin_console::store::workspaces::redirect_for(&mut conn, workspace)? {
                Some(current) => anyhow::anyhow!(
                    "--workspace: /w/{workspace} was renamed to /w/{current}: run this again with \
                     --workspace {current}"
                ),
                None => anyhow::anyhow!("--workspace: no workspace /w/{workspace}"),
            },
        );
    };
    let created = admin_console::services::api_keys::create(
        &mut conn,
        &admin_console::store::audit::Actor::command_line(),
        None,
        found.id,
        &input,
        now,
    )?;
    eprintln!(
        "Created API key {} for /w/{} (scopes: {}). Its secret, shown this once:",
        input.name,
        found.slug,
        input.scopes.to_keys().replace(' ', ",")
    );
    println!("{}", created.secret);
    Ok(())
}

fn create_owner(
    settings: &Settings,
    email: &str,
    workspace: &str,
    (first_name, last_name): (&str, &str),
    (organization, reset_two_factor): (Option<&str>, bool),
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let workspace = Slug::parse(workspace).map_err(|e| anyhow::anyhow!("--workspace: {e}"))?;
    let organization = organization
        .map(admin_console::domain::Name::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--organization: {e}"))?;
    // Names as the forms take them (an empty one is allowed: the address stands in).
    let name = |flag: &str, typed: &str| -> anyhow::Result<String> {
        match typed.trim() {
            "" => Ok(String::new()),
            typed => admin_console::domain::Name::parse(typed)
                .map(|name| name.as_str().to_owned())
                .map_err(|e| anyhow::anyhow!("{flag}: {e}")),
        }
    };
    let (first_name, last_name) = (
        name("--first-name", first_name)?,
        name("--last-name", last_name)?,
    );
    let password = read_password()?;
    let pool = prepare_database(settings)?;
    let input = owners::OwnerInput {
        email,
        workspace,
        first_name,
        last_name,
        password_hash: passwords::hash_password(&password)?,
        organization,
        reset_two_factor,
    };
    let mut conn = pool.get()?;
    let outcome = owners::create_owner(&mut conn, &input, clock::now())?;
    println!(
        "{} {} is an owner of /w/{}{}",
        if outcome.created_account {
            "Created"
        } else {
            "Updated"
        },
        input.email,
        input.workspace,
        if outcome.created_workspace {
            " (new workspace)"
        } else {
            ""
        }
    );
    if outcome.unblocked {
        println!("The account was blocked organization-wide: it is unblocked.");
    }
    if outcome.two_factor_reset {
        println!("Two-factor sign-in is off for this account: set it up again from /me.");
    } else if outcome.two_factor_on {
        println!(
            "Two-factor sign-in stays on for this account: its authenticator (or a recovery \
             code) is asked after the password. Lost it? Run this again with --reset-two-factor."
        );
    }
    if input.organization.is_some() && !outcome.set_up {
        println!(
            "The organization was set up before: --organization changed nothing (org owners \
             rename it on {}/org/workspaces).",
            settings.base_url
        );
    }
    println!("Sign in at {}/login", settings.base_url);
    if settings.base_url == format!("http://{}", settings.bind) {
        println!(
            "  (the address of `serve` with this --bind; where the console is served elsewhere, \
             set BASE_URL, which emails link to as well)"
        );
    }
    Ok(())
}

fn seed_demo(settings: &Settings, users: i64, workspace: &str) -> anyhow::Result<()> {
    anyhow::ensure!(users >= 0, "--users must not be negative");
    let slug = Slug::parse(workspace).map_err(|e| anyhow::anyhow!("--workspace: {e}"))?;
    let pool = prepare_database(settings)?;
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(users as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} members ({per_sec}, {eta} left)",
    )?);
    let mut conn = pool.get()?;
    seed::seed_demo(&mut conn, &slug, users, |written| {
        bar.set_position(written as u64)
    })?;
    bar.finish();
    let seeded = started.elapsed().as_secs_f64();
    let invites = InviteSettings {
        base_url: settings.base_url.clone(),
        ttl_days: settings.invite_ttl_days,
    };
    let pending = seed::invite_pending(
        &mut conn,
        &slug,
        seed::pending_invitations_for(users),
        &invites,
    )?;
    println!(
        "Added {users} members to /w/{slug} in {seeded:.1} s, and {pending} pending invitations"
    );
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let base_url = settings.base_url.clone();
    let setup_code = admin_console::tokens::setup_code(&settings.session_key);
    let database = redact_url(&settings.database_url);
    // Without a mail server nothing reaches anyone's inbox: said where a person reads it.
    let outbox = settings
        .smtp_url
        .is_none()
        .then(|| settings.data_dir.join("outbox"));
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        tracing::info!(database = %database, "admin console listening on port {}", app.port());
        // Words for a person, on stdout (the logs, JSON or not, are on stderr).
        println!("Admin console running: open {base_url}/");
        if let Some(outbox) = &outbox {
            println!(
                "Emails are not sent: SMTP_URL is not set, so each one (invitations, password \
                 resets) is written to {} as an .eml file",
                outbox.display()
            );
        }
        if app.needs_setup()? {
            println!(
                "First run: create your organization and owner account at {base_url}/setup\n  \
                 with the setup code {setup_code}"
            );
        }
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// The password from a prompt (twice) on a terminal, or the first line of stdin otherwise.
fn read_password() -> anyhow::Result<NewPassword> {
    let text = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12+ characters): ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords do not match");
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        anyhow::ensure!(
            !line.is_empty(),
            "no password on standard input: pipe one line to it, or run it at a terminal to be asked"
        );
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    NewPassword::parse(&text).map_err(|e| anyhow::anyhow!("password: {e}"))
}
