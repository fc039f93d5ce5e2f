//! `GET /api/v1/workspace` (any live key: the key's own workspace) and `GET /api/v1/roles`.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{ApiKeyAuth, Problem, ok};
use crate::domain::policy::READS_ROLES;
use crate::store::roles;
use crate::web::AppState;

#[derive(Serialize)]
pub struct Seats {
    /// Pending invitations, active and suspended members.
    pub used: i64,
    /// `null`: no limit.
    pub limit: Option<i64>,
}

#[derive(Serialize)]
pub struct Members {
    pub active: i64,
    pub suspended: i64,
    pub invited: i64,
    pub removed: i64,
}

#[derive(Serialize)]
pub struct WorkspaceJson {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub plan: &'static str,
    pub seats: Seats,
    pub members: Members,
    pub require_two_factor: bool,
}

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

#[derive(Serialize)]
pub struct RoleJson {
    /// `owner`, `admin`, `auditor`, `member`, or a custom role's id as text: what `role` takes
    /// in invitations and changes.
    pub key: String,
    pub name: String,
    pub built_in: bool,
    pub permissions: Vec<&'static str>,
}

#[derive(Serialize)]
pub struct RoleList {
    pub data: Vec<RoleJson>,
}

/// The roles one may hand out here (what the roles page lists: any of its read permissions).
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
