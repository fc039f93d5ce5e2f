//! `/api/v1/users`: the users list (its filters, search and orders, cursor pages), one member,
//! their profile and role, and their lifecycle (suspend, unsuspend, remove, restore). Every
//! change goes through `services::console`, judged by the policy as the pages are.

use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::IdPath;
use super::paging::{Links, parse_cursor, parse_limit};
use super::{ApiKeyAuth, Problem, ok};
use crate::db::{self, Lock};
use crate::domain::Reason;
use crate::domain::ids::{MembershipId, WorkspaceId};
use crate::domain::policy::MemberAction;
use crate::domain::role::Permission;
use crate::domain::search::SearchTerm;
use crate::domain::sort::{MemberSort, TimeAnchor};
use crate::services::console::{self, ConsoleError};
use crate::services::members::{self, Cursor, FilterParams, MemberDetail, MemberRow};
use crate::services::roles;
use crate::store::memberships;
use crate::web::AppState;
use crate::web::forms::ProfileForm;
use crate::web::views::rfc3339;

/// A member as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct UserJson {
    /// The membership's id: what `/api/v1/users/{id}` takes.
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// The name the console shows (the email while they have none).
    pub name: String,
    pub role: String,
    /// `invited`, `active`, `suspended` or `removed`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// `active` or `blocked` (organization-wide).
    #[schema(value_type = String)]
    pub account_status: &'static str,
    pub joined_at: Option<String>,
    pub last_active_at: Option<String>,
}

impl From<&MemberRow> for UserJson {
    fn from(r: &MemberRow) -> Self {
        Self {
            id: r.id.0,
            account_id: r.account_id.0,
            email: r.email.clone(),
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            name: r.name(),
            role: r.role_name.clone(),
            status: r.status.key(),
            account_status: r.account_status.key(),
            joined_at: r.joined_at.map(rfc3339),
            last_active_at: r.last_active_at.map(rfc3339),
        }
    }
}

/// One member, with what only their own page shows.
#[derive(Serialize, ToSchema)]
pub struct UserDetailJson {
    #[serde(flatten)]
    pub user: UserJson,
    pub timezone: String,
    /// The role's key: what `role` takes in a change (`admin`, or a custom role's id).
    pub role_key: String,
}

impl UserDetailJson {
    fn of(d: &MemberDetail, role_key: String) -> Self {
        Self {
            user: UserJson {
                id: d.id.0,
                account_id: d.account_id.0,
                email: d.email.clone(),
                first_name: d.first_name.clone(),
                last_name: d.last_name.clone(),
                name: d.name(),
                role: d.role_name.clone(),
                status: d.status.key(),
                account_status: d.account_status.key(),
                joined_at: d.joined_at.map(rfc3339),
                last_active_at: d.last_active_at.map(rfc3339),
            },
            timezone: d.timezone.clone(),
            role_key,
        }
    }
}

/// The member as the API shows them, with their role's key.
fn detail_json(
    conn: &mut crate::db::AnyConnection,
    workspace: WorkspaceId,
    member: &MemberDetail,
) -> Result<UserDetailJson, Problem> {
    let key = roles::choices(conn, workspace)?
        .into_iter()
        .find(|r| r.id == member.role_id)
        .map_or_else(|| member.role_id.0.to_string(), |r| r.key);
    Ok(UserDetailJson::of(member, key))
}

/// The users list's query: its filters, search and order, and the page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search names and email addresses.
    #[param(value_type = Option<String>)]
    pub q: SearchTerm,
    /// `active`, `invited` (or `pending`), `suspended` or `removed` (any but removed when
    /// absent); `blocked` (accounts blocked in the organization) or `two_factor_off` (not
    /// signing in with two-factor). Another value is refused (422), as is a role, group or
    /// dormancy the workspace does not have.
    pub status: Option<String>,
    /// A role's key (`admin`) or a custom role's id.
    pub role: Option<String>,
    /// A group's id (the key needs `groups.view` too).
    pub group: Option<String>,
    /// Dormant members: not active for this many days (1 to 3650; never-active ones included).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub inactive_days: Option<String>,
    /// `name`, `email`, `joined` or `last_active`, `-` first for descending (`name` when
    /// absent); another value is refused (422).
    pub sort: Option<String>,
    /// The next page: the last id of this one (the `next` link carries it).
    pub after: Option<String>,
    /// The page before: the first id of this one (the `prev` link carries it).
    pub before: Option<String>,
    /// In the `joined` and `last_active` orders, where the `after`/`before` row stood when its
    /// page was read (`2026-12-06T23:41:16.107506`, or `never`): the links carry it, so a person
    /// who moves in the order between two pages neither skips nor repeats anyone.
    pub at: Option<String>,
    /// People per page, 1 to 200 (50 when absent).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> FilterParams {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        FilterParams {
            q: self.q.clone(),
            status: text(&self.status),
            role: text(&self.role),
            group: text(&self.group),
            inactive_days: text(&self.inactive_days),
            sort: text(&self.sort),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub data: Vec<UserJson>,
    pub links: Links,
}

