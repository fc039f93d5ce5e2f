//! `/api/v1/invitations`: invite people (all or nothing, every refused address with its reason),
//! list the pending invitations, resend one with a new link, revoke one. The invite dialog's
//! services and rules.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::IdPath;
use super::paging::{Links, parse_cursor, parse_limit};
use super::problem::RefusedAddress;
use super::{ApiKeyAuth, Problem, json, next_page, no_content, ok, path_id};
use crate::db::AnyConnection;
use crate::domain::ids::WorkspaceId;
use crate::domain::invitation::parse_address_list;
use crate::domain::role::Permission;
use crate::services::invitations::{
    self, Invitation, InviteError, InviteProblems, InviteRequest, Inviter,
};
use crate::web::error::AppError;
use crate::web::views::rfc3339;
use crate::web::{AppState, blocking};

#[derive(Serialize, ToSchema)]
pub struct InvitationJson {
    pub id: i64,
    /// The pending member's id (`/api/v1/users/{id}`).
    pub user_id: i64,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub expires_at: String,
    pub last_sent_at: Option<String>,
    pub expired: bool,
}

impl InvitationJson {
    fn of(i: &Invitation, now: chrono::NaiveDateTime) -> Self {
        Self {
            id: i.id,
            user_id: i.membership_id.0,
            email: i.email.clone(),
            role: i.role_name.clone(),
            invited_by: i.inviter.clone(),
            expires_at: rfc3339(i.expires_at),
            last_sent_at: i.last_sent_at.map(rfc3339),
            expired: i.expires_at <= now,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    pub data: Vec<InvitationJson>,
    pub links: Links,
}

/// The invitations made, one per address.
#[derive(Serialize, ToSchema)]
pub struct Invited {
    pub data: Vec<InvitationJson>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    pub emails: Vec<String>,
    /// A built-in role's key or a custom role's id; `member` when absent.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub group_ids: Vec<i64>,
    #[serde(default)]
    pub app_ids: Vec<i64>,
}

impl InviteBody {
    /// The invite dialog's request: the addresses as one list, `member` unless a role is named,
    /// each group and app once.
    fn into_request(mut self, workspace: WorkspaceId) -> InviteRequest {
        crate::web::forms::unique(&mut self.group_ids);
        crate::web::forms::unique(&mut self.app_ids);
        InviteRequest {
            workspace,
            addresses: parse_address_list(&self.emails.join("\n")),
            role: self.role.unwrap_or_else(|| "member".to_owned()),
            group_ids: self.group_ids,
            app_ids: self.app_ids,
        }
    }
}

/// Runs `f` on the blocking pool with the key as the inviter, in its workspace.
async fn as_inviter<T: Send + 'static>(
    state: &AppState,
    auth: &ApiKeyAuth,
    f: impl FnOnce(&mut AnyConnection, &Inviter<'_>, WorkspaceId) -> Result<T, AppError>
    + Send
    + 'static,
) -> Result<T, Problem> {
    let (actor, permissions, workspace) = (auth.actor(), auth.key.scopes, auth.workspace.id);
    Ok(blocking(state, move |conn| {
        let inviter = Inviter {
            actor: &actor,
            permissions,
        };
        f(conn, &inviter, workspace)
    })
    .await?)
}

/// Invite people
///
/// All or nothing, under the invite dialog's rules (seats, roles one may grant): when any
/// address is refused, nothing is sent and 422 lists every refused address with its reason
/// (`refused`).
#[utoipa::path(post, path = "/api/v1/invitations", operation_id = "createInvitations", tag = "Invitations", request_body = InviteBody,
    security(("api_key" = ["users.invite"])),
    responses((status = 201, description = "The invitations made", body = Invited)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    body: web::Json<InviteBody>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::UsersInvite)?;
    let request = body.into_inner().into_request(auth.workspace.id);
    let settings = state.invite_settings();
    let now = state.settings.clock.now();
    let outcome = as_inviter(&state, &auth, move |conn, inviter, workspace| {
        Ok(
            match invitations::invite_members(conn, inviter, &request, &settings, now) {
                Ok(ids) => {
                    let mut made = Vec::with_capacity(ids.len());
                    for id in ids {
                        made.extend(invitations::find_in_workspace(conn, workspace, id)?);
                    }
                    Ok(made)
                }
                Err(e) => Err(e),
            },
        )
    })
    .await?;
    match outcome {
        Ok(made) => {
            state.outbox_wake.notify_one();
            let data: Vec<_> = made.iter().map(|i| InvitationJson::of(i, now)).collect();
            Ok(json(StatusCode::CREATED, &Invited { data }))
        }
        Err(InviteError::Invalid(problems)) => Err(refused(problems)),
        Err(InviteError::Database(e)) => Err(e.into()),
        Err(InviteError::Render(e)) => Err(Problem::internal(e.into())),
    }
}

/// An invitation refused as a whole: 422 with a message per field, and every refused address
/// with its reason.
fn refused(problems: InviteProblems) -> Problem {
    let mut errors = std::collections::BTreeMap::new();
    for (field, message) in [
        ("emails", problems.emails),
        ("role", problems.role),
        ("group_ids", problems.groups),
        ("app_ids", problems.apps),
    ] {
        if let Some(message) = message {
            errors.insert(field.to_owned(), message);
        }
    }
    if !problems.addresses.is_empty() {
        errors
            .entry("emails".to_owned())
            .or_insert_with(|| "Some addresses were refused; see `refused`.".to_owned());
    }
    let mut problem = Problem::invalid(errors);
    problem.refused = problems
        .addresses
        .into_iter()
        .map(|(email, reason)| RefusedAddress { email, reason })
        .collect();
    problem
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The last id of the page before (the `next` link carries it).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub after: Option<String>,
    /// Invitations per page, 1 to 200 (50 when absent).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// Pending invitations
///
/// Oldest first, in pages (follow `links.next`).
#[utoipa::path(get, path = "/api/v1/invitations", operation_id = "listInvitations", tag = "Invitations", params(ListQuery),
    security(("api_key" = ["users.view"])),
    responses((status = 200, description = "A page of pending invitations", body = InvitationList)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::UsersView)?;
    let limit = parse_limit(query.limit.as_deref())?;
    let after = parse_cursor("after", query.after.as_deref())?.unwrap_or(0);
    let workspace = auth.workspace.id;
    let now = state.settings.clock.now();
    let mut page = blocking(&state, move |conn| {
        Ok(invitations::pending_page(
            conn,
            workspace,
            after,
            limit + 1,
        )?)
    })
    .await?;
    let next = next_page(&mut page, limit, |i| {
        format!("/api/v1/invitations?after={}&limit={limit}", i.id)
    });
    Ok(ok(&InvitationList {
        data: page.iter().map(|i| InvitationJson::of(i, now)).collect(),
        links: Links { next, prev: None },
    }))
}

/// A gone invitation is a 404 here (the pages say so as a conflict in their list).
/// A refused or failed action on an invitation, as a problem (SCIM's too).
pub(crate) fn action_problem(e: invitations::InvitationActionError) -> Problem {
    match e {
        invitations::InvitationActionError::NotFound => Problem::not_found(),
        other => AppError::from(other).into(),
    }
}

/// Resend an invitation, with a new link
#[utoipa::path(post, path = "/api/v1/invitations/{id}/resend", operation_id = "resendInvitation", tag = "Invitations", params(IdPath),
    security(("api_key" = ["users.view", "users.invite"])),
    responses((status = 200, description = "The invitation, sent again", body = InvitationJson)))]
