//! The only place that knows there are two backends: connections, the pool, migrations and the
//! write transaction that makes concurrent rules (seats, last owner) hold on both.

pub mod schema;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::domain::ids::WorkspaceId;

/// A connection to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl AnyConnection {
    /// True for a database in this process (SQLite): a short read takes microseconds, less than
    /// handing it to another thread; PostgreSQL is a network round trip away.
    pub fn is_in_process(&self) -> bool {
        matches!(self, AnyConnection::Sqlite(_))
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is a SQLite file.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The SQLite file a `DATABASE_URL` names (`sqlite://path`, `sqlite:path` or a bare path).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The reason is in the message (not a `source` too: `{:#}` would say it twice).
    #[error("cannot open the {backend} database: {reason}")]
    Connection {
        backend: &'static str,
        reason: diesel::ConnectionError,
    },
    #[error("cannot prepare the database connection: {0}")]
    Setup(#[from] diesel::result::Error),
}

/// An r2d2 manager that says what went wrong when a connection cannot be made
/// (diesel's `MultiConnection::establish` hides the backend's error).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            backend: Backend::of_url(url),
        }
    }
}

/// Pragmas every pooled SQLite connection needs: wait for the writer instead of failing, enforce
/// foreign keys, trade a little durability on power loss for write speed (WAL keeps it consistent),
/// and read through a memory map (random reads of a large file are then memory reads).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; \
                              PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32000; PRAGMA mmap_size = 2147418112;";

/// Runs a long sequential read (an export) without the memory map and with a small page cache, so
/// streaming the whole file does not fill the process's resident memory; the connection's usual
/// settings are restored afterwards, whatever `read` returned.
pub fn streaming_read<T>(
    conn: &mut AnyConnection,
    read: impl FnOnce(&mut AnyConnection) -> T,
) -> QueryResult<T> {
    let is_sqlite = matches!(conn, AnyConnection::Sqlite(_));
    if is_sqlite {
        conn.batch_execute("PRAGMA mmap_size = 0; PRAGMA cache_size = -4000;")?;
    }
    let result = read(conn);
    if is_sqlite {
        conn.batch_execute(SQLITE_PRAGMAS)?;
    }
    Ok(result)
}

/// Sets SQLite up once per process, before its first connection opens.
///
/// The library runs multi-threaded rather than serialized, and without its memory statistics:
/// a connection is only ever used by the thread that took it from the pool, so SQLite's own
/// per-connection mutexes guard nothing here, and the statistics took one process-wide mutex on
/// every allocation, which the pool's connections fought over (futex wake-ups were a tenth of a
/// search's CPU). Both settings are refused (and harmlessly ignored) when SQLite is already in use.
///
/// Then it turns on the query planner stability guarantee (QPSG) for every SQLite connection.
///
/// Without it, SQLite (3.4x and later) looks at the bound value of `LIMIT ?` while planning and
/// marks the statement to be compiled again whenever that parameter is bound anew — and diesel
/// binds every `LIMIT` (`.first()`, `.limit(n)`), so each cached statement was re-parsed and
/// re-planned on every execution (a third of a users-list request's CPU). With QPSG plans never
/// depend on bound values. Nothing here relies on them: searches use FTS5/`instr`, not `LIKE ?`,
/// there are no `sqlite_stat4` statistics, and no query binds the value a partial index's `WHERE`
/// names (a partial index is used only when the query spells that condition out as a literal).
///
/// It also replaces SQLite's `lower()`, which folds ASCII letters only, with [`unicode_lower`]:
/// group, role and app names are unique and looked up through `lower(name)`, and Rust lower-cases
/// what it compares with them, so on SQLite "Équipe" and "ÉQUIPE" were two names and a search for
/// "élo" missed "Élodie". The expression indexes were rebuilt with it by a migration (`REINDEX`).
fn sqlite_library_setup() {
    use libsqlite3_sys as ffi;
    use std::ffi::{c_char, c_int};
    unsafe extern "C" fn on_open(
        db: *mut ffi::sqlite3,
        _err: *mut *mut c_char,
        _api: *const ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: `db` is the connection SQLite is opening; the option takes an int and an
        // optional out-pointer; the function is a plain one with no state, and its name a C string.
        unsafe {
            let qpsg = ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as c_int,
                std::ptr::null_mut::<c_int>(),
            );
            if qpsg != ffi::SQLITE_OK {
                return qpsg;
            }
            ffi::sqlite3_create_function_v2(
                db,
                c"lower".as_ptr(),
                1,
                ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS,
                std::ptr::null_mut(),
                Some(unicode_lower),
                None,
                None,
                None,
            )
        }
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: both options take plain ints and must come before SQLite initializes, which the
    // first connection (or `sqlite3_auto_extension`) does; then a plain function with no state is
    // registered, once per process.
    ONCE.call_once(|| unsafe {
        let threads = libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD);
        let memstatus =
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
        tracing::debug!(threads, memstatus, "SQLite configured (0: done)");
        libsqlite3_sys::sqlite3_auto_extension(Some(on_open));
    });
}

