//! Custom roles (issue 6): the built-in roles read-only and the workspace's own roles with who holds
//! them, create; a role's page (its permissions, its holders, name, description and permissions to
//! change); delete, with a confirmation that names who still holds the role when someone does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::acting::read_page;
use super::auth::{Chrome, WorkspaceAccess};
use super::error::AppError;
use super::forms::{FieldErrors, HtmlForm};
use super::htmx::render_with_status;
use super::{AppState, blocking, confirm, views};
use crate::clock;
use crate::db::AnyConnection;
use crate::domain::Description;
use crate::domain::custom_role::{self, RoleName};
use crate::domain::ids::{RoleId, WorkspaceId};
use crate::domain::names::display_name;
use crate::domain::policy::READS_ROLES;
use crate::domain::role::{BuiltInRole, Permission, PermissionSet};
use crate::services::roles::{
    self as service, Definer, HOLDERS_SHOWN, InWorkspace, RoleDraft, RoleError,
};
use crate::store::roles::{self, CustomRole, Holder, HolderCounts};

/// The name, description and permission fields, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    pub name: String,
    pub description: String,
    /// The ticked permissions' keys (a repeated field).
    pub permission: Vec<String>,
}

impl RoleForm {
    fn of(role: &CustomRole) -> Self {
        Self {
            name: role.name.clone(),
            description: role.description.clone(),
            permission: role
                .permissions
                .iter()
                .map(|p| p.key().to_owned())
                .collect(),
        }
    }

    fn parse(&self, errors: &mut FieldErrors) -> Option<RoleDraft> {
        let name = errors.check("name", RoleName::parse(&self.name));
        let description = errors.check("description", Description::parse(&self.description));
        let permissions = errors.check(
            "permission",
            custom_role::parse_permissions(&self.permission),
        );
        Some(RoleDraft {
            name: name?,
            description: description?,
            permissions: permissions?,
        })
    }

    /// A checkbox for every permission a custom role may hold, ticked as typed; those the viewer
    /// does not hold are shown but cannot be ticked (the server refuses them anyway).
    fn boxes(&self, held: PermissionSet) -> Vec<PermissionBox> {
        custom_role::offered()
            .map(|p| PermissionBox {
                key: p.key(),
                description: p.description(),
                checked: self.permission.iter().any(|k| k == p.key()),
                held: held.contains(p),
            })
            .collect()
    }
}

/// One permission checkbox of the role form.
pub struct PermissionBox {
    pub key: &'static str,
    pub description: &'static str,
    pub checked: bool,
    pub held: bool,
}

/// The viewer as the one who changes roles.
fn definer(access: &WorkspaceAccess) -> Definer {
    Definer {
        actor: access.signed_in.actor(),
        permissions: access.permissions,
        // "Not your own role" keeps anyone from widening what they may do. An org owner or admin
        // acts as an Owner whatever role their membership holds: changing it changes nothing
        // for them.
        role: access
            .membership
            .as_ref()
            .filter(|_| {
                !access
                    .signed_in
                    .account
                    .org_role
                    .administers_all_workspaces()
            })
            .map(|m| m.role_id),
    }
}

fn in_workspace(access: &WorkspaceAccess, role: i64) -> InWorkspace {
    InWorkspace {
        workspace: access.workspace.id,
        role: RoleId(role),
    }
}

/// A refusal of the form's values goes beside its field; anything else is the answer.
fn role_error(e: RoleError, errors: &mut FieldErrors) -> Result<(), AppError> {
    match e {
        RoleError::NameTaken => {
            errors.add("name", RoleError::NameTaken);
            Ok(())
        }
        RoleError::Permissions(why) => {
            errors.add("permission", why);
            Ok(())
        }
        other => Err(AppError::from(other)),
    }
}

/// A role's change refused outside a form: a role gone is 404, a rule 403, a role in use a
/// conflict that names its holders.
impl From<RoleError> for AppError {
    fn from(e: RoleError) -> Self {
        match e {
            RoleError::NotFound => AppError::NotFound,
            RoleError::Refused(why) => AppError::Forbidden(why),
            RoleError::InUse { holders, total } => AppError::Conflict(format!(
                "This role is still held: {}. Give them another role first.",
                holder_lines(&holders, total).join("; ")
            )),
            RoleError::Database(e) => e.into(),
            other => AppError::Conflict(other.to_string()),
        }
    }
}

