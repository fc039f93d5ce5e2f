//! `GET /w/{slug}/users.csv`: the users list as CSV, streamed from the database a batch at a time
//! (never the whole list in memory), narrowed by the list's search and filters.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde_json::json;
use tokio::sync::mpsc;

use super::auth::WorkspaceAccess;
use super::error::AppError;
use super::views::rfc3339;
use super::{AppState, blocking};
use crate::clock;
use crate::db::{self, AnyConnection};
use crate::domain::role::Permission;
use crate::domain::spreadsheet::defuse;
use crate::services::members::{self, FilterParams};
use crate::store::audit;
use crate::store::memberships::{self, ExportRow};

/// The column order of the form contract (PRODUCT §6).
pub const COLUMNS: [&str; 10] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "role",
    "status",
    "groups",
    "created_at",
    "last_active_at",
    "invited_by",
];
pub const BATCH: i64 = 5_000;
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

fn write_row(out: &mut csv::Writer<Vec<u8>>, row: &ExportRow) -> csv::Result<()> {
    let id = row.id.to_string();
    let groups = row.groups.join("; ");
    let created = rfc3339(row.created_at);
    let active = row.last_active_at.map(rfc3339).unwrap_or_default();
    out.write_record([
        id.as_str(),
        &defuse(&row.email),
        &defuse(&row.first_name),
        &defuse(&row.last_name),
        &defuse(&row.role),
        row.status.key(),
        &defuse(&groups),
        &created,
        &active,
        &defuse(row.invited_by.as_deref().unwrap_or("")),
    ])
}

/// Reads the rows after the last one's key (`None`: from the start).
type Batches<R> = dyn FnMut(&mut AnyConnection, Option<i64>) -> diesel::QueryResult<Vec<R>>;

/// Writes a CSV into `sender` a chunk at a time, `batch` rows after the last one's key (`None` at
/// first) until a short batch; stops quietly when the client goes away.
fn produce<R>(
    conn: &mut AnyConnection,
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
        let rows = batch(conn, last)?;
        for row in &rows {
            write(&mut out, row)?;
            if out.get_ref().len() >= CHUNK {
                let full = std::mem::replace(&mut out, writer())
                    .into_inner()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if sender.blocking_send(Ok(Bytes::from(full))).is_err() {
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
        let _ = sender.blocking_send(Ok(Bytes::from(rest)));
    }
    Ok(())
}

/// A streamed CSV download named `filename`: rows are read on a blocking thread (SQLite without
/// its memory map) and sent with back-pressure; never the whole file in memory.
pub fn stream_csv<R: 'static>(
    state: &AppState,
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
        let outcome = pool.get().map_err(anyhow::Error::new).and_then(|mut conn| {
            db::streaming_read(&mut conn, |conn| {
                produce(conn, columns, &mut batch, write, key, &sender)
            })?
        });
        if let Err(e) = outcome {
            tracing::error!(error = %e, "export failed");
            // The client sees a broken download rather than a silently short file.
            let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
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

pub async fn users_csv(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<FilterParams>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersExport)?;
    let params = query.into_inner();
    let workspace = access.workspace.id;
    let actor = access.signed_in.actor();
    // One audit event per export, with the filter used, before anything is sent.
    let filter = blocking(&state, move |conn| {
        let filter = members::resolve_filter(conn, workspace, &params)?;
        audit::record(
            conn,
            &actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "users.exported",
                target_type: "workspace",
                target_id: Some(workspace.0),
                target_label: "users.csv",
                changes: json!({ "search": params.q.trim(), "status": params.status, "role": params.role, "group": params.group }),
            },
            clock::now(),
        )?;
        Ok(filter)
    })
    .await?;

    let filename = format!(
        "{}-users-{}.csv",
        access.workspace.slug,
        clock::now().format("%Y-%m-%d")
    );
    Ok(stream_csv(
        &state,
        filename,
        &COLUMNS,
        {
            // Worked out by the first batch, on the streaming connection, for all of them.
            let mut plan = None;
            move |conn, after| {
                let plan = match &mut plan {
                    Some(plan) => plan,
                    empty => empty.insert(memberships::ExportPlan::of(
                        conn,
                        workspace,
                        filter.clone(),
                    )?),
                };
                memberships::export_batch(conn, plan, after.unwrap_or(0), BATCH)
            }
        },
        write_row,
        |row| row.id.0,
    ))
}