/// SQLite's `lower(x)` with Unicode case folding (Rust's `to_lowercase`, as the values it is
/// compared with are made); NULL stays NULL, and other values are read as text, as the built-in does.
unsafe extern "C" fn unicode_lower(
    ctx: *mut libsqlite3_sys::sqlite3_context,
    _argc: std::ffi::c_int,
    argv: *mut *mut libsqlite3_sys::sqlite3_value,
) {
    use libsqlite3_sys as ffi;
    // SAFETY: SQLite calls this with one argument (registered with `nArg` 1); the text pointer
    // stays valid, for `sqlite3_value_bytes` bytes, until the function returns, and the result is
    // copied by SQLite (`SQLITE_TRANSIENT`) before the buffer is dropped.
    unsafe {
        let value = *argv;
        let text = ffi::sqlite3_value_text(value);
        if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL || text.is_null() {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let len = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
        let lowered = lower_utf8(std::slice::from_raw_parts(text, len));
        let Ok(len) = std::ffi::c_int::try_from(lowered.len()) else {
            ffi::sqlite3_result_error_toobig(ctx);
            return;
        };
        ffi::sqlite3_result_text(ctx, lowered.as_ptr().cast(), len, ffi::SQLITE_TRANSIENT());
    }
}

/// Lower-cases UTF-8 text as Rust does; bytes that are not UTF-8 fold as SQLite's ASCII `lower`.
fn lower_utf8(bytes: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.is_ascii() => text.to_lowercase().into_bytes(),
        _ => bytes.to_ascii_lowercase(),
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        let backend = self.backend.name();
        match self.backend {
            Backend::Sqlite => {
                sqlite_library_setup();
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(|source| ConnectError::Connection {
                        backend,
                        reason: source,
                    })?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.url).map_err(|source| {
                    ConnectError::Connection {
                        backend,
                        reason: source,
                    }
                })?;
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                Ok(AnyConnection::Postgresql(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        conn.ping().map_err(ConnectError::Setup)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool. For SQLite it first creates the file's folder and turns on WAL (once per file).
pub fn build_pool(url: &str, max_size: u32) -> anyhow::Result<Pool> {
    let manager = ConnectionManager::new(url);
    if manager.backend == Backend::Sqlite {
        let path = Path::new(sqlite_path(url));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::private_dir(dir).map_err(|e| {
                anyhow::anyhow!("cannot create the database folder {}: {e}", dir.display())
            })?;
        }
        // A new database is readable by the console's user alone (SQLite gives its WAL files the
        // same mode); one that exists keeps the mode its operator chose.
        if !path.exists() {
            crate::files::write_private(path, b"", false)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        }
        let mut conn = r2d2::ManageConnection::connect(&manager)?;
        conn.batch_execute("PRAGMA journal_mode = WAL")?;
    } else {
        // Fail fast with the real error rather than r2d2's time-out.
        r2d2::ManageConnection::connect(&manager)?;
    }
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(15))
        // No ping per checkout (a query per request saved); broken connections are dropped by
        // `has_broken` after an error instead.
        .test_on_check_out(false)
        .event_handler(Box::new(crate::metrics::PoolEvents))
        .build(manager)?;
    Ok(pool)
}

/// Applies pending migrations of the connection's backend; returns the names applied.
/// On PostgreSQL an advisory lock keeps several starting instances from racing.
pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => {
            warn_of_unknown(c, SQLITE_MIGRATIONS);
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| names(&v))
        }
        AnyConnection::Postgresql(c) => {
            #[derive(diesel::QueryableByName)]
            struct Locked {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                locked: bool,
            }
            let locked = diesel::sql_query("SELECT pg_try_advisory_lock(7305128) AS locked")
                .get_result::<Locked>(c)?
                .locked;
            if !locked {
                // Said, so that a start held up by a stuck instance is not silent.
                tracing::info!("waiting for another instance to finish the database migrations");
                c.batch_execute("SELECT pg_advisory_lock(7305128)")?;
            }
            warn_of_unknown(c, POSTGRES_MIGRATIONS);
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| names(&v));
            c.batch_execute("SELECT pg_advisory_unlock(7305128)")?;
            result
        }
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Warns when the database holds migrations this binary does not know: a newer version wrote
/// them (an older binary started on it after an upgrade), and what it reads may have changed.
fn warn_of_unknown<C>(conn: &mut C, known: EmbeddedMigrations)
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    let Ok(applied) = conn.applied_migrations() else {
        return;
    };
    let Ok(ours) = diesel::migration::MigrationSource::<C::Backend>::migrations(&known) else {
        return;
    };
    let ours: Vec<String> = ours
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let unknown: Vec<String> = applied
        .iter()
        .map(ToString::to_string)
        .filter(|version| !ours.contains(version))
        .collect();
    if !unknown.is_empty() {
        tracing::warn!(
            ?unknown,
            "the database has migrations this binary does not know: a newer version applied them; \
             run that version (or newer) against it"
        );
    }
}

