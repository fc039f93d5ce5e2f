//! `/scim/v2/Groups`: the workspace's groups for an identity provider's group push — list
//! (filtered, paged, `excludedAttributes=members`), read, create, replace, patch (members added,
//! removed, replaced; name; `externalId`) and delete, through the groups' own services.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::discovery::base;
use super::query::{ListQuery, OneQuery};
use super::{Projection, ScimAuth, ScimError, in_transaction};
use crate::db::AnyConnection;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::scim_filter::{Cond, Resource};
use crate::domain::scim_patch::{self, GroupChanges, MemberChange};
use crate::domain::{Description, Name};
use crate::services::audit::Actor;
use crate::services::groups::{self as service, GroupError, InWorkspace, ScimGroup};
use crate::web::{AppState, blocking};

pub use crate::domain::scim_filter::GROUP_SCHEMA;

fn version(group: &ScimGroup) -> String {
    super::weak_etag(group.updated_at)
}

/// The group before a change, refused (412) when the change is conditioned on another version.
fn unchanged_since(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: i64,
    if_match: Option<&str>,
) -> Result<ScimGroup, ScimError> {
    let group = service::scim_group(conn, workspace, id)?.ok_or_else(ScimError::not_found)?;
    super::check_version(if_match, &version(&group))?;
    Ok(group)
}

fn representation(state: &AppState, group: &ScimGroup, members: Option<&[i64]>) -> Value {
    let base = base(state);
    let id = Resource::Group.scim_id(group.id);
    let mut value = json!({
        "schemas": [GROUP_SCHEMA],
        "id": id,
        "displayName": group.name,
        "meta": {
            "resourceType": "Group",
            "created": crate::web::views::rfc3339(group.created_at),
            "lastModified": crate::web::views::rfc3339(group.updated_at),
            "version": version(group),
            "location": format!("{base}/Groups/{id}"),
        },
    });
    if let Some(external_id) = &group.external_id {
        value["externalId"] = json!(external_id);
    }
    if let Some(members) = members {
        value["members"] = members
            .iter()
            .map(|id| {
                json!({"value": id.to_string(), "type": "User",
                       "$ref": format!("{base}/Users/{id}")})
            })
            .collect();
    }
    value
}

impl From<GroupError> for ScimError {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::NameTaken => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), e.to_string())
            }
            GroupError::NotFound => ScimError::not_found(),
            GroupError::NotAMember => ScimError::invalid_value(e.to_string()),
            GroupError::Refused(why) => ScimError::new(StatusCode::FORBIDDEN, None, why),
            GroupError::Database(e) => e.into(),
        }
    }
}

/// The group and the workspace it is in.
fn at(workspace: WorkspaceId, group: i64) -> InWorkspace {
    // SCIM acts as an Admin would.
    InWorkspace {
        workspace,
        group,
        by: crate::domain::api_key::scim_permissions(),
    }
}

/// A member's SCIM id (a User's), as the group's `members` name them.
fn user_id(text: &str) -> Option<MembershipId> {
    Resource::User.parse_id(text).map(MembershipId)
}

fn group_id(path: &(String,)) -> Result<i64, ScimError> {
    super::resource_id(Resource::Group, &path.0)
}

