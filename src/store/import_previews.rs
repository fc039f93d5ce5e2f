//! Kept CSV import previews (issue 18 §1): an hour each, for the person who made them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AnyConnection, QueryResult};
use crate::db::schema::import_previews;
use crate::domain::ids::{AccountId, WorkspaceId};

/// A kept preview: the file's rows and the outcomes shown, as JSON.
pub struct StoredPreview {
    pub id: i64,
    pub file_name: String,
    pub rows_json: String,
    pub outcomes_json: String,
}

pub struct NewPreview<'a> {
    pub workspace: WorkspaceId,
    pub account: AccountId,
    pub file_name: &'a str,
    pub rows_json: &'a str,
    pub outcomes_json: &'a str,
}

pub fn insert(
    conn: &mut AnyConnection,
    new: &NewPreview<'_>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<i64> {
    // Expired previews go as new ones come.
    diesel::delete(import_previews::table.filter(import_previews::expires_at.le(now)))
        .execute(conn)?;
    diesel::insert_into(import_previews::table)
        .values((
            import_previews::workspace_id.eq(new.workspace.0),
            import_previews::account_id.eq(new.account.0),
            import_previews::file_name.eq(new.file_name),
            import_previews::rows_json.eq(new.rows_json),
            import_previews::outcomes_json.eq(new.outcomes_json),
            import_previews::created_at.eq(now),
            import_previews::expires_at.eq(expires_at),
        ))
        .returning(import_previews::id)
        .get_result(conn)
}

/// A live preview of this workspace made by this person.
pub fn find(
    conn: &mut AnyConnection,
    id: i64,
    workspace: WorkspaceId,
    account: AccountId,
    now: NaiveDateTime,
) -> QueryResult<Option<StoredPreview>> {
    import_previews::table
        .filter(import_previews::id.eq(id))
        .filter(import_previews::workspace_id.eq(workspace.0))
        .filter(import_previews::account_id.eq(account.0))
        .filter(import_previews::expires_at.gt(now))
        .select((
            import_previews::id,
            import_previews::file_name,
            import_previews::rows_json,
            import_previews::outcomes_json,
        ))
        .first::<(i64, String, String, String)>(conn)
        .optional()
        .map(|found| {
            found.map(|(id, file_name, rows_json, outcomes_json)| StoredPreview {
                id,
                file_name,
                rows_json,
                outcomes_json,
            })
        })
}

pub fn delete(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::delete(import_previews::table.find(id)).execute(conn)?;
    Ok(())
}