fn page_link(filter: &FilterParams, limit: i64, row: &MemberRow, key: &'static str) -> String {
    let mut pairs = filter.pairs();
    if limit != members::PAGE_SIZE {
        pairs.push(("limit", limit.to_string()));
    }
    pairs.push((key, row.id.to_string()));
    if let Some(at) = row.time_anchor(filter.sort().key) {
        pairs.push(("at", at.param()));
    }
    format!(
        "/api/v1/users?{}",
        serde_html_form::to_string(&pairs).unwrap_or_default()
    )
}

/// The users list
///
/// The console's list as JSON: its filters, search and orders, in cursor pages (follow
/// `links.next` and `links.prev`).
#[utoipa::path(get, path = "/api/v1/users", operation_id = "listUsers", tag = "Users", params(ListQuery),
    security(("api_key" = ["users.view"])),
    responses((status = 200, description = "A page of people", body = UserPage)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    auth.require(Permission::UsersView)?;
    let query = query.into_inner();
    // Who is in which group is for a key that sees groups (the console's list drops the filter).
    if query.group.as_deref().is_some_and(|g| !g.is_empty()) {
        auth.require(Permission::GroupsView)?;
    }
    let limit = parse_limit(query.limit.as_deref())?;
    if let Some(sort) = query
        .sort
        .as_deref()
        .filter(|s| !s.is_empty() && MemberSort::parse(s).is_none())
    {
        return Err(Problem::field(
            "sort",
            format!(
                "“{}” is not an order: use name, email, joined or last_active, `-` first for \
                 descending",
                sort.escape_default()
            ),
        ));
    }
    let at = match query.at.as_deref() {
        None => None,
        Some(typed) => Some(TimeAnchor::parse(typed).ok_or_else(|| {
            Problem::field(
                "at",
                "a time as `2026-12-06T23:41:16.107506`, or `never`, as the links give it",
            )
        })?),
    };
    let cursor = match (
        parse_cursor("after", query.after.as_deref())?,
        parse_cursor("before", query.before.as_deref())?,
    ) {
        (Some(id), _) => Cursor::After(MembershipId(id), at),
        (None, Some(id)) => Cursor::Before(MembershipId(id), at),
        (None, None) => Cursor::First,
    };
    let filter = query.filter();
    let (workspace, filter_params, sort) = (auth.workspace.id, filter.clone(), filter.sort());
    let now = state.settings.clock.now();
    let page = crate::web::blocking(&state, move |conn| {
        let filter = match members::resolve_filter(conn, workspace, &filter_params, now)? {
            Ok(filter) => filter,
            Err(unknown) => return Ok(Err(unknown)),
        };
        let wanted = memberships::PageOf {
            filter: &filter,
            sort,
            cursor,
            size: limit,
        };
        Ok(Ok(memberships::list_page(
            conn,
            workspace,
            wanted,
            Default::default(),
        )?))
    })
    .await?
    .map_err(|unknown| Problem::field(unknown.param(), &unknown))?;
    if page.cursor_lost {
        // Page 1 again would repeat people to a client walking the list.
        let field = if query.after.is_some() {
            "after"
        } else {
            "before"
        };
        return Err(Problem::field(
            field,
            "no member of this workspace has this id any more (revoked, purged or never one): \
             start again from the first page",
        ));
    }
    let links = Links {
        next: page
            .rows
            .last()
            .filter(|_| page.has_next)
            .map(|r| page_link(&filter, limit, r, "after")),
        prev: page
            .rows
            .first()
            .filter(|_| page.has_previous)
            .map(|r| page_link(&filter, limit, r, "before")),
    };
    Ok(ok(&UserPage {
        data: page.rows.iter().map(UserJson::from).collect(),
        links,
    }))
}

fn member_id(path: &(String,)) -> Result<MembershipId, Problem> {
    MembershipId::parse(&path.0).ok_or_else(Problem::not_found)
}

