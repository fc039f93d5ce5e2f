//! `/api/v1/groups`: list, create, read, rename and describe, delete, and who is in them
//! (`PUT`/`DELETE /api/v1/groups/{id}/members/{user_id}`). The groups pages' services.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{IdPath, MemberPath};
use super::{ApiKeyAuth, Problem, json, no_content, ok, path_id};
use crate::db::{self, AnyConnection, Lock};
use crate::domain::SearchTerm;
use crate::domain::ids::MembershipId;
use crate::domain::role::Permission;
use crate::services::audit::Actor;
use crate::services::groups::{self as service, Group, GroupError, InWorkspace};
use crate::web::forms::FieldErrors;
use crate::web::groups::GroupForm;
use crate::web::views::rfc3339;
use crate::web::{AppState, blocking};

#[derive(Serialize, ToSchema)]
pub struct GroupJson {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub grant_count: i64,
    pub updated_at: String,
}

impl From<&Group> for GroupJson {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id,
            name: g.name.clone(),
            description: g.description.clone(),
            member_count: g.member_count,
            grant_count: g.grant_count,
            updated_at: rfc3339(g.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupList {
    pub data: Vec<GroupJson>,
}

impl From<GroupError> for Problem {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::NameTaken => Problem::field("name", e),
            GroupError::NotFound | GroupError::NotAMember => Problem::not_found(),
            GroupError::Refused(why) => Problem::new(StatusCode::FORBIDDEN, why),
            GroupError::Database(e) => e.into(),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of a group's name or description.
    #[param(value_type = Option<String>)]
    pub q: SearchTerm,
}

/// Groups
#[utoipa::path(get, path = "/api/v1/groups", operation_id = "listGroups", tag = "Groups", params(ListQuery),
    security(("api_key" = ["groups.view"])),
    responses((status = 200, description = "The workspace's first 1,000 groups by name (`q` finds the others)", body = GroupList)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::GroupsView)?;
    let (workspace, q) = (auth.workspace.id, query.into_inner().q);
    let found = blocking(&state, move |conn| {
        Ok(service::list(conn, workspace, q.as_str())?)
    })
    .await?;
    Ok(ok(&GroupList {
        data: found
            .iter()
            .take(crate::store::groups::SHOWN)
            .map(GroupJson::from)
            .collect(),
    }))
}

async fn read(state: &AppState, auth: &ApiKeyAuth, id: i64) -> Result<GroupJson, Problem> {
    let workspace = auth.workspace.id;
    blocking(state, move |conn| Ok(service::find(conn, workspace, id)?))
        .await?
        .as_ref()
        .map(GroupJson::from)
        .ok_or_else(Problem::not_found)
}

/// One group
#[utoipa::path(get, path = "/api/v1/groups/{id}", operation_id = "getGroup", tag = "Groups", params(IdPath),
    security(("api_key" = ["groups.view"])),
    responses((status = 200, description = "The group", body = GroupJson)))]
pub async fn show(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::GroupsView)?;
    let id = path_id(&path.0)?;
    Ok(ok(&read(&state, &auth, id).await?))
}

/// A group's name (required to create) and description.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// The body's fields over `current` (name, description), parsed as the page's form is.
fn parse(
    body: GroupBody,
    current: (String, String),
) -> Result<(crate::domain::Name, crate::domain::Description), Problem> {
    let form = GroupForm {
        name: body.name.unwrap_or(current.0),
        description: body.description.unwrap_or(current.1),
    };
    let mut errors = FieldErrors::default();
    form.parse(&mut errors)
        .ok_or_else(|| Problem::invalid(errors.into_map()))
}

/// Create a group
#[utoipa::path(post, path = "/api/v1/groups", operation_id = "createGroup", tag = "Groups", request_body = GroupBody,
    security(("api_key" = ["groups.manage"])),
    responses((status = 201, description = "The new group", body = GroupJson)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    body: web::Json<GroupBody>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::GroupsManage)?;
    let (name, description) = parse(body.into_inner(), Default::default())?;
    let workspace = auth.workspace.id;
    let id = change(&state, &auth, move |conn, actor, now| {
        service::create(conn, actor, workspace, &name, &description, now)
    })
    .await?;
    Ok(json(StatusCode::CREATED, &read(&state, &auth, id).await?))
}