/// "2 members, 1 pending invitation and 1 removed member", or "Nobody".
fn held_by_words(counts: HolderCounts) -> String {
    let parts: Vec<String> = [
        (counts.members, "member", "members"),
        (counts.invited, "pending invitation", "pending invitations"),
        (counts.removed, "removed member", "removed members"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| views::count(n, one, many))
    .collect();
    match parts.as_slice() {
        [] => "Nobody".to_owned(),
        [one] => one.clone(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

/// "Grace Hopper (grace@example.com), Suspended" for each holder named, then "and 3 more".
fn holder_lines(holders: &[Holder], total: i64) -> Vec<String> {
    let mut lines: Vec<String> = holders
        .iter()
        .map(|h| {
            let name = display_name(&h.first_name, &h.last_name, &h.email);
            let (_, status) = views::status_badge(h.account_status, h.status);
            if name == h.email {
                format!("{name}, {status}")
            } else {
                format!("{name} ({}), {status}", h.email)
            }
        })
        .collect();
    let more = total - holders.len() as i64;
    if more > 0 {
        lines.push(format!("and {} more", views::number(more)));
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// The list

/// One permission and which built-in roles hold it.
pub struct MatrixRow {
    pub key: &'static str,
    pub description: &'static str,
    pub held: Vec<bool>,
}

pub struct RoleLine {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub permissions: Vec<&'static str>,
    pub held_by: String,
}

#[derive(Template)]
#[template(path = "roles/list.html")]
struct ListPage {
    chrome: Chrome,
    slug: String,
    built_ins: Vec<&'static str>,
    matrix: Vec<MatrixRow>,
    roles: Vec<RoleLine>,
    can_manage: bool,
    form: RoleForm,
    errors: FieldErrors,
    boxes: Vec<PermissionBox>,
}

async fn list_view(
    state: &AppState,
    access: &WorkspaceAccess,
    form: RoleForm,
    errors: FieldErrors,
) -> Result<ListPage, AppError> {
    let workspace = access.workspace.id;
    let ((custom, counts), chrome) = read_page(state, access, "roles", move |conn| {
        let custom = roles::custom(conn, workspace)?;
        let ids: Vec<RoleId> = custom.iter().map(|r| r.id).collect();
        let counts = roles::holder_counts(conn, &ids)?;
        Ok((custom, counts))
    })
    .await?;
    Ok(ListPage {
        chrome,
        slug: access.workspace.slug.clone(),
        built_ins: BuiltInRole::ALL.iter().map(|r| r.name()).collect(),
        matrix: Permission::ALL
            .into_iter()
            .map(|p| MatrixRow {
                key: p.key(),
                description: p.description(),
                held: BuiltInRole::ALL
                    .iter()
                    .map(|r| r.permissions().contains(p))
                    .collect(),
            })
            .collect(),
        roles: custom
            .into_iter()
            .map(|r| RoleLine {
                held_by: held_by_words(counts.get(&r.id).copied().unwrap_or_default()),
                permissions: r.permissions.iter().map(Permission::description).collect(),
                id: r.id,
                name: r.name,
                description: r.description,
            })
            .collect(),
        can_manage: access.can(Permission::UsersChangeRole),
        boxes: form.boxes(access.permissions),
        form,
        errors,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
) -> Result<HttpResponse, AppError> {
    access.require_any(&READS_ROLES)?;
    let page = list_view(&state, &access, RoleForm::default(), FieldErrors::default()).await?;
    render_with_status(StatusCode::OK, &page)
}

pub async fn create(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: HtmlForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersChangeRole)?;
    let form = form.0;
    let mut errors = FieldErrors::default();
    if let Some(draft) = form.parse(&mut errors) {
        let (definer, workspace) = (definer(&access), access.workspace.id);
        let shown = draft.name.to_string();
        let warning = custom_role::out_of_reach(draft.permissions);
        let created = blocking(&state, move |conn| {
            Ok(service::create(
                conn,
                &definer,
                workspace,
                &draft,
                clock::now(),
            ))
        })
        .await?;
        match created {
            Ok(id) => {
                return saved(&access, id, &format!("Role {shown} created."), warning);
            }
            Err(e) => role_error(e, &mut errors)?,
        }
    }
    let page = list_view(&state, &access, form, errors).await?;
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------------
// A role's page

#[derive(Template)]
#[template(path = "roles/show.html")]
struct ShowPage {
    chrome: Chrome,
    slug: String,
    base: String,
    role: CustomRole,
    permissions: Vec<(&'static str, &'static str)>,
    held_by: String,
    holders: Vec<views::PersonLine>,
    /// Whether the viewer may see who holds it (`users.view`), or only how many.
    sees_members: bool,
    /// Holders beyond those listed.
    more: String,
    /// The form is offered.
    can_manage: bool,
    /// Why this viewer, who changes roles, may not change this one.
    refused: Option<String>,
    form: RoleForm,
    errors: FieldErrors,
    boxes: Vec<PermissionBox>,
}

/// A custom role of this workspace, how many hold it and the first of them, named only to a
/// viewer who sees the members (`users.view`); the others read the counts.
fn with_holders(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    id: RoleId,
    sees_members: bool,
) -> Result<(CustomRole, HolderCounts, Vec<Holder>), AppError> {
    let role = roles::find_custom(conn, workspace, id)?.ok_or(AppError::NotFound)?;
    let counts = roles::holder_counts_of(conn, id)?;
    let holders = if sees_members {
        roles::holders(conn, id, HOLDERS_SHOWN)?
    } else {
        Vec::new()
    };
    Ok((role, counts, holders))
}

/// A role's page; `form` is what was typed (none: the role as it is).
async fn show_view(
    state: &AppState,
    access: &WorkspaceAccess,
    id: i64,
    form: Option<RoleForm>,
    errors: FieldErrors,
) -> Result<ShowPage, AppError> {
    let (workspace, id) = (access.workspace.id, RoleId(id));
    let sees_members = access.can(Permission::UsersView);
    let ((role, counts, holders), chrome) = read_page(state, access, "roles", move |conn| {
        with_holders(conn, workspace, id, sees_members)
    })
    .await?;
    let refused = if access.can(Permission::UsersChangeRole) {
        service::may_change(&definer(access), &role).err()
    } else {
        None
    };
    let more = counts.total() - holders.len() as i64;
    let form = form.unwrap_or_else(|| RoleForm::of(&role));
    Ok(ShowPage {
        chrome,
        slug: access.workspace.slug.clone(),
        base: format!("/w/{}/roles/{id}", access.workspace.slug),
        permissions: role
            .permissions
            .iter()
            .map(|p| (p.key(), p.description()))
            .collect(),
        held_by: held_by_words(counts),
        holders: holders.into_iter().map(views::PersonLine::from).collect(),
        sees_members,
        more: if more > 0 {
            format!("and {} more", views::number(more))
        } else {
            String::new()
        },
        can_manage: access.can(Permission::UsersChangeRole) && refused.is_none(),
        refused: refused.map(|e| e.to_string()),
        boxes: form.boxes(access.permissions),
        role,
        form,
        errors,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require_any(&READS_ROLES)?;
    let page = show_view(&state, &access, path.1, None, FieldErrors::default()).await?;
    render_with_status(StatusCode::OK, &page)
}

/// To the role's page with `done`, a warning when some of its permissions are out of reach.
fn saved(
    access: &WorkspaceAccess,
    role: RoleId,
    done: &str,
    out_of_reach: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = format!("roles/{role}");
    match out_of_reach {
        None => access.show_after(&page, done),
        Some(why) => access.show_after_warning(&page, &format!("{done} {why}")),
    }
}

pub async fn update(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
    form: HtmlForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersChangeRole)?;
    let (id, form) = (path.1, form.0);
    let mut errors = FieldErrors::default();
    if let Some(draft) = form.parse(&mut errors) {
        let (definer, at) = (definer(&access), in_workspace(&access, id));
        let warning = custom_role::out_of_reach(draft.permissions);
        let done = blocking(&state, move |conn| {
            Ok(service::update(conn, &definer, at, &draft, clock::now()))
        })
        .await?;
        match done {
            Ok(()) => {
                return saved(&access, at.role, "Role saved.", warning);
            }
            Err(e) => role_error(e, &mut errors)?,
        }
    }
    let page = show_view(&state, &access, id, Some(form), errors).await?;
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Why a role someone holds cannot be deleted yet, and how to free it.
fn still_held_words(counts: HolderCounts) -> String {
    let mut words = format!(
        "{} {} it.",
        held_by_words(counts),
        if counts.total() == 1 { "holds" } else { "hold" }
    );
    // Only the members and invitees can be given another role now.
    if counts.members + counts.invited > 0 {
        words
            .push_str(" Give them another role first (on each member's Role tab), then delete it.");
    }
    if counts.removed > 0 {
        words.push_str(
            " Removed members keep their role so that a restore brings it back: restore and \
             change them, or wait until they are purged 14 days after their removal.",
        );
    }
    words
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersChangeRole)?;
    let (definer, at) = (definer(&access), in_workspace(&access, path.1));
    let sees_members = access.can(Permission::UsersView);
    let (role, counts, holders) = blocking(&state, move |conn| {
        let found = with_holders(conn, at.workspace, at.role, sees_members)?;
        service::may_change(&definer, &found.0).map_err(AppError::from)?;
        Ok(found)
    })
    .await?;
    let base = format!("/w/{}/roles/{}", access.workspace.slug, at.role);
    let confirmation = if counts.total() == 0 {
        confirm::Confirmation::delete(
            &access,
            base,
            format!("Delete the role {}?", role.name),
            "Nobody holds it. This cannot be undone.".to_owned(),
            "Delete role",
        )
    } else {
        confirm::Confirmation {
            title: format!("{} cannot be deleted yet", role.name),
            message: still_held_words(counts),
            details: holder_lines(&holders, counts.total()),
            reason: None,
            action: None,
            button: String::new(),
            danger: false,
            cancel_url: base,
            csrf_token: access.signed_in.csrf_token.clone(),
        }
    };
    confirm::render(&req, &state, &access, "roles", confirmation).await
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    access.require(Permission::UsersChangeRole)?;
    let (definer, at) = (definer(&access), in_workspace(&access, path.1));
    let sees_members = access.can(Permission::UsersView);
    let role = blocking(&state, move |conn| {
        service::delete(conn, &definer, at, clock::now()).map_err(|e| match e {
            // Named only to whoever sees the members.
            RoleError::InUse { total, .. } if !sees_members => AppError::Conflict(format!(
                "This role is still held by {}. Give them another role first.",
                views::count(total, "person", "people")
            )),
            e => AppError::from(e),
        })
    })
    .await?;
    confirm::deleted(
        &req,
        &access,
        &format!("Role {} deleted.", role.name),
        "roles",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::MembershipId;

    #[test]
    fn who_holds_a_role_in_plain_words() {
        let counts = |members, invited, removed| HolderCounts {
            members,
            invited,
            removed,
        };
        assert_eq!(held_by_words(counts(0, 0, 0)), "Nobody");
        assert_eq!(held_by_words(counts(1, 0, 0)), "1 member");
        assert_eq!(
            held_by_words(counts(1200, 1, 0)),
            "1,200 members and 1 pending invitation"
        );
        assert_eq!(
            held_by_words(counts(2, 3, 1)),
            "2 members, 3 pending invitations and 1 removed member"
        );
        assert!(still_held_words(counts(1, 0, 0)).starts_with("1 member holds it."));
        assert!(still_held_words(counts(0, 0, 2)).contains("purged 14 days"));
        assert!(!still_held_words(counts(0, 0, 2)).contains("Give them another role"));
        assert!(!still_held_words(counts(2, 0, 0)).contains("purged"));
    }

    #[test]
    fn holders_are_named_then_counted() {
        use crate::domain::membership::{AccountStatus, MembershipStatus};
        let holder = |first: &str, email: &str, status| Holder {
            membership: MembershipId(1),
            first_name: first.to_owned(),
            last_name: String::new(),
            email: email.to_owned(),
            status,
            account_status: AccountStatus::Active,
        };
        let holders = [
            holder("Grace", "grace@example.com", MembershipStatus::Suspended),
            holder("", "new@example.com", MembershipStatus::Invited),
        ];
        assert_eq!(
            holder_lines(&holders, 25),
            vec![
                "Grace (grace@example.com), Suspended".to_owned(),
                "new@example.com, Pending".to_owned(),
                "and 23 more".to_owned(),
            ]
        );
        assert_eq!(holder_lines(&holders, 2).len(), 2);
    }
}
