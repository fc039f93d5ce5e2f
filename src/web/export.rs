//! `GET /w/{slug}/users.csv`: the users list as CSV, streamed from the database a batch at a time
//! (never the whole list in memory), narrowed by the list's search and filters.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::auth::WorkspaceAccess;
use super::csv_download::{BATCH, Slot, stream_csv};
use super::error::AppError;
use super::views::rfc3339;
use super::{AppState, blocking};
use crate::clock;
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
        if row.blocked {
            "blocked"
        } else {
            row.status.key()
        },
        &defuse(&groups),
        &created,
        &active,
        &defuse(row.invited_by.as_deref().unwrap_or("")),
    ])
}

/// The filters an export used, for its audit event: only those set ("everyone" when none is);
/// a role and a group by their names as they are now, with the id asked (`Support (role 5)`): an
/// auditor reads which, and a later rename does not hide it.
fn used_filters(
    params: &FilterParams,
    role: Option<&str>,
    group: Option<&str>,
) -> serde_json::Value {
    let mut used = serde_json::Map::new();
    let named = |name: Option<&str>, kind: &str, id: &str| match name {
        Some(name) if name.eq_ignore_ascii_case(id) => name.to_owned(),
        Some(name) => format!("{name} ({kind} {id})"),
        None => id.to_owned(),
    };
    for (name, value) in [
        ("search", params.q.as_str().to_owned()),
        ("status", params.status.clone()),
        ("role", named(role, "role", &params.role)),
        ("group", named(group, "group", &params.group)),
    ] {
        if !value.trim().is_empty() {
            used.insert(name.to_owned(), json!(value));
        }
    }
    if let Some(days) = params.inactive_days() {
        used.insert("inactive_days".to_owned(), json!(days));
    }
    if used.is_empty() {
        used.insert("everyone".to_owned(), json!(true));
    }
    serde_json::Value::Object(used)
}

pub async fn users_csv(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    query: web::Query<FilterParams>,
) -> Result<HttpResponse, AppError> {
    // It lists the members: seeing them comes first, then the export's own right.
    access.require(Permission::UsersView)?;
    access.require(Permission::UsersExport)?;
    let params = query.into_inner();
    // A role that does not see groups neither filters by one (the list drops it; an export
    // must not take it for "everyone") nor reads them.
    let sees_groups = access.can(Permission::GroupsView);
    if !sees_groups && !params.group.is_empty() {
        return Err(AppError::Invalid(format!(
            "{} Nothing was exported.",
            super::bulk::NO_GROUP_FILTER
        )));
    }
    let slot = Slot::take(access.signed_in.account.id)?;
    let workspace = access.workspace.id;
    let actor = access.signed_in.actor();
    // One audit event per export, with the filter used, before anything is sent.
    let filter = blocking(&state, move |conn| {
        let filter = members::resolve_filter(conn, workspace, &params, clock::now())?
            .map_err(|unknown| AppError::Invalid(format!("{unknown} Nothing was exported.")))?;
        let role = match filter.role {
            Some(id) => crate::store::roles::choices(conn, workspace)?
                .into_iter()
                .find(|r| r.id == id)
                .map(|r| r.name),
            None => None,
        };
        let group = match &filter.group {
            Some(g) => crate::store::groups::find(conn, workspace, g.id)?.map(|g| g.name),
            None => None,
        };
        audit::record(
            conn,
            &actor,
            &audit::NewEvent {
                workspace_id: Some(workspace),
                action: "users.exported",
                target_type: "workspace",
                target_id: Some(workspace.0),
                target_label: "users.csv",
                changes: used_filters(&params, role.as_deref(), group.as_deref()),
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
        slot,
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
                let mut rows = memberships::export_batch(conn, plan, after.unwrap_or(0), BATCH)?;
                if !sees_groups {
                    rows.iter_mut().for_each(|row| row.groups.clear());
                }
                Ok(rows)
            }
        },
        write_row,
        |row| row.id.0,
    ))
}