fn names(versions: &[diesel::migration::MigrationVersion<'_>]) -> Vec<String> {
    versions.iter().map(|v| v.to_string()).collect()
}

/// A transaction that reads before it writes but serialises on no rule (one's own profile, a
/// link used up): it takes the write lock first on SQLite, where a transaction that has read can
/// no longer write once another connection has committed (`SQLITE_BUSY` at once, whatever the
/// busy timeout). PostgreSQL reads the latest committed rows at each statement, so it locks
/// nothing more there.
pub fn write_first<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use schema::organization;
    conn.transaction(|conn| {
        if conn.is_in_process() {
            diesel::update(organization::table)
                .set(organization::updated_at.eq(organization::updated_at))
                .execute(conn)?;
        }
        f(conn)
    })
}

/// What a write transaction serialises on.
#[derive(Debug, Clone, Copy)]
pub enum Lock {
    /// Organization-wide rules: first-run setup, the last org owner.
    Organization,
    /// One workspace's rules: seats, the last owner.
    Workspace(WorkspaceId),
    /// One account's own counts: the reset links it may be sent an hour.
    Account(crate::domain::ids::AccountId),
}

/// A transaction whose first statement takes the write lock, so the checks made inside it see the
/// latest committed state and no concurrent writer can slip in between check and change.
///
/// On PostgreSQL the first statement locks the workspace (or organization) row until commit; on
/// SQLite any write takes the database's single write lock (waiting up to `busy_timeout`), and as
/// no read precedes it, the transaction never works on a stale snapshot.
pub fn write_transaction<T, E>(
    conn: &mut AnyConnection,
    lock: Lock,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        take_lock(conn, lock)?;
        f(conn)
    })
}

/// Takes `lock` inside a transaction: the first one, by [`write_transaction`]; a workspace's
/// after the organization's, by whatever needs both (always in that order).
pub fn take_lock(conn: &mut AnyConnection, lock: Lock) -> diesel::QueryResult<()> {
    use schema::{accounts, organization, workspaces};
    match lock {
        Lock::Organization => diesel::update(organization::table)
            .set(organization::updated_at.eq(organization::updated_at))
            .execute(conn)?,
        Lock::Workspace(id) => diesel::update(workspaces::table.find(id.0))
            .set(workspaces::lock_version.eq(workspaces::lock_version + 1))
            .execute(conn)?,
        Lock::Account(id) => diesel::update(accounts::table.find(id.0))
            .set(accounts::id.eq(accounts::id))
            .execute(conn)?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;

    #[test]
    fn sqlite_lower_folds_all_of_unicode() {
        let dir = std::env::temp_dir().join(format!("db-lower-{}", std::process::id()));
        let pool =
            super::build_pool(&format!("sqlite://{}", dir.join("l.db").display()), 1).unwrap();
        let mut conn = pool.get().unwrap();
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            a: Option<String>,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            b: Option<String>,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            c: Option<String>,
        }
        let row: Row = diesel::sql_query(
            "SELECT lower('ÉQUIPE Straße ΣΑΣ') AS a, lower(NULL) AS b, lower(12) AS c",
        )
        .get_result(&mut *conn)
        .unwrap();
        assert_eq!(row.a.as_deref(), Some("équipe straße σας"));
        assert_eq!(row.b, None);
        assert_eq!(row.c.as_deref(), Some("12"));
        assert_eq!(super::lower_utf8(b"AB\xff"), b"ab\xff");
        drop(conn);
        drop(pool);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_new_sqlite_database_is_for_the_consoles_user_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("db-mode-{}", std::process::id()));
        let path = dir.join("console.db");
        let pool = super::build_pool(&format!("sqlite://{}", path.display()), 1).unwrap();
        drop(pool);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
