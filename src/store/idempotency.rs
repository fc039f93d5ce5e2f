//! The first answers to the API's POSTs that carried an `Idempotency-Key`, kept 24 hours.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::api_idempotency as t;
use crate::domain::idempotency::{self, Decision, IN_PROGRESS, Stored};

/// A kept answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// What a request with an Idempotency-Key may do.
#[derive(Debug)]
pub enum Outcome {
    /// The key is this request's now: answer it, then `finish` or `release`.
    Claimed,
    Replay(Answer),
    Mismatch,
    InProgress,
}

type Row = (String, i32, String, String, NaiveDateTime);

fn find(conn: &mut AnyConnection, key: i64, idem: &str) -> QueryResult<Option<Row>> {
    t::table
        .find((key, idem))
        .select((
            t::fingerprint,
            t::status,
            t::content_type,
            t::body,
            t::created_at,
        ))
        .first(conn)
        .optional()
}

/// Claims `idem` for API key `key`'s request (`fingerprint`), or says what to answer instead.
/// Two requests racing with one key: the second sees the first's claim (in progress). A claim is
/// known by when it was made (`now`): [`finish`] and [`release`] touch that claim only.
pub fn claim(
    conn: &mut AnyConnection,
    key: i64,
    idem: &str,
    fingerprint: &str,
    now: NaiveDateTime,
) -> QueryResult<Outcome> {
    diesel::delete(t::table.filter(t::created_at.lt(now - idempotency::KEPT_FOR))).execute(conn)?;
    for _ in 0..2 {
        let row = find(conn, key, idem)?;
        let stored = row
            .as_ref()
            .map(|(fingerprint, status, _, _, created_at)| Stored {
                fingerprint: fingerprint.clone(),
                status: *status,
                created_at: *created_at,
            });
        match idempotency::decide(stored.as_ref(), fingerprint, now) {
            Decision::Replay => {
                let (_, status, content_type, body, _) = row.expect("a replay has a row");
                return Ok(Outcome::Replay(Answer {
                    status: u16::try_from(status).unwrap_or(500),
                    content_type,
                    body,
                }));
            }
            Decision::Mismatch => return Ok(Outcome::Mismatch),
            Decision::InProgress => return Ok(Outcome::InProgress),
            Decision::Claim => {
                // A claim given up as stale goes, that one only: one that another request made
                // meanwhile (or an answer it kept) stays, and this insert loses to it.
                if let Some(stale) = &stored {
                    diesel::delete(
                        t::table
                            .find((key, idem))
                            .filter(t::status.eq(stale.status))
                            .filter(t::created_at.eq(stale.created_at)),
                    )
                    .execute(conn)?;
                }
                // In a savepoint, so that PostgreSQL's transaction survives losing the race.
                let made = conn.transaction(|conn| {
                    diesel::insert_into(t::table)
                        .values((
                            t::api_key_id.eq(key),
                            t::idempotency_key.eq(idem),
                            t::fingerprint.eq(fingerprint),
                            t::status.eq(IN_PROGRESS),
                            t::content_type.eq(""),
                            t::body.eq(""),
                            t::created_at.eq(now),
                        ))
                        .execute(conn)
                });
                match made {
                    Ok(_) => return Ok(Outcome::Claimed),
                    Err(e) if super::is_unique_violation(&e) => continue,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(Outcome::InProgress)
}

/// The claim made at `claimed_at`, while it is in progress.
type OwnClaim<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<t::table, (i64, &'a str)>,
        diesel::dsl::Eq<t::status, i32>,
    >,
    diesel::dsl::Eq<t::created_at, NaiveDateTime>,
>;

fn own_claim(key: i64, idem: &str, claimed_at: NaiveDateTime) -> OwnClaim<'_> {
    t::table
        .find((key, idem))
        .filter(t::status.eq(IN_PROGRESS))
        .filter(t::created_at.eq(claimed_at))
}

/// Keeps the answer to the request that claimed `idem` at `claimed_at`.
pub fn finish(
    conn: &mut AnyConnection,
    key: i64,
    idem: &str,
    claimed_at: NaiveDateTime,
    answer: &Answer,
) -> QueryResult<()> {
    diesel::update(own_claim(key, idem, claimed_at))
        .set((
            t::status.eq(i32::from(answer.status)),
            t::content_type.eq(&answer.content_type),
            t::body.eq(&answer.body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives the claim made at `claimed_at` up: the answer is not one to replay.
pub fn release(
    conn: &mut AnyConnection,
    key: i64,
    idem: &str,
    claimed_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(own_claim(key, idem, claimed_at)).execute(conn)?;
    Ok(())
}
