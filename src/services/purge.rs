//! The purge (PRODUCT §4.8, §5): memberships removed more than 14 days ago are deleted for good,
//! each with its audit event. Run daily by the server and by `admin-console purge`.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::db::{self, AnyConnection};
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
    memberships::removed_before(conn, now - Duration::days(RESTORE_DAYS), limit)
}

/// Purges what is due at `now`; returns how many memberships were deleted.
pub fn purge_removed(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<usize, diesel::result::Error> {
    let cutoff = now - Duration::days(RESTORE_DAYS);
    let mut purged = 0;
    loop {
        let done = db::write_first(conn, |conn| {
            let due = memberships::removed_before(conn, cutoff, BATCH)?;
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
            Ok::<_, diesel::result::Error>((deleted, due.len() as i64))
        })?;
        purged += done.0;
        if done.1 < BATCH {
            return Ok(purged);
        }
    }
}
