//! The purge (PRODUCT §4.8, §5): memberships removed more than 14 days ago are deleted for good,
//! each with its audit event. Run daily by the server and by `admin-console purge`.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::db::{self, AnyConnection};
use crate::domain::ids::WorkspaceId;
use crate::domain::membership::RESTORE_DAYS;
use crate::store::audit::{self, Actor};
use crate::store::memberships;

/// Rows deleted per transaction, so a large purge does not hold the writer for long.
const BATCH: i64 = 500;

/// What the next purge deletes, as of `now`: the memberships removed over 14 days ago, oldest
/// first, at most `limit` of them (one more tells there are more).
pub fn due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<memberships::DuePurge>, diesel::result::Error> {
    memberships::removed_before(conn, None, now - Duration::days(RESTORE_DAYS), limit)
}

/// Purges what is due at `now`; returns how many memberships were deleted.
pub fn purge_removed(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<usize, diesel::result::Error> {
    let mut purged = 0;
    loop {
        let done = db::write_first(conn, |conn| purge_batch(conn, actor, None, now))?;
        purged += done.0;
        if done.1 < BATCH {
            return Ok(purged);
        }
    }
}

/// Purges what is due at `now` in one workspace, inside the caller's transaction: an invitation
/// of someone whose restore window has passed does not wait for the daily purge (a restore is
/// refused by then, and the invitation would be refused as "restore them instead").
pub fn purge_due_in(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    now: NaiveDateTime,
) -> Result<usize, diesel::result::Error> {
    let mut purged = 0;
    loop {
        let done = purge_batch(conn, &Actor::scheduled(), Some(workspace), now)?;
        purged += done.0;
        if done.1 < BATCH {
            return Ok(purged);
        }
    }
}

/// Deletes up to [`BATCH`] due memberships (of one workspace or all), each with its event;
/// returns how many were deleted and how many were due.
fn purge_batch(
    conn: &mut AnyConnection,
    actor: &Actor,
    workspace: Option<WorkspaceId>,
    now: NaiveDateTime,
) -> Result<(usize, i64), diesel::result::Error> {
    let cutoff = now - Duration::days(RESTORE_DAYS);
    let due = memberships::removed_before(conn, workspace, cutoff, BATCH)?;
    let mut deleted = 0;
    for member in &due {
        if memberships::delete_removed(conn, member.id)? {
            deleted += 1;
            audit::record(
                conn,
                actor,
                &audit::NewEvent {
                    workspace_id: Some(member.workspace_id),
                    action: "member.purged",
                    target_type: "account",
                    target_id: Some(member.account_id.0),
                    target_label: &member.email,
                    changes: json!({ "membership_id": member.id.0, "restorable_days": RESTORE_DAYS }),
                },
                now,
            )?;
        }
    }
    Ok((deleted, due.len() as i64))
}
