//! The users CSV: batches by id, narrowed like the list.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::db::schema::{accounts, memberships, roles};
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::membership::{AccountStatus, MembershipStatus};
use crate::store::sql::sql;
use crate::store::{AnyConnection, QueryResult, parse_key};

use super::filter::{ListFilter, Plan, apply_filter};

/// One row of the users CSV.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: MembershipId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub status: MembershipStatus,
    /// The account is blocked organization-wide (the list says "Blocked", whatever the status).
    pub blocked: bool,
    pub created_at: NaiveDateTime,
    pub last_active_at: Option<NaiveDateTime>,
    pub invited_by: Option<String>,
    pub groups: Vec<String>,
}

/// How an export's filter is answered, worked out once for all its batches (a search's matches
/// looked up once).
pub struct ExportPlan {
    workspace: WorkspaceId,
    filter: ListFilter,
    plan: Plan,
}

impl ExportPlan {
    pub fn of(
        conn: &mut AnyConnection,
        workspace: WorkspaceId,
        filter: ListFilter,
    ) -> QueryResult<Self> {
        let plan = Plan::of(conn, workspace, &filter)?;
        Ok(Self {
            workspace,
            filter,
            plan,
        })
    }
}

/// One row of the users CSV as read, in the order [`export_batch`] selects the columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    status: String,
    account_status: String,
    created_at: NaiveDateTime,
    last_active_at: Option<NaiveDateTime>,
    /// The inviter's address.
    invited_by: Option<String>,
}

/// Up to `limit` rows of the export after membership `after` (by id), narrowed like the list.
pub fn export_batch(
    conn: &mut AnyConnection,
    export: &ExportPlan,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ExportRow>> {
    use crate::db::schema::{group_members, groups};
    let inviters = diesel::alias!(accounts as inviters);
    let query = memberships::table
        .inner_join(accounts::table)
        .inner_join(roles::table)
        .left_join(inviters.on(memberships::invited_by.eq(inviters.field(accounts::id).nullable())))
        .filter(memberships::id.gt(after))
        .select((
            memberships::id,
            accounts::email,
            accounts::first_name,
            accounts::last_name,
            roles::name,
            memberships::status,
            accounts::status,
            memberships::created_at,
            memberships::last_active_at,
            inviters.field(accounts::email).nullable(),
        ))
        .order(memberships::id)
        .limit(limit)
        .into_boxed();
    let query = apply_filter!(query, export.workspace, &export.filter, &export.plan);
    let rows: Vec<Row> = query.load(conn)?;
    let (Some(first), Some(last)) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id)) else {
        return Ok(Vec::new());
    };
    // The batch's groups in one query (the batch is a contiguous id range of this workspace).
    let names: Vec<(i64, String)> = group_members::table
        .inner_join(groups::table)
        .filter(group_members::membership_id.between(first, last))
        .filter(groups::workspace_id.eq(export.workspace.0))
        .select((group_members::membership_id, groups::name))
        .order((group_members::membership_id, groups::name))
        .load(conn)?;
    let mut names = names.into_iter().peekable();
    rows.into_iter()
        .map(|r| {
            // Groups of members this batch leaves out (removed, not matching) are skipped.
            while names.next_if(|(m, _)| *m < r.id).is_some() {}
            let mut member_groups = Vec::new();
            while let Some((_, name)) = names.next_if(|(m, _)| *m == r.id) {
                member_groups.push(name);
            }
            Ok(ExportRow {
                id: MembershipId(r.id),
                email: r.email,
                first_name: r.first_name,
                last_name: r.last_name,
                role: r.role,
                status: parse_key("membership status", &r.status, MembershipStatus::from_key)?,
                blocked: r.account_status == AccountStatus::Blocked.key(),
                created_at: r.created_at,
                last_active_at: r.last_active_at,
                invited_by: r.invited_by,
                groups: member_groups,
            })
        })
        .collect()
}

/// The ids of the members an export's filter matches, by id, at most `limit` of them.
pub fn matching_ids(
    conn: &mut AnyConnection,
    export: &ExportPlan,
    limit: i64,
) -> QueryResult<Vec<MembershipId>> {
    let query = memberships::table
        .select(memberships::id)
        .order(memberships::id)
        .limit(limit)
        .into_boxed();
    let query = apply_filter!(query, export.workspace, &export.filter, &export.plan);
    Ok(query
        .load::<i64>(conn)?
        .into_iter()
        .map(MembershipId)
        .collect())
}