/// One member
#[utoipa::path(get, path = "/api/v1/users/{id}", operation_id = "getUser", tag = "Users", params(IdPath),
    security(("api_key" = ["users.view"])),
    responses((status = 200, description = "The member", body = UserDetailJson)))]
pub async fn show(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    auth.attempt(MemberAction::View)?;
    let id = member_id(&path)?;
    let user = auth
        .with_acting(&state, move |conn, acting, workspace| {
            let member = console::preview(conn, acting, workspace, id, MemberAction::View)?;
            detail_json(conn, workspace, &member)
        })
        .await?;
    Ok(ok(&user))
}

/// The member as they are after a change.
fn reread(
    conn: &mut crate::db::AnyConnection,
    workspace: crate::domain::ids::WorkspaceId,
    id: MembershipId,
) -> Result<UserDetailJson, Problem> {
    let member = members::detail(conn, workspace, id, crate::clock::now())?
        .ok_or_else(Problem::not_found)?;
    detail_json(conn, workspace, &member)
}

/// `PATCH /api/v1/users/{id}`: any of `first_name`, `last_name`, `timezone`, `role`; the rest
/// stays. One transaction: all of it, or nothing (422 with a message per field).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub timezone: Option<String>,
    pub role: Option<String>,
}

/// Change a member's names, time zone or role
///
/// Any of the fields; the rest stays. Names and time zone need `users.edit`, the role
/// `users.change_role`. All of it or nothing: 422 with a message per refused field.
#[utoipa::path(patch, path = "/api/v1/users/{id}", operation_id = "updateUser", tag = "Users", params(IdPath), request_body = UserPatch,
    security(("api_key" = ["users.view", "users.edit"]), ("api_key" = ["users.view", "users.change_role"])),
    responses((status = 200, description = "The member after the change", body = UserDetailJson)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, Problem> {
    let patch = body.into_inner();
    // The answer is the member: seeing them comes first, also for a change of nothing.
    auth.attempt(MemberAction::View)?;
    let profile =
        patch.first_name.is_some() || patch.last_name.is_some() || patch.timezone.is_some();
    if profile {
        auth.attempt(MemberAction::EditProfile)?;
    }
    if patch.role.is_some() {
        auth.attempt(MemberAction::ChangeRole)?;
    }
    let id = member_id(&path)?;
    let base_url = state.settings.base_url.clone();
    let now = state.settings.clock.now();
    let user = auth
        .with_acting(&state, move |conn, acting, workspace| {
            db::write_transaction(conn, Lock::Workspace(workspace), |conn| {
                let member = console::preview(conn, acting, workspace, id, MemberAction::View)?;
                let role = match &patch.role {
                    None => None,
                    Some(role) => Some(known_role(conn, workspace, role)?),
                };
                if profile {
                    let change = ProfileForm::change_over(
                        &member,
                        patch.first_name.clone(),
                        patch.last_name.clone(),
                        patch.timezone.clone(),
                    )
                    .map_err(|errors| Problem::invalid(errors.into_map()))?;
                    console::update_profile(conn, acting, workspace, id, &change, &base_url, now)?;
                }
                if let Some(role) = role {
                    console::change_role(conn, acting, workspace, id, &role, now).map_err(|e| {
                        match e {
                            // A role this member cannot take (an Owner without a password yet).
                            ConsoleError::Invalid(why) => Problem::field("role", why),
                            other => other.into(),
                        }
                    })?;
                }
                reread(conn, workspace, id)
            })
        })
        .await?;
    Ok(ok(&user))
}

/// The key of a role of this workspace, as invitations take it, or 422 beside `role`.
fn known_role(
    conn: &mut crate::db::AnyConnection,
    workspace: WorkspaceId,
    role: &str,
) -> Result<String, Problem> {
    let role = role.trim();
    roles::choices(conn, workspace)?
        .into_iter()
        .find(|r| r.key == role)
        .map(|r| r.key)
        .ok_or_else(|| {
            Problem::field(
                "role",
                "Unknown role: use a built-in role's key (owner, admin, auditor, member) or a \
                 custom role's id (GET /api/v1/roles).",
            )
        })
}

/// Suspend, unsuspend, restore: the member's id, the change, the member after it.
async fn lifecycle(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
    action: MemberAction,
    reason: Option<Reason>,
) -> Result<HttpResponse, Problem> {
    auth.attempt(action)?;
    let id = member_id(&path)?;
    let now: NaiveDateTime = state.settings.clock.now();
    let user = auth
        .with_acting(&state, move |conn, acting, workspace| {
            match action {
                MemberAction::Restore => {
                    console::restore(conn, acting, workspace, id, now)?;
                }
                _ => {
                    let suspend = action == MemberAction::Suspend;
                    console::suspend(conn, acting, workspace, id, suspend, reason.as_ref(), now)?;
                }
            }
            reread(conn, workspace, id)
        })
        .await?;
    Ok(ok(&user))
}

/// `POST /api/v1/users/{id}/suspend`: why, if you say.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    /// Why (at most 500 characters): kept with the audit event, shown on the member's console.
    pub reason: Option<String>,
}