pub async fn resend(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::UsersView)?;
    auth.require(Permission::UsersInvite)?;
    let id = path_id(&path.0)?;
    let settings = state.invite_settings();
    let now = state.settings.clock.now();
    let invitation = as_inviter(&state, &auth, move |conn, inviter, workspace| {
        Ok(
            invitations::resend(conn, inviter, workspace, id, &settings, now)
                .map_err(action_problem)
                .and_then(|()| {
                    invitations::find_in_workspace(conn, workspace, id).map_err(Problem::from)
                }),
        )
    })
    .await??
    .ok_or_else(Problem::not_found)?;
    state.outbox_wake.notify_one();
    Ok(ok(&InvitationJson::of(&invitation, now)))
}

/// Revoke an invitation
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", operation_id = "revokeInvitation", tag = "Invitations", params(IdPath),
    security(("api_key" = ["users.view", "users.invite"])),
    responses((status = 204, description = "Revoked: its link no longer works")))]
pub async fn revoke(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::UsersView)?;
    auth.require(Permission::UsersInvite)?;
    let id = path_id(&path.0)?;
    let now = state.settings.clock.now();
    as_inviter(&state, &auth, move |conn, inviter, workspace| {
        Ok(invitations::revoke(conn, inviter, workspace, id, now))
    })
    .await?
    .map_err(action_problem)?;
    Ok(no_content())
}
