//! Streamed CSV downloads (the users list, the audit log): rows read a batch at a time on a
//! blocking thread and sent with back-pressure, never the whole file in memory; a connection is
//! held only while a batch is read, and a person runs a few downloads at once.

use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use tokio::sync::mpsc;

use super::AppState;
use super::error::AppError;
use super::per_account::{Held, PerAccount};
use crate::db::{self, AnyConnection, Pool};
use crate::domain::ids::AccountId;

/// Rows read at a time (20,000: on PostgreSQL each batch is a round trip with its planning; 5,000
/// made the export 2.28× SQLite's time at a million members, 20,000 makes it 1.8×).
pub const BATCH: i64 = 20_000;
/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 64 * 1024;

/// The body: chunks handed over by the producing thread, a few at a time (back-pressure).
struct Chunks(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Reads the rows after the last one's key (`None`: from the start).
type Batches<R> = dyn FnMut(&mut AnyConnection, Option<i64>) -> diesel::QueryResult<Vec<R>>;

/// Downloads one person may run at once: each holds a thread while its client reads.
const MOST_AT_ONCE: usize = 3;
/// How long a client may leave a chunk unread before its download is ended.
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

/// Downloads running, per account (this instance's).
static RUNNING: LazyLock<PerAccount> = LazyLock::new(Default::default);

/// One of the [`MOST_AT_ONCE`] downloads `account` may run; given back when dropped.
pub struct Slot {
    _held: Held,
}

impl Slot {
    pub fn take(account: AccountId) -> Result<Slot, AppError> {
        RUNNING
            .take(account, MOST_AT_ONCE)
            .map(|held| Slot { _held: held })
            .ok_or_else(|| {
            AppError::Conflict(format!(
                "You have {MOST_AT_ONCE} downloads running already: wait for one to finish, then \
                 export again."
            ))
        })
    }
}

/// Hands a chunk (or the error that ends the download) to the client, waiting at most
/// [`STALL`]; false when it went away or stalled.
fn send(
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    item: Result<Bytes, std::io::Error>,
) -> bool {
    let sent =
        tokio::runtime::Handle::current().block_on(tokio::time::timeout(STALL, sender.send(item)));
    matches!(sent, Ok(Ok(())))
}

/// Writes a CSV into `sender` a chunk at a time, `batch` rows after the last one's key (`None` at
/// first) until a short batch; stops quietly when the client goes away or stops reading. Each
/// batch takes a connection from the pool and gives it back before its rows are sent: a slow
/// client holds none.
fn produce<R>(
    pool: &Pool,
    columns: &[&str],
    batch: &mut Batches<R>,
    write: fn(&mut csv::Writer<Vec<u8>>, &R) -> csv::Result<()>,
    key: fn(&R) -> i64,
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> anyhow::Result<()> {
    let writer = || csv::Writer::from_writer(Vec::with_capacity(CHUNK + 4096));
    let mut out = writer();
    out.write_record(columns)?;
    let mut last = None;
    loop {
        let rows = {
            let mut conn = super::connection(pool)?;
            db::streaming_read(&mut conn, |conn| batch(conn, last))??
        };
        for row in &rows {
            write(&mut out, row)?;
            if out.get_ref().len() >= CHUNK {
                let full = std::mem::replace(&mut out, writer())
                    .into_inner()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if !send(sender, Ok(Bytes::from(full))) {
                    return Ok(());
                }
            }
        }
        match rows.last() {
            Some(row) if rows.len() as i64 == BATCH => last = Some(key(row)),
            _ => break,
        }
    }
    let rest = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    if !rest.is_empty() {
        send(sender, Ok(Bytes::from(rest)));
    }
    Ok(())
}

/// A streamed CSV download named `filename`, run in `slot`: rows are read on a blocking thread
/// (SQLite without its memory map) and sent with back-pressure; never the whole file in memory.
pub fn stream_csv<R: 'static>(
    state: &AppState,
    slot: Slot,
    filename: String,
    columns: &'static [&'static str],
    mut batch: impl FnMut(&mut AnyConnection, Option<i64>) -> diesel::QueryResult<Vec<R>>
    + Send
    + 'static,
    write: fn(&mut csv::Writer<Vec<u8>>, &R) -> csv::Result<()>,
    key: fn(&R) -> i64,
) -> HttpResponse {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let _slot = slot;
        if let Err(e) = produce(&pool, columns, &mut batch, write, key, &sender) {
            tracing::error!(error = %e, "export failed");
            // The client sees a broken download rather than a silently short file.
            send(&sender, Err(std::io::Error::other("export failed")));
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(Chunks(receiver))
}
