//! The email outbox: rows written in the transaction of their cause, drained by the worker.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamp};

use super::{AnyConnection, QueryResult};
use crate::db::schema::{invitations, outbox_emails};
use crate::domain::ids::WorkspaceId;

leased_queue!(outbox_emails, QueuedEmail, [text_body, html_body]);

#[derive(Debug, Clone)]
pub struct QueuedEmail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i64,
    /// The lease this worker holds: the row's `next_attempt_at` while it is being sent. Marking
    /// the outcome requires it, so a worker whose lease ran out cannot overwrite another's.
    pub lease: NaiveDateTime,
}

/// Queues an email, as the mail templates' `render` gives it: (subject, text body, HTML body).
pub fn enqueue(
    conn: &mut AnyConnection,
    to: &str,
    (subject, text_body, html_body): (String, String, String),
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(outbox_emails::table)
        .values((
            outbox_emails::to_address.eq(to),
            outbox_emails::subject.eq(subject),
            outbox_emails::text_body.eq(text_body),
            outbox_emails::html_body.eq(html_body),
            outbox_emails::next_attempt_at.eq(now),
            outbox_emails::created_at.eq(now),
        ))
        .returning(outbox_emails::id)
        .get_result(conn)
}

/// Takes up to `limit` due emails for this worker: they are leased until `lease_until` (another
/// worker, or this one after a crash, picks them up again only then). On PostgreSQL rows being
/// claimed by another instance are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
pub fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<QueuedEmail>> {
    let due = due(conn, now, limit);
    let rows: Vec<(i64, String, String, String, String, i64)> =
        diesel::update(outbox_emails::table.filter(due))
            .set(outbox_emails::next_attempt_at.eq(lease_until))
            .returning((
                outbox_emails::id,
                outbox_emails::to_address,
                outbox_emails::subject,
                outbox_emails::text_body,
                outbox_emails::html_body,
                outbox_emails::attempts,
            ))
            .get_results(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, to, subject, text_body, html_body, attempts)| QueuedEmail {
                id,
                to,
                subject,
                text_body,
                html_body,
                attempts,
                lease: lease_until,
            },
        )
        .collect())
}

/// What a cancelled email's row says: failed, and why.
fn cancelled(
    why: &str,
) -> (
    diesel::dsl::Eq<outbox_emails::state, &'static str>,
    diesel::dsl::Eq<outbox_emails::last_error, Option<&str>>,
) {
    (
        outbox_emails::state.eq("failed"),
        outbox_emails::last_error.eq(Some(why)),
    )
}

/// Stops a queued email from being sent (its link no longer works).
pub fn cancel(conn: &mut AnyConnection, id: i64, why: &str) -> QueryResult<()> {
    diesel::update(
        outbox_emails::table
            .find(id)
            .filter(outbox_emails::state.eq("queued")),
    )
    .set(cancelled(why))
    .execute(conn)?;
    Ok(())
}

/// Stops the queued invitation emails of a workspace (before it is deleted: their links die).
pub fn cancel_invitations_of(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    why: &str,
) -> QueryResult<()> {
    let emails = invitations::table
        .filter(invitations::workspace_id.eq(workspace.0))
        .filter(invitations::outbox_email_id.is_not_null())
        .select(invitations::outbox_email_id.assume_not_null());
    diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq_any(emails))
            .filter(outbox_emails::state.eq("queued")),
    )
    .set(cancelled(why))
    .execute(conn)?;
    Ok(())
}

/// How an email is getting on, for the list of pending invitations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Queued,
    Sent,
    Retrying,
    Failed,
}

impl Delivery {
    pub fn of(state: &str, attempts: i64) -> Self {
        match (state, attempts) {
            ("sent", _) => Delivery::Sent,
            ("failed", _) => Delivery::Failed,
            (_, 0) => Delivery::Queued,
            _ => Delivery::Retrying,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Queued => "Email queued",
            Delivery::Sent => "Email sent",
            Delivery::Retrying => "Email failing, retrying",
            Delivery::Failed => "Email failed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Retrying => "retrying",
            Delivery::Failed => "failed",
        }
    }
}

/// Hands claimed emails back unsent (the worker is shutting down): due at once again, for another
/// instance or the next start. Only where this worker still holds the lease.
pub fn release(
    conn: &mut AnyConnection,
    emails: &[QueuedEmail],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut released = 0;
    for email in emails {
        released += postpone(conn, email, now)?;
    }
    Ok(released)
}

/// The outbox as an operator watches it: emails waiting (never tried), failing (tried, to be
/// tried again) and the age of the oldest waiting one.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Backlog {
    pub queued: i64,
    pub failing: i64,
    pub oldest: Option<NaiveDateTime>,
}

pub fn backlog(conn: &mut AnyConnection) -> QueryResult<Backlog> {
    let waiting = || outbox_emails::table.filter(outbox_emails::state.eq("queued"));
    Ok(Backlog {
        queued: waiting()
            .filter(outbox_emails::attempts.eq(0))
            .count()
            .get_result(conn)?,
        failing: waiting()
            .filter(outbox_emails::attempts.gt(0))
            .count()
            .get_result(conn)?,
        oldest: waiting()
            .select(diesel::dsl::min(outbox_emails::created_at))
            .get_result(conn)?,
    })
}
