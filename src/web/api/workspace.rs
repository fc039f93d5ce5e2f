//! `GET /api/v1/workspace` (any live key: the key's own workspace) and `GET /api/v1/roles`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiKeyAuth, Problem, ok};
use crate::domain::policy::READS_ROLES;
use crate::services::roles;
use crate::web::AppState;

#[derive(Serialize, ToSchema)]
pub struct Seats {
    /// Pending invitations, active and suspended members.
    pub used: i64,
    /// `null`: no limit.
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Members {
    pub active: i64,
    pub suspended: i64,
    pub invited: i64,
    pub removed: i64,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceJson {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// `free`, `team`, `business`…
    #[schema(value_type = String)]
    pub plan: &'static str,
    pub seats: Seats,
    pub members: Members,
    pub require_two_factor: bool,
}

/// The key's workspace
///
/// Its plan, seats used and their limit, and how many members are in each state. Any live key.
#[utoipa::path(get, path = "/api/v1/workspace", operation_id = "getWorkspace", tag = "Workspace", security(("api_key" = [])),
    responses((status = 200, description = "The workspace", body = WorkspaceJson)))]
pub async fn show(auth: ApiKeyAuth) -> Result<HttpResponse, Problem> {
    let w = &auth.workspace;
    Ok(ok(&WorkspaceJson {
        id: w.id.0,
        name: w.name.clone(),
        slug: w.slug.clone(),
        plan: w.plan.key(),
        seats: Seats {
            used: w.counts.seats_used(),
            limit: w.seat_limit,
        },
        members: Members {
            active: w.counts.active,
            suspended: w.counts.suspended,
            invited: w.counts.invited,
            removed: w.counts.removed,
        },
        require_two_factor: w.require_two_factor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RoleJson {
    /// `owner`, `admin`, `auditor`, `member`, or a custom role's id as text: what `role` takes
    /// in invitations and changes.
    pub key: String,
    pub name: String,
    pub built_in: bool,
    /// Its catalogue permissions (`users.view`…).
    #[schema(value_type = Vec<String>)]
    pub permissions: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleList {
    pub data: Vec<RoleJson>,
}

/// Roles
///
/// The roles of this workspace, built-in and custom, with their keys (what `role` takes) and
/// permissions. Any of `users.invite`, `users.change_role`, `audit.view`.
#[utoipa::path(get, path = "/api/v1/roles", operation_id = "listRoles", tag = "Workspace",
    security(("api_key" = ["users.invite"]), ("api_key" = ["users.change_role"]), ("api_key" = ["audit.view"])),
    responses((status = 200, description = "The roles", body = RoleList)))]
pub async fn roles(state: web::Data<AppState>, auth: ApiKeyAuth) -> Result<HttpResponse, Problem> {
    if !auth.key.scopes.holds_any(&READS_ROLES) {
        return Err(Problem::missing_scope(READS_ROLES[0]));
    }
    let workspace = auth.workspace.id;
    let choices =
        crate::web::blocking(&state, move |conn| Ok(roles::choices(conn, workspace)?)).await?;
    Ok(ok(&RoleList {
        data: choices
            .into_iter()
            .map(|r| RoleJson {
                built_in: r.key.parse::<i64>().is_err(),
                key: r.key,
                name: r.name,
                permissions: r.permissions.iter().map(|p| p.key()).collect(),
            })
            .collect(),
    }))
}