/// A reason as sent, or 422 beside the field.
fn reason(text: Option<&str>) -> Result<Option<Reason>, Problem> {
    Reason::parse(text.unwrap_or_default()).map_err(|e| Problem::field("reason", e))
}

/// Suspend a member: their sessions end at once
#[utoipa::path(post, path = "/api/v1/users/{id}/suspend", operation_id = "suspendUser", tag = "Users", params(IdPath),
    request_body(content = Option<SuspendBody>),
    security(("api_key" = ["users.view", "users.suspend"])),
    responses((status = 200, description = "The member after the change", body = UserDetailJson)))]
pub async fn suspend(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
    body: super::OptionalJson<SuspendBody>,
) -> Result<HttpResponse, Problem> {
    let reason = reason(body.0.as_ref().and_then(|b| b.reason.as_deref()))?;
    lifecycle(state, auth, path, MemberAction::Suspend, reason).await
}

/// Unsuspend a member
#[utoipa::path(post, path = "/api/v1/users/{id}/unsuspend", operation_id = "unsuspendUser", tag = "Users", params(IdPath),
    security(("api_key" = ["users.view", "users.suspend"])),
    responses((status = 200, description = "The member after the change", body = UserDetailJson)))]
pub async fn unsuspend(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    lifecycle(state, auth, path, MemberAction::Unsuspend, None).await
}

/// Restore a removed member
#[utoipa::path(post, path = "/api/v1/users/{id}/restore", operation_id = "restoreUser", tag = "Users", params(IdPath),
    security(("api_key" = ["users.view", "users.remove"])),
    responses((status = 200, description = "The member after the change", body = UserDetailJson)))]
pub async fn restore(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, Problem> {
    lifecycle(state, auth, path, MemberAction::Restore, None).await
}

/// `POST /api/v1/users/{id}/remove`: what they own goes to `reassign_to` (an active member's id)
/// or stays unassigned.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveBody {
    pub reassign_to: Option<i64>,
    /// Why (at most 500 characters): kept with the audit event, shown on the member's console.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RemovedJson {
    #[serde(flatten)]
    pub user: UserDetailJson,
    /// Rows handed over or left unassigned.
    pub moved: usize,
    pub reassigned_to: Option<String>,
}

/// Remove a member
///
/// What they own goes to `reassign_to` (an active member's id) or stays unassigned; they can be
/// restored for 14 days.
#[utoipa::path(post, path = "/api/v1/users/{id}/remove", operation_id = "removeUser", tag = "Users", params(IdPath),
    request_body(content = Option<RemoveBody>),
    security(("api_key" = ["users.view", "users.remove"])),
    responses((status = 200, description = "The member, removed, and what was handed over", body = RemovedJson)))]
pub async fn remove(
    state: web::Data<AppState>,
    auth: ApiKeyAuth,
    path: web::Path<(String,)>,
    body: super::OptionalJson<RemoveBody>,
) -> Result<HttpResponse, Problem> {
    auth.attempt(MemberAction::Remove)?;
    let id = member_id(&path)?;
    let body = body.0.unwrap_or_default();
    let reason = reason(body.reason.as_deref())?;
    let heir = match body.reassign_to {
        None => None,
        Some(heir) => Some(MembershipId::parse(&heir.to_string()).ok_or_else(|| {
            Problem::field(
                "reassign_to",
                "Use the id of an active member of this workspace.",
            )
        })?),
    };
    let now = state.settings.clock.now();
    let removed = auth
        .with_acting(&state, move |conn, acting, workspace| {
            let removed = console::remove(conn, acting, workspace, id, heir, reason.as_ref(), now)
                .map_err(|e| match e {
                    ConsoleError::Invalid(why) => Problem::field("reassign_to", why),
                    other => other.into(),
                })?;
            Ok(RemovedJson {
                user: reread(conn, workspace, id)?,
                moved: removed.moved,
                reassigned_to: removed.reassigned_to.map(|heir| heir.email),
            })
        })
        .await?;
    Ok(ok(&removed))
}