/// `GET /scim/v2/Groups`: the groups the filter matches, a page of them.
pub async fn list(
    state: web::Data<AppState>,
    auth: ScimAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ScimError> {
    super::list(&state, &auth, query.into_inner(), Resource::Group).await
}

/// How many Groups `cond` matches, and `count` of them from `offset` as projected resources
/// (with their members unless the projection leaves them out).
pub async fn page(
    state: &web::Data<AppState>,
    workspace: WorkspaceId,
    cond: Option<Cond>,
    offset: i64,
    count: i64,
    projection: Projection,
) -> Result<(i64, Vec<Value>), ScimError> {
    let with_members = projection.wants("members");
    let (total, found) = blocking(state, move |conn| {
        let (total, groups) = service::scim_groups(conn, workspace, cond.as_ref(), offset, count)?;
        let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
        let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
        if with_members {
            for (group, member) in service::member_refs_of(conn, &ids)? {
                members.entry(group).or_default().push(member);
            }
        }
        let out: Vec<_> = groups
            .into_iter()
            .map(|group| {
                let refs = with_members.then(|| members.remove(&group.id).unwrap_or_default());
                (group, refs)
            })
            .collect();
        Ok((total, out))
    })
    .await?;
    let resources = found
        .iter()
        .map(|(g, m)| projection.apply(representation(state, g, m.as_deref())))
        .collect();
    Ok((total, resources))
}

/// `POST /scim/v2/Groups/.search`: the list, asked with a body.
pub async fn search(
    state: web::Data<AppState>,
    auth: ScimAuth,
    body: web::Json<super::query::SearchRequest>,
) -> Result<HttpResponse, ScimError> {
    super::list(&state, &auth, body.into_inner().into(), Resource::Group).await
}

/// The group and (when wanted) its members, as one answer with its `ETag`.
async fn answer(
    state: &web::Data<AppState>,
    workspace: WorkspaceId,
    id: i64,
    projection: &Projection,
) -> Result<HttpResponse, ScimError> {
    let with_members = projection.wants("members");
    let (group, members) = blocking(state, move |conn| {
        let Some(group) = service::scim_group(conn, workspace, id)? else {
            return Ok(None);
        };
        let members = if with_members {
            Some(service::member_refs(conn, id)?)
        } else {
            None
        };
        Ok(Some((group, members)))
    })
    .await?
    .ok_or_else(ScimError::not_found)?;
    Ok(super::resource_answer(
        &projection.apply(representation(state, &group, members.as_deref())),
        &version(&group),
    ))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: ScimAuth,
    path: web::Path<(String,)>,
    query: web::Query<OneQuery>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let answer = answer(&state, auth.0.workspace.id, id, &query.projection()).await?;
    Ok(super::unless_current(&req, answer))
}

/// Current members of the workspace named by `ids`, or 400 naming one that is not.
fn members(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    ids: &[String],
) -> Result<Vec<MembershipId>, ScimError> {
    let parsed: Vec<MembershipId> = ids
        .iter()
        .map(|id| {
            user_id(id).ok_or_else(|| {
                ScimError::invalid_value(format!(
                    "members: “{id}” is not a User of this workspace."
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let current = service::current_among(conn, workspace, &parsed)?;
    if let Some(missing) = parsed
        .iter()
        .find(|id| !current.iter().any(|(c, _)| c == *id))
    {
        return Err(ScimError::invalid_value(format!(
            "members: {} is not a current User of this workspace.",
            missing.0
        )));
    }
    Ok(parsed)
}

fn name(text: &str) -> Result<Name, ScimError> {
    Name::parse_label(text).map_err(|e| ScimError::invalid_value(format!("displayName: {e}")))
}

/// Applies `changes` to the group in one transaction.
fn apply(
    conn: &mut AnyConnection,
    actor: &Actor,
    at: InWorkspace,
    changes: &GroupChanges,
    now: chrono::NaiveDateTime,
) -> Result<(), ScimError> {
    let current = service::find(conn, at.workspace, at.group)?.ok_or_else(ScimError::not_found)?;
    if let Some(new_name) = &changes.name
        && *new_name != current.name
    {
        let description = Description::parse(&current.description).unwrap_or_default();
        service::update(conn, actor, at, &name(new_name)?, &description, now)?;
    }
    if let Some(external_id) = &changes.external_id {
        service::set_external_id(conn, actor, at, external_id.as_deref(), now)?;
    }
    // One after another, in the order sent.
    for change in &changes.members {
        match change {
            MemberChange::Replace(all) => {
                let ids = members(conn, at.workspace, all)?;
                service::set_members(conn, actor, at, &ids, now)?;
            }
            MemberChange::Add(added) if !added.is_empty() => {
                let ids = members(conn, at.workspace, added)?;
                service::add_members(conn, actor, at, &ids, now)?;
            }
            MemberChange::Add(_) => {}
            MemberChange::Remove(removed) => {
                for id in removed.iter().filter_map(|id| user_id(id)) {
                    service::remove_member(conn, actor, at, id, now)?;
                }
            }
        }
    }
    Ok(())
}

/// Changes the group under the workspace lock, refusing a stale `If-Match` first.
async fn change(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: &HttpRequest,
    id: i64,
    changes: GroupChanges,
) -> Result<HttpResponse, ScimError> {
    let if_match = super::if_match(req);
    let now = state.settings.clock.now();
    let workspace = auth.0.workspace.id;
    auth.acting(
        &state,
        in_transaction(move |conn, acting, workspace| {
            unchanged_since(conn, workspace, id, if_match.as_deref())?;
            apply(conn, acting.actor, at(workspace, id), &changes, now)
        }),
    )
    .await?;
    answer(&state, workspace, id, &Projection::default()).await
}

pub async fn patch(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    path: web::Path<(String,)>,
    body: web::Json<super::PatchRequest>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let changes = scim_patch::group_patch(&body.operations)?;
    change(state, auth, &req, id, changes).await
}

pub async fn replace(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    path: web::Path<(String,)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let changes = scim_patch::group_replacement(&body)?;
    change(state, auth, &req, id, changes).await
}

/// `POST /scim/v2/Groups`: 201 with the group and its `Location`.
pub async fn create(
    state: web::Data<AppState>,
    auth: ScimAuth,
    body: web::Json<Value>,
) -> Result<HttpResponse, ScimError> {
    let mut changes = scim_patch::group_replacement(&body)?;
    let group_name = name(changes.name.as_deref().unwrap_or_default())?;
    changes.name = None;
    let now = state.settings.clock.now();
    let workspace = auth.0.workspace.id;
    let id = auth
        .acting(
            &state,
            in_transaction(move |conn, acting, workspace| {
                let id = service::create(
                    conn,
                    acting.actor,
                    workspace,
                    &group_name,
                    &Description::default(),
                    now,
                )?;
                service::mark_provisioned(conn, id)?;
                apply(conn, acting.actor, at(workspace, id), &changes, now)?;
                Ok(id)
            }),
        )
        .await?;
    let made = answer(&state, workspace, id, &Projection::default()).await?;
    Ok(super::created(
        made,
        &format!("{}/Groups/{}", base(&state), Resource::Group.scim_id(id)),
    ))
}

/// A stale `If-Match` is refused (412) before anything changes, as for PATCH and PUT.
pub async fn delete(
    state: web::Data<AppState>,
    auth: ScimAuth,
    req: HttpRequest,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, ScimError> {
    let id = group_id(&path)?;
    let if_match = super::if_match(&req);
    let now = state.settings.clock.now();
    auth.acting(
        &state,
        in_transaction(move |conn, acting, workspace| {
            unchanged_since(conn, workspace, id, if_match.as_deref())?;
            Ok(service::delete(conn, acting.actor, at(workspace, id), now)?)
        }),
    )
    .await?;
    Ok(super::no_content())
}