/// Rename a group or change its description
#[utoipa::path(patch, path = "/api/v1/groups/{id}", operation_id = "updateGroup", tag = "Groups", params(IdPath), request_body = GroupBody,
    security(("api_key" = ["groups.manage", "groups.view"])),
    responses((status = 200, description = "The group after the change", body = GroupJson)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
    body: web::Json<GroupBody>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::GroupsManage)?;
    // The answer (and a change of nothing) reads the group: it takes seeing groups.
    auth.require(Permission::GroupsView)?;
    let id = path_id(&path.0)?;
    let (body, at) = (body.into_inner(), in_workspace(&auth, id));
    // A field not sent keeps the value it has when the change is made (read under the lock), so
    // two changes of different fields at once both stay.
    change(&state, &auth, move |conn, actor, now| {
        db::write_transaction(conn, Lock::Workspace(at.workspace), |conn| {
            let current =
                service::find(conn, at.workspace, at.group)?.ok_or(GroupError::NotFound)?;
            match parse(body, (current.name, current.description)) {
                Ok((name, description)) => {
                    service::update(conn, actor, at, &name, &description, now).map(Ok)
                }
                Err(invalid) => Ok(Err(invalid)),
            }
        })
    })
    .await??;
    Ok(ok(&read(&state, &auth, id).await?))
}

fn in_workspace(auth: &ApiKeyAuth, group: i64) -> InWorkspace {
    InWorkspace {
        workspace: auth.workspace.id,
        group,
        by: auth.key.scopes,
    }
}

/// Runs `f`, a change through the groups' services, on the blocking pool as the key, now.
async fn change<T: Send + 'static>(
    state: &AppState,
    auth: &ApiKeyAuth,
    f: impl FnOnce(&mut AnyConnection, &Actor, NaiveDateTime) -> Result<T, GroupError> + Send + 'static,
) -> Result<T, Problem> {
    let (actor, now) = (auth.actor(), state.settings.clock.now());
    Ok(blocking(state, move |conn| Ok(f(conn, &actor, now))).await??)
}

/// Delete a group
///
/// Its members stay in the workspace; what it granted them ends.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", operation_id = "deleteGroup", tag = "Groups", params(IdPath),
    security(("api_key" = ["groups.manage"])),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::GroupsManage)?;
    let at = in_workspace(&auth, path_id(&path.0)?);
    change(&state, &auth, move |conn, actor, now| {
        service::delete(conn, actor, at, now)
    })
    .await?;
    Ok(no_content())
}

/// Changes who is in a group: `f` on the group and the member the path names (a member not
/// of the workspace, or a group not in it: 404).
async fn change_membership<T: Send + 'static>(
    state: &AppState,
    auth: &ApiKeyAuth,
    path: &(String, String),
    f: fn(
        &mut AnyConnection,
        &Actor,
        InWorkspace,
        MembershipId,
        NaiveDateTime,
    ) -> Result<T, GroupError>,
) -> Result<T, Problem> {
    auth.require(Permission::GroupsManage)?;
    // Adding or taking out answers whether someone is a member, and in the group (204 or 404):
    // it takes seeing people.
    auth.require(Permission::UsersView)?;
    let at = in_workspace(auth, path_id(&path.0)?);
    let member = MembershipId::parse(&path.1).ok_or_else(Problem::not_found)?;
    change(state, auth, move |conn, actor, now| {
        f(conn, actor, at, member, now)
    })
    .await
}

/// Add a member to a group
///
/// Already in it: nothing changes.
#[utoipa::path(put, path = "/api/v1/groups/{id}/members/{user_id}", operation_id = "addGroupMember", tag = "Groups", params(MemberPath),
    security(("api_key" = ["groups.manage", "users.view"])),
    responses((status = 204, description = "The member is in the group")))]
pub async fn add_member(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    change_membership(&state, &auth, &path, service::add_member).await?;
    Ok(no_content())
}

/// Take a member out of a group
///
/// 404 when they were not in it.
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user_id}", operation_id = "removeGroupMember", tag = "Groups", params(MemberPath),
    security(("api_key" = ["groups.manage", "users.view"])),
    responses((status = 204, description = "The member is out of the group")))]
pub async fn remove_member(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    if change_membership(&state, &auth, &path, service::remove_member).await? {
        Ok(no_content())
    } else {
        Err(Problem::not_found())
    }
}
